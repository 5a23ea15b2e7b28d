// Alert emails: RFC 5322 / MIME messages built as bytes for the SMTP sender. Pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "alerts/delivery.h"
#include "core/article.h"
#include "core/time.h"
#include "storage/records.h"

namespace newswatch::alerts {

struct EmailMessage {
  std::string from;  // "newswatch <nw@example.org>" or a bare address
  std::vector<std::string> to;
  std::string subject;     // UTF-8; encoded per RFC 2047 when not plain ASCII
  std::string text;        // text/plain part, UTF-8
  std::string html;        // text/html part, UTF-8; omitted when empty
  std::string message_id;  // without angle brackets, e.g. "key@newswatch"
  TimePoint date{};
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// The complete message with CRLF line ends: Date, From, To, Subject, Message-ID, MIME-Version,
// and a multipart/alternative body (text + HTML) in base64, so any UTF-8 text survives transport.
std::string build_mime(const EmailMessage& message);

// One alert as an email. Its Message-ID is derived from the alert's idempotency key, so a resent
// alert carries the same id and mail clients can merge the copies.
EmailMessage build_alert_email(const storage::OutboxRecord& alert, const Article& article,
                               const std::string& snippet, const std::string& from,
                               const std::vector<std::string>& to, TimePoint now);

// One message carrying several stories of one topic (oldest first): a digest ("[topic] digest:
// N stories") or alerts folded by a rate limit ("[topic] TITLE (and N more stories)"); each story
// with title, link, source, date, snippet and the sources that also reported it. The Message-ID
// is derived from `bundle`, so a resend carries the same id.
EmailMessage build_bundle_email(const std::string& bundle, MessageKind kind,
                                const std::vector<AlertItem>& items, const std::string& from,
                                const std::vector<std::string>& to, TimePoint now);

// "=?UTF-8?B?...?=" encoded-words (each at most 75 characters, split on character boundaries) when
// `text` is not printable ASCII; otherwise `text` unchanged.
std::string encode_header_words(const std::string& text);

// "Name <user@host>" -> "user@host"; a bare address is returned trimmed.
std::string bare_address(const std::string& mailbox);

// "Mon, 17 Jun 2024 09:00:00 +0000".
std::string format_rfc5322_date(TimePoint t);

std::string base64_encode(const std::string& bytes, std::size_t line_length = 76);

}  // namespace newswatch::alerts
