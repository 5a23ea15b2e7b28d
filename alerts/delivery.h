// What an alert looks like on the wire and when a failed one is tried again. Pure functions: the
// daemon's delivery worker sends the requests and records the outcome in the outbox.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/article.h"
#include "core/time.h"
#include "storage/records.h"

namespace newswatch::alerts {

struct WebhookMessage {
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the receiver expects: newswatch's own JSON, or the payload of a chat or push service.
enum class WebhookFormat {
  json,     // the document below
  slack,    // {"text": ...} with *bold* matches and a <url|title> link (Slack, Mattermost)
  discord,  // {"content": ...} with **bold** matches, at most 2000 characters
  ntfy,     // plain text body; Title, Click and Tags headers (ntfy.sh and compatible)
};

// How many stories a message carries, and why.
enum class MessageKind {
  single,  // one story
  folded,  // a topic's rate limit held alerts back: the next story "and N more stories"
  digest,  // a topic's digest period ended: every story collected in it
};

// One story of a message with several.
struct AlertItem {
  const storage::OutboxRecord* alert = nullptr;
  const Article* article = nullptr;
  std::string snippet;
};

// "json", "slack", "discord", "ntfy"; nullopt for other names.
std::optional<WebhookFormat> parse_webhook_format(std::string_view name);

// The JSON POST body and headers for one alert: {"topic", "idempotency_key", "article": {"id",
// "url", "title", "published", "source", "language", "snippet", "duplicate_urls",
// "also_reported_by"}}. Headers carry
// Content-Type, X-Newswatch-Idempotency-Key and, when `secret` is non-empty,
// X-Newswatch-Signature: sha256=<hex HMAC-SHA256 of the body>.
// With another `format`, the body is that service's payload; the headers stay the same.
WebhookMessage build_webhook(const storage::OutboxRecord& alert, const Article& article,
                             const std::string& snippet, const std::string& secret,
                             WebhookFormat format = WebhookFormat::json);

// A message carrying `items` (oldest first, at least one) of one topic. JSON: {"topic",
// "idempotency_key" (= `bundle`), "kind" ("folded" or "digest"), "count", "more" (count - 1),
// "article" (the first story, as above), "articles" (all, each as above)}. Chat formats list the
// stories one per line; headers as build_webhook's, the key being `bundle`.
WebhookMessage build_bundle_webhook(const std::string& bundle, MessageKind kind,
                                    const std::vector<AlertItem>& items, const std::string& secret,
                                    WebhookFormat format = WebhookFormat::json);

// Lower-case hex HMAC-SHA256 of `body` under `key`.
std::string hmac_sha256_hex(const std::string& key, const std::string& body);

// A plain-text excerpt of `text` of at most `max_chars` characters (UTF-8 safe), cut at a word.
std::string make_snippet(const std::string& text, std::size_t max_chars = 280);

struct RetryPolicy {
  int max_attempts = 8;  // then the alert is dead-lettered
  std::chrono::seconds base_delay{10};
  std::chrono::seconds max_delay{std::chrono::hours(1)};
};

// Records a failed attempt on `alert`: attempts+1, last_error, and either the next attempt time
// (exponential backoff, base_delay * 2^(attempts-1) capped at max_delay, jittered
// uniformly into [d/2, d] by `rng`, never earlier than `retry_after`) or the dead
// state once max_attempts is reached.
void record_failure(storage::OutboxRecord& alert, const std::string& error, TimePoint now,
                    std::optional<std::chrono::seconds> retry_after, const RetryPolicy& policy,
                    std::mt19937_64& rng);

// True for HTTP statuses worth retrying (408, 425, 429, 5xx); other 4xx are permanent.
bool is_retryable_status(long status);

}  // namespace newswatch::alerts
