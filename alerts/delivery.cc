#include "alerts/delivery.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace newswatch::alerts {

std::string hmac_sha256_hex(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
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

WebhookMessage build_webhook(const storage::OutboxRecord& alert, const Article& article,
                             const std::string& snippet, const std::string& secret) {
  nlohmann::json j;
  j["topic"] = alert.topic;
  j["idempotency_key"] = alert.idempotency_key();
  nlohmann::json a;
  a["id"] = article.id;
  a["url"] = article.canonical_url.empty() ? article.url : article.canonical_url;
  a["title"] = article.title;
  a["published"] = article.published ? nlohmann::json(format_iso8601(*article.published))
                                     : nlohmann::json(nullptr);
  a["source"] = article.source;
  a["language"] = article.language;
  a["snippet"] = snippet;
  a["duplicate_urls"] = article.duplicate_urls;
  j["article"] = std::move(a);
  WebhookMessage m;
  // Replacement of invalid UTF-8 keeps a bad byte in a title from failing the delivery forever.
  m.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  m.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
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
