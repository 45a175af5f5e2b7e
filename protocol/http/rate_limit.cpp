#include "protocol/http/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace imap_mcp::http {

token_bucket::token_bucket(double rate_per_second, double burst, clock::time_point now)
    : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

void token_bucket::refill(clock::time_point now) {
  if (now <= last_)
    return; // a clock that does not advance never adds tokens
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  last_ = now;
}

std::optional<token_bucket::clock::duration> token_bucket::try_take(clock::time_point now) {
  refill(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return std::nullopt;
  }
  const double wait_s = (1.0 - tokens_) / rate_;
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(wait_s));
}

long long retry_after_seconds(std::chrono::steady_clock::duration wait) {
  const double s = std::chrono::duration<double>(wait).count();
  return std::max<long long>(1, static_cast<long long>(std::ceil(s)));
}

} // namespace imap_mcp::http
