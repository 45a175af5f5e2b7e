#pragma once

#include <chrono>
#include <optional>

namespace imap_mcp::http {

/// A token bucket: holds at most `burst` tokens, refills `rate_per_second` per second, and
/// each admitted request takes one. Time is passed in, so it is testable without sleeping.
class token_bucket {
public:
  using clock = std::chrono::steady_clock;

  /// A full bucket as of `now`. `rate_per_second` and `burst` must be positive.
  token_bucket(double rate_per_second, double burst, clock::time_point now);

  /// Takes a token if one is available; otherwise returns how long until one will be
  /// (the caller answers 429 with that as `Retry-After`) and takes nothing.
  std::optional<clock::duration> try_take(clock::time_point now);

  /// Tokens available as of the last call (for tests and metrics).
  double available() const { return tokens_; }

private:
  void refill(clock::time_point now);

  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

/// Whole seconds for a `Retry-After` header: the wait rounded up, at least 1.
long long retry_after_seconds(std::chrono::steady_clock::duration wait);

} // namespace imap_mcp::http
