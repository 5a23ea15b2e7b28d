// The bridge from config validation to the alert engine's query parser.
#pragma once

#include <optional>
#include <string>

namespace newswatch::daemon {

// Returns a message (with the 1-based column of the problem) when `query` does not parse.
std::optional<std::string> validate_topic_query(const std::string& query);

}  // namespace newswatch::daemon
