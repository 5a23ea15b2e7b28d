#include "alerts/email.h"

#include <cstdio>

namespace newswatch::alerts {
namespace {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

bool plain_ascii(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

std::string to_crlf(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  return out;
}

// Strips CR/LF so no header value can inject another header.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

// Encodes the display-name part of a mailbox, keeping the address as it is.
std::string encode_mailbox(const std::string& mailbox) {
  const size_t lt = mailbox.find('<');
  if (lt == std::string::npos || lt == 0) return one_line(mailbox);
  std::string name = mailbox.substr(0, lt);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return encode_header_words(one_line(name)) + " " + one_line(mailbox.substr(lt));
}

std::string also_reported(const storage::OutboxRecord& alert) {
  std::string out;
  for (const auto& s : alert.also_reported_by) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "" : "also reported by " + out;
}

std::string domain_of(const std::string& from) {
  const std::string addr = bare_address(from);
  const auto at = addr.find('@');
  return at == std::string::npos || at + 1 == addr.size() ? "newswatch.invalid"
                                                          : addr.substr(at + 1);
}

}  // namespace

std::string base64_encode(const std::string& bytes, std::size_t line_length) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t col = 0;
  const auto put = [&](char c) {
    if (line_length > 0 && col == line_length) {
      out += "\r\n";
      col = 0;
    }
    out += c;
    ++col;
  };
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    put(table[(v >> 18) & 63]);
    put(table[(v >> 12) & 63]);
    put(table[(v >> 6) & 63]);
    put(table[v & 63]);
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    put(table[(v >> 18) & 63]);
    put(table[(v >> 12) & 63]);
    put(i + 1 < bytes.size() ? table[(v >> 6) & 63] : '=');
    put('=');
  }
  return out;
}

std::string encode_header_words(const std::string& text) {
  if (plain_ascii(text)) return text;
  // 75 chars per word minus "=?UTF-8?B?" and "?=" leaves 63 base64 chars, i.e. 45 bytes.
  constexpr size_t kMaxBytes = 45;
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = std::min(text.size(), i + kMaxBytes);
    // Do not split a UTF-8 sequence: back up to a lead byte.
    while (end < text.size() && end > i && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (end == i) end = std::min(text.size(), i + kMaxBytes);  // no lead byte: invalid UTF-8
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(text.substr(i, end - i), 0) + "?=";
    i = end;
  }
  return out;
}

std::string bare_address(const std::string& mailbox) {
  const size_t lt = mailbox.find('<');
  const size_t gt = mailbox.find('>', lt == std::string::npos ? 0 : lt);
  std::string out = lt != std::string::npos && gt != std::string::npos
                        ? mailbox.substr(lt + 1, gt - lt - 1)
                        : mailbox;
  const size_t b = out.find_first_not_of(" \t");
  const size_t e = out.find_last_not_of(" \t");
  return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

std::string format_rfc5322_date(TimePoint t) {
  using namespace std::chrono;
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = floor<std::chrono::days>(t);
  const year_month_day ymd{day};
  const weekday wd{day};
  const hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0000", days[wd.c_encoding()],
                static_cast<unsigned>(ymd.day()), months[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string build_mime(const EmailMessage& m) {
  const std::string boundary =
      "=_newswatch_" + storage::hex64(storage::stable_hash64(m.message_id + m.text));
  std::string out;
  out += "Date: " + format_rfc5322_date(m.date) + "\r\n";
  out += "From: " + encode_mailbox(m.from) + "\r\n";
  std::string to;
  for (const auto& r : m.to) to += (to.empty() ? "" : ", ") + encode_mailbox(r);
  out += "To: " + to + "\r\n";
  out += "Subject: " + encode_header_words(one_line(m.subject)) + "\r\n";
  out += "Message-ID: <" + one_line(m.message_id) + ">\r\n";
  for (const auto& [k, v] : m.extra_headers) out += one_line(k) + ": " + one_line(v) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  const auto part = [](const std::string& type, const std::string& body) {
    return "Content-Type: " + type +
           "; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
           base64_encode(to_crlf(body)) + "\r\n";
  };
  if (m.html.empty()) {
    out += part("text/plain", m.text);
    return out;
  }
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + part("text/plain", m.text);
  out += "--" + boundary + "\r\n" + part("text/html", m.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

EmailMessage build_alert_email(const storage::OutboxRecord& alert, const Article& article,
                               const std::string& snippet, const std::string& from,
                               const std::vector<std::string>& to, TimePoint now) {
  EmailMessage m;
  m.from = from;
  m.to = to;
  m.date = now;
  m.subject = "[" + alert.topic + "] " + article.title;
  const std::string& from_domain = bare_address(from).substr(bare_address(from).find('@') + 1);
  m.message_id = alert.idempotency_key() + "." + article.id + "@" +
                 (from_domain.empty() ? "newswatch.invalid" : from_domain);
  const std::string url = article.canonical_url.empty() ? article.url : article.canonical_url;
  std::string when = article.published ? format_iso8601(*article.published) : "";
  const std::string also = also_reported(alert);
  m.text = article.title + "\n" + url + "\n" + article.source + (when.empty() ? "" : " · " + when) +
           (also.empty() ? "" : "\n" + also) + "\n\n" + snippet + "\n\n-- \nnewswatch topic \"" +
           alert.topic + "\"\n";
  m.html = "<html><body><h2><a href=\"" + html_escape(url) + "\">" + html_escape(article.title) +
           "</a></h2><p style=\"color:#666\">" + html_escape(article.source) +
           (when.empty() ? "" : " &middot; " + html_escape(when)) +
           (also.empty() ? "" : "<br>" + html_escape(also)) + "</p><p>" + html_escape(snippet) +
           "</p><hr><p style=\"color:#666\">newswatch topic &quot;" + html_escape(alert.topic) +
           "&quot;</p></body></html>";
  m.extra_headers.emplace_back("X-Newswatch-Idempotency-Key", alert.idempotency_key());
  m.extra_headers.emplace_back("X-Newswatch-Topic", alert.topic);
  return m;
}

EmailMessage build_bundle_email(const std::string& bundle, MessageKind kind,
                                const std::vector<AlertItem>& items, const std::string& from,
                                const std::vector<std::string>& to, TimePoint now) {
  EmailMessage m;
  m.from = from;
  m.to = to;
  m.date = now;
  if (items.empty()) return m;
  const std::string& topic = items.front().alert->topic;
  const std::size_t n = items.size();
  const std::string stories = std::to_string(n) + (n == 1 ? " story" : " stories");
  const std::string more = std::to_string(n - 1) + (n == 2 ? " more story" : " more stories");
  if (kind == MessageKind::digest) {
    m.subject = "[" + topic + "] digest: " + stories;
  } else {
    m.subject = "[" + topic + "] " + items.front().article->title + " (and " + more + ")";
  }
  m.message_id = bundle + "@" + domain_of(from);
  const std::string intro = kind == MessageKind::digest
                                ? stories + " matched topic \"" + topic + "\":"
                                : "More stories matched topic \"" + topic +
                                      "\" than its rate limit allows; here they are together:";
  m.text = intro + "\n\n";
  m.html = "<html><body><p>" + html_escape(intro) + "</p>";
  for (std::size_t i = 0; i < n; ++i) {
    const Article& a = *items[i].article;
    const std::string url = a.canonical_url.empty() ? a.url : a.canonical_url;
    const std::string when = a.published ? format_iso8601(*a.published) : "";
    const std::string also = also_reported(*items[i].alert);
    m.text += std::to_string(i + 1) + ". " + a.title + "\n   " + url + "\n   " + a.source +
              (when.empty() ? "" : " · " + when) + (also.empty() ? "" : "; " + also) + "\n   " +
              items[i].snippet + "\n\n";
    m.html += "<h3><a href=\"" + html_escape(url) + "\">" + html_escape(a.title) +
              "</a></h3><p style=\"color:#666\">" + html_escape(a.source) +
              (when.empty() ? "" : " &middot; " + html_escape(when)) +
              (also.empty() ? "" : "<br>" + html_escape(also)) + "</p><p>" +
              html_escape(items[i].snippet) + "</p>";
  }
  m.text += "-- \nnewswatch topic \"" + topic + "\"\n";
  m.html += "<hr><p style=\"color:#666\">newswatch topic &quot;" + html_escape(topic) +
            "&quot;</p></body></html>";
  m.extra_headers.emplace_back("X-Newswatch-Idempotency-Key", bundle);
  m.extra_headers.emplace_back("X-Newswatch-Topic", topic);
  return m;
}

}  // namespace newswatch::alerts
