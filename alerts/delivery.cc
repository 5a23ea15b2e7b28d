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
      nlohmann::json a;
      a["id"] = article.id;
      a["url"] = url;
      a["title"] = article.title;
      a["published"] = article.published ? nlohmann::json(format_iso8601(*article.published))
                                         : nlohmann::json(nullptr);
      a["source"] = article.source;
      a["language"] = article.language;
      a["snippet"] = snippet;
      a["duplicate_urls"] = article.duplicate_urls;
      j["article"] = std::move(a);
      m.body = dump(j);
      m.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      break;
    }
    case WebhookFormat::slack: {
      // Slack's mrkdwn escapes only &, < and > in text.
      auto esc = [](const std::string& s) {
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
      };
      nlohmann::json j;
      j["text"] = "*[" + esc(alert.topic) + "]* <" + url + "|" + esc(article.title) + "> (" +
                  esc(article.source) + ")\n" + mark(esc(snippet), "*");
      m.body = dump(j);
      m.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      break;
    }
    case WebhookFormat::discord: {
      nlohmann::json j;
      j["content"] = cut_utf8("**[" + alert.topic + "]** " + article.title + " (" + article.source +
                                  ")\n" + url + "\n" + mark(snippet, "**"),
                              2000);
      m.body = dump(j);
      m.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      break;
    }
    case WebhookFormat::ntfy:
      m.body = mark(snippet, "");
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
  m.headers.emplace_back("X-Newswatch-Idempotency-Key", alert.idempotency_key());
  m.headers.emplace_back("X-Newswatch-Topic", alert.topic);
  if (!secret.empty()) {
    m.headers.emplace_back("X-Newswatch-Signature", "sha256=" + hmac_sha256_hex(secret, m.body));
  }
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
