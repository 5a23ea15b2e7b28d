// Error values shared by every stage: expected failures travel as Status or Result<T>, never as
// exceptions (STYLE.md, 'Errors use three channels'). Standard library only.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace newswatch {

enum class ErrorCode {
  invalid_argument,  // bad config, bad query, bad command-line value
  not_found,         // a lookup that must succeed did not (absence is a nullopt, not this)
  io_error,          // filesystem or RocksDB failure
  corruption,        // stored data that does not decode
  parse_error,       // malformed feed, HTML, TOML, JSON
  network,           // connect, DNS, TLS, reset
  http,              // a non-success HTTP status
  timeout,           // a deadline passed
  too_large,         // a size limit was hit
  refused,           // a policy said no (robots.txt, SSRF guard, scheme)
  unsupported,       // valid input we do not handle
  internal,          // a bug; logged loudly
};

// Returns the stable lower-case name of `code`, e.g. "parse_error".
const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;

  // "parse_error: feed.xml:3: unexpected end of document"
  std::string to_string() const;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// OK or an Error. Cheap to return when OK.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : m_error(std::move(error)), m_ok(false) {}  // NOLINT: implicit by design

  static Status ok_status() { return Status(); }

  bool ok() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  // REQUIRES: !ok()
  const Error& error() const {
    assert(!m_ok);
    return m_error;
  }
  std::string to_string() const { return m_ok ? "ok" : m_error.to_string(); }

 private:
  Error m_error;
  bool m_ok = true;
};

// A value or an Error, with std::expected's shape (has_value/value/error) so it can become an
// alias once the project moves to C++23.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return m_v.index() == 0; }
  explicit operator bool() const { return has_value(); }

  // REQUIRES: has_value()
  T& value() & {
    assert(has_value());
    return std::get<0>(m_v);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(m_v);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(m_v));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !has_value()
  const Error& error() const {
    assert(!has_value());
    return std::get<1>(m_v);
  }
  Status status() const { return has_value() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> m_v;
};

}  // namespace newswatch
