// gzip (RFC 1952) decompression for sitemaps served as .xml.gz. A small self-contained inflater
// (RFC 1951) because parsers/ does not link zlib. Pure function, any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace newswatch::parsers {

// Largest decompressed document parse_feed accepts: sitemaps are capped at 50 MB uncompressed by
// the protocol. Default 64 MiB.
inline constexpr size_t k_max_inflated_size = size_t{64} << 20;

// Decompresses every member of a gzip stream. A truncated stream yields what was decoded so far;
// parse_error for a bad header or corrupt data before any output, too_large past `max_size`.
Result<std::string> gunzip(std::string_view bytes, size_t max_size);

}  // namespace newswatch::parsers
