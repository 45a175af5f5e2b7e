#include <catch2/catch.hpp>

#include "protocol/http/rate_limit.hpp"

using namespace imap_mcp::http;
using namespace std::chrono_literals;

TEST_CASE("a token bucket admits its burst, then refuses until it refills") {
  const auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket b(10, 10, t0);
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(b.try_take(t0).has_value());
  auto wait = b.try_take(t0);
  REQUIRE(wait.has_value());
  CHECK(*wait > 90ms);
  CHECK(*wait <= 100ms);
  CHECK(retry_after_seconds(*wait) == 1);
  // 100 ms later exactly one token is back.
  CHECK_FALSE(b.try_take(t0 + 100ms).has_value());
  CHECK(b.try_take(t0 + 100ms).has_value());
  // A long pause refills only up to the burst.
  const auto later = t0 + 1h;
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(b.try_take(later).has_value());
  CHECK(b.try_take(later).has_value());
}

TEST_CASE("a slow rate gives a Retry-After of whole seconds") {
  const auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket b(0.25, 1, t0);
  CHECK_FALSE(b.try_take(t0).has_value());
  auto wait = b.try_take(t0);
  REQUIRE(wait.has_value());
  CHECK(retry_after_seconds(*wait) == 4);
  CHECK(retry_after_seconds(0ms) == 1);
  CHECK(retry_after_seconds(1500ms) == 2);
}

TEST_CASE("a refused request takes nothing and time going backwards adds nothing") {
  const auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket b(1, 1, t0);
  CHECK_FALSE(b.try_take(t0).has_value());
  for (int i = 0; i < 5; ++i)
    CHECK(b.try_take(t0).has_value());
  CHECK(b.try_take(t0 - 10s).has_value());
  CHECK_FALSE(b.try_take(t0 + 1s).has_value());
}
