// `newswatch alerts --retry ID|--all-dead`: which dead-lettered alerts to requeue, and how the
// request reaches a running daemon (which holds the database): a small file in the directory
// "<storage.path>.requests", taken by the daemon's delivery worker within seconds.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "storage/records.h"

namespace newswatch::daemon {

struct RetryRequest {
  bool all_dead = false;
  // Idempotency keys (as `newswatch alerts` prints them), bundle ids or article ids.
  std::vector<std::string> ids;

  bool selects(const storage::OutboxRecord& record) const;
  // "all-dead" or the ids, space-separated: the file's content and the log's words.
  std::string text() const;
  static RetryRequest parse(const std::string& text);
};

// "<db_path>.requests".
std::string requests_dir(const std::string& db_path);

// Writes `request` atomically (temporary file, then rename) into requests_dir(db_path).
Status write_retry_request(const std::string& db_path, const RetryRequest& request);

// Reads and deletes every request file; none when the directory does not exist.
std::vector<RetryRequest> take_retry_requests(const std::string& db_path);

}  // namespace newswatch::daemon
