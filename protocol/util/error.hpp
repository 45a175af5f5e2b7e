#pragma once

#include <string>
#include <utility>
#include <variant>

namespace imap_mcp {

/// The one error model of the server (contract section 2).
enum class error_code { invalid_input, auth_failed, not_found, timeout, conflict, internal };

/// Stable wire name of an error code, e.g. "invalid_input".
const char* to_string(error_code code);

/// Human prefix that starts every error message of that code, e.g. "invalid input: ".
const char* message_prefix(error_code code);

/// A failure with the human context from the point where it happened.
struct failure {
  error_code code = error_code::internal;
  /// Context without the code prefix, e.g. "account 'x' is not configured".
  std::string message;
  /// Whether repeating the same call may succeed (timeouts, dropped connections).
  bool retryable = false;
  /// Which step failed, e.g. "connect", "login", "select", "fetch".
  std::string stage;

  /// The message with its readable prefix, as shown to clients.
  std::string full_message() const { return message_prefix(code) + message; }
};

inline failure make_failure(error_code code, std::string message, std::string stage = {},
                            bool retryable = false) {
  return failure{code, std::move(message), retryable, std::move(stage)};
}

/// A value or a failure; small stand-in for std::expected (C++23).
template <class T>
class result {
public:
  result(T value) : v_(std::move(value)) {}
  result(failure f) : v_(std::move(f)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const failure& error() const { return std::get<1>(v_); }

private:
  std::variant<T, failure> v_;
};

/// Success-or-failure without a value.
struct unit {};
using status = result<unit>;
inline status ok_status() { return unit{}; }

} // namespace imap_mcp
