#include "core/result.h"

namespace newswatch {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::corruption: return "corruption";
    case ErrorCode::parse_error: return "parse_error";
    case ErrorCode::network: return "network";
    case ErrorCode::http: return "http";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::too_large: return "too_large";
    case ErrorCode::refused: return "refused";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const { return std::string(error_code_name(code)) + ": " + message; }

}  // namespace newswatch
