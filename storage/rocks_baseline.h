// A floor for ingest benchmarks (bench/ingest_bench): the cost of writing the same bytes to a bare
// RocksDB, without dedup, fingerprints or search index. Not used by the daemon.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace newswatch::storage {

// Writes each (key, value) of `records` as one Put in its own unsynced write (WAL on) to a new
// database at `path` (must not exist), with the compression the store uses for article bodies
// (LZ4), and returns the seconds the writes took (open and close excluded).
Result<double> time_raw_puts(const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& records);

}  // namespace newswatch::storage
