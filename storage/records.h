// The records newswatch keeps besides articles, and the versioned binary encoding of every stored
// value (docs/storage.md). Pure functions: no RocksDB here, so the decoders can be fuzzed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/article.h"
#include "core/result.h"
#include "core/time.h"

namespace newswatch::storage {

// Format version written as the first byte of every encoded value.
inline constexpr std::uint8_t kRecordVersion = 1;

// Poll state of one source, kept across restarts.
struct SourceState {
  std::string etag;
  std::string last_modified;
  TimePoint next_due{};
  TimePoint last_attempt{};
  TimePoint last_success{};
  std::uint32_t consecutive_errors = 0;
  std::string last_error;
  std::uint64_t items_seen = 0;
  std::uint64_t polls = 0;
  std::int64_t interval_ms = 0;  // the adapted poll interval; 0 = not adapted yet
  // Appended in session 4, absent (zero) in older records, ignored by older readers.
  TimePoint first_poll{};             // when newswatch first polled the source
  std::uint64_t not_modified = 0;     // polls answered 304
  std::uint64_t failures = 0;         // polls that failed (network, HTTP status, parse)
  std::uint64_t bytes = 0;            // response body bytes of the polls
  std::uint32_t latency_ms = 0;       // fetch latency, moving average (each poll weighs 1/5)
  std::uint32_t last_latency_ms = 0;  // fetch latency of the last answered poll
};

enum class DeliveryState : std::uint8_t { pending = 0, delivered = 1, dead = 2 };

// One alert to deliver: (topic, story, channel) is its identity and idempotency key.
struct OutboxRecord {
  std::string topic;
  std::string article_id;
  std::string channel;
  TimePoint created{};
  TimePoint next_attempt{};
  std::uint32_t attempts = 0;
  std::string last_error;
  DeliveryState state = DeliveryState::pending;
  TimePoint delivered_at{};
  // The excerpt sent with the alert, matched words highlighted. Optional trailing field.
  std::string snippet;
  // Non-empty while the alert travels in a message with others (a digest, or alerts folded by a
  // topic's rate limit): the message's id, also its idempotency key. Set in the store before the
  // message is first sent, so a resend after a crash carries the same stories under the same id.
  // Optional trailing field, as is the next.
  std::string bundle;
  // Sources whose copies of this story (URL, exact or near duplicates) were folded into it.
  std::vector<std::string> also_reported_by;

  // "topic\x1Farticle_id\x1Fchannel": the key in the outbox and the delivery log.
  std::string key() const;
  // A stable printable id sent to receivers (webhook header, Message-ID): hex of a hash of key().
  std::string idempotency_key() const;
};

// When a topic's alerts to one channel were last sent: the rate limit's memory across restarts.
struct AlertRateState {
  std::vector<TimePoint> sent;  // oldest first; only the newest max_alerts matter
};

// An article record: zstd-compressed past its id when that makes it smaller (records of 512
// bytes and more), plain otherwise; encode_plain_article() always plain (the format before 5).
// decode_article() reads both.
std::string encode_article(const Article& article);
std::string encode_plain_article(const Article& article);
Result<Article> decode_article(std::string_view bytes);
// Overwrites the id of an encoded article record in place with `id` of the same length (article
// ids are 16 hex digits), so a record can be encoded before its id is known. False, and nothing
// changed, when `encoded` is not an article record (plain or compressed) or its id has another
// length.
bool set_article_id(std::string& encoded, std::string_view id);

// URLs a story was also found at, kept beside its article record (the `copies` family).
std::string encode_url_list(const std::vector<std::string>& urls);
Result<std::vector<std::string>> decode_url_list(std::string_view bytes);

std::string encode_source_state(const SourceState& state);
Result<SourceState> decode_source_state(std::string_view bytes);

std::string encode_outbox(const OutboxRecord& record);
Result<OutboxRecord> decode_outbox(std::string_view bytes);

std::string encode_alert_rate(const AlertRateState& state);
Result<AlertRateState> decode_alert_rate(std::string_view bytes);

// 64-bit FNV-1a; stable across versions (ids and keys depend on it).
std::uint64_t stable_hash64(std::string_view bytes);

// 16 lower-case hex digits.
std::string hex64(std::uint64_t value);

}  // namespace newswatch::storage
