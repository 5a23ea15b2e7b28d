#include "alerts/delivery.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "alerts/email.h"

namespace newswatch::alerts {

std::string hmac_sha256_hex(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{len} * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += digits[mac[i] >> 4];
    out += digits[mac[i] & 0xF];
  }
  return out;
}

std::string make_snippet(const std::string& text, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  std::size_t last_space = std::string::npos;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    if (chars == max_chars) {
      if (last_space != std::string::npos && last_space > out.size() / 2) out.resize(last_space);
      out += "…";
      return out;
    }
    char ch = text[i];
    if (ch == '\n' || ch == '\t' || ch == '\r') ch = ' ';
    if (ch == ' ' && !out.empty() && out.back() == ' ') {
      ++i;
      continue;
    }
    if (ch == ' ') last_space = out.size();
    if (len == 1) {
      out += ch;
    } else {
      out.append(text, i, len);
    }
    i += len;
    ++chars;
  }
  return out;
}

std::optional<WebhookFormat> parse_webhook_format(std::string_view name) {
  if (name == "json") return WebhookFormat::json;
  if (name == "slack") return WebhookFormat::slack;
  if (name == "discord") return WebhookFormat::discord;
  if (name == "ntfy") return WebhookFormat::ntfy;
  return std::nullopt;
}

namespace {

// The snippet's «match» markers as the chat service's bold.
std::string mark(std::string text, std::string_view bold) {
  for (std::string_view marker : {std::string_view("«"), std::string_view("»")}) {
    for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at)) {
      text.replace(at, marker.size(), bold);
      at += bold.size();
    }
  }
  return text;
}

// Cuts `s` to at most `max` bytes at a UTF-8 boundary.
std::string cut_utf8(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// A chat message lists at most this many stories of a digest; the rest are counted.
constexpr std::size_t kMaxChatStories = 50;

std::string url_of(const Article& a) { return a.canonical_url.empty() ? a.url : a.canonical_url; }

nlohmann::json article_json(const storage::OutboxRecord& alert, const Article& article,
                            const std::string& snippet) {
  nlohmann::json a;
  a["id"] = article.id;
  a["url"] = url_of(article);
  a["title"] = article.title;
  a["published"] = article.published ? nlohmann::json(format_iso8601(*article.published))
                                     : nlohmann::json(nullptr);
  a["source"] = article.source;
  a["language"] = article.language;
  a["snippet"] = snippet;
  a["duplicate_urls"] = article.duplicate_urls;
  a["also_reported_by"] = alert.also_reported_by;
  return a;
}

// " (also reported by a, b)" or "".
std::string also_line(const storage::OutboxRecord& alert) {
  std::string out;
  for (const auto& s : alert.also_reported_by) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "" : " (also reported by " + out + ")";
}

// Slack's mrkdwn escapes only &, < and > in text.
std::string slack_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

void finish_headers(WebhookMessage& m, const std::string& key, const std::string& topic,
                    const std::string& secret) {
  m.headers.emplace_back("X-Newswatch-Idempotency-Key", key);
  m.headers.emplace_back("X-Newswatch-Topic", topic);
  if (!secret.empty()) {
    m.headers.emplace_back("X-Newswatch-Signature", "sha256=" + hmac_sha256_hex(secret, m.body));
  }
}

std::string dump(const nlohmann::json& j) {
  // Replacement of invalid UTF-8 keeps a bad byte in a title from failing the delivery forever.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

WebhookMessage build_webhook(const storage::OutboxRecord& alert, const Article& article,
                             const std::string& snippet, const std::string& secret,
                             WebhookFormat format) {
  const std::string url = article.canonical_url.empty() ? article.url : article.canonical_url;
  WebhookMessage m;
  switch (format) {
    case WebhookFormat::json: {
      nlohmann::json j;
      j["topic"] = alert.topic;
      j["idempotency_key"] = alert.idempotency_key();
      j["article"] = article_json(alert, article, snippet);
      m.body = dump(j);
      m.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      break;
    }
    case WebhookFormat::slack: {
      const auto esc = slack_escape;
      nlohmann::json j;
      j["text"] = "*[" + esc(alert.topic) + "]* <" + url + "|" + esc(article.title) + "> (" +
                  esc(article.source) + ")" + esc(also_line(alert)) + "\n" +
                  mark(esc(snippet), "*");
      m.body = dump(j);
      m.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      break;
    }
    case WebhookFormat::discord: {
      nlohmann::json j;
      j["content"] = cut_utf8("**[" + alert.topic + "]** " + article.title + " (" + article.source +
                                  ")" + also_line(alert) + "\n" + url + "\n" + mark(snippet, "**"),
                              2000);
      m.body = dump(j);
      m.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      break;
    }
    case WebhookFormat::ntfy:
      m.body = mark(snippet, "") + also_line(alert);
      m.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
      {
        // RFC 2047 words, unfolded: one header line whatever the title holds.
        std::string title = encode_header_words("[" + alert.topic + "] " + article.title);
        for (auto at = title.find("\r\n"); at != std::string::npos; at = title.find("\r\n", at)) {
          title.erase(at, 2);
        }
        m.headers.emplace_back("Title", std::move(title));
      }
      m.headers.emplace_back("Click", url);
      m.headers.emplace_back("Tags", "newspaper");
      break;
  }
  finish_headers(m, alert.idempotency_key(), alert.topic, secret);
  return m;
}

WebhookMessage build_bundle_webhook(const std::string& bundle, MessageKind kind,
                                    const std::vector<AlertItem>& items, const std::string& secret,
                                    WebhookFormat format) {
  WebhookMessage m;
  if (items.empty()) return m;
  const std::string& topic = items.front().alert->topic;
  const std::size_t more = items.size() - 1;
  const std::string count =
      std::to_string(items.size()) + (items.size() == 1 ? " story" : " stories");
  const std::string more_text =
      "and " + std::to_string(more) + (more == 1 ? " more story" : " more stories");
  const bool digest = kind == MessageKind::digest;
  switch (format) {
    case WebhookFormat::json: {
      nlohmann::json j;
      j["topic"] = topic;
      j["idempotency_key"] = bundle;
      j["kind"] = digest ? "digest" : "folded";
      j["count"] = items.size();
      j["more"] = more;
      j["articles"] = nlohmann::json::array();
      for (const auto& it : items) {
        j["articles"].push_back(article_json(*it.alert, *it.article, it.snippet));
      }
      j["article"] = j["articles"][0];
      m.body = dump(j);
      m.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      break;
    }
    case WebhookFormat::slack:
    case WebhookFormat::discord: {
      const bool slack = format == WebhookFormat::slack;
      const auto esc = [&](const std::string& s) { return slack ? slack_escape(s) : s; };
      const auto link = [&](const AlertItem& it) {
        return slack ? "<" + url_of(*it.article) + "|" + esc(it.article->title) + ">"
                     : it.article->title + " " + url_of(*it.article);
      };
      const std::string bold = slack ? "*" : "**";
      std::string text = bold + "[" + esc(topic) + "]" + bold + " ";
      std::size_t from = 0;
      if (digest) {
        text += "digest: " + count + "\n";
      } else {
        const AlertItem& lead = items.front();
        text += link(lead) + " (" + esc(lead.article->source) + ")" + esc(also_line(*lead.alert)) +
                "\n" + mark(esc(lead.snippet), bold) + "\n" + more_text + ":\n";
        from = 1;
      }
      const std::size_t shown = std::min(items.size(), kMaxChatStories);
      for (std::size_t i = from; i < shown; ++i) {
        text += "• " + link(items[i]) + " (" + esc(items[i].article->source) + ")" +
                esc(also_line(*items[i].alert)) + "\n";
      }
      if (shown < items.size()) text += "… " + std::to_string(items.size() - shown) + " more\n";
      nlohmann::json j;
      if (slack) {
        j["text"] = text;
      } else {
        j["content"] = cut_utf8(text, 2000);
      }
      m.body = dump(j);
      m.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      break;
    }
    case WebhookFormat::ntfy: {
      const std::size_t shown = std::min(items.size(), kMaxChatStories);
      for (std::size_t i = 0; i < shown; ++i) {
        const AlertItem& it = items[i];
        m.body += "• " + it.article->title + " (" + it.article->source + ")" +
                  also_line(*it.alert) + "\n  " + url_of(*it.article) + "\n";
      }
      if (shown < items.size()) m.body += "… " + std::to_string(items.size() - shown) + " more\n";
      m.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
      std::string title = encode_header_words(
          "[" + topic + "] " +
          (digest ? "digest: " + count : items.front().article->title + " (" + more_text + ")"));
      for (auto at = title.find("\r\n"); at != std::string::npos; at = title.find("\r\n", at)) {
        title.erase(at, 2);
      }
      m.headers.emplace_back("Title", std::move(title));
      m.headers.emplace_back("Click", url_of(*items.front().article));
      m.headers.emplace_back("Tags", "newspaper");
      break;
    }
  }
  finish_headers(m, bundle, topic, secret);
  return m;
}

void record_failure(storage::OutboxRecord& alert, const std::string& error, TimePoint now,
                    std::optional<std::chrono::seconds> retry_after, const RetryPolicy& policy,
                    std::mt19937_64& rng) {
  ++alert.attempts;
  alert.last_error = error;
  if (static_cast<int>(alert.attempts) >= policy.max_attempts) {
    alert.state = storage::DeliveryState::dead;
    alert.delivered_at = now;
    return;
  }
  const int exponent = std::min<int>(static_cast<int>(alert.attempts) - 1, 20);
  const auto ceiling =
      std::min<std::int64_t>(policy.base_delay.count() << exponent, policy.max_delay.count());
  std::uniform_int_distribution<std::int64_t> jitter(ceiling / 2,
                                                     std::max<std::int64_t>(ceiling, 1));
  std::chrono::seconds delay(jitter(rng));
  if (retry_after && *retry_after > delay)
    delay = std::min(*retry_after, std::chrono::seconds(std::chrono::hours(24)));
  alert.next_attempt = now + delay;
}

bool is_retryable_status(long status) {
  return status == 408 || status == 425 || status == 429 || status >= 500 || status == 0;
}

}  // namespace newswatch::alerts
