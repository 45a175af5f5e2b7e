#include <catch2/catch.hpp>

#include <set>

#include "protocol/http/session_id.hpp"
#include "protocol/http/sessions.hpp"

using namespace imap_mcp::http;
using namespace std::chrono_literals;

TEST_CASE("sessions are found only with the token that created them") {
  session_table<int> t(10, 60s);
  const auto now = session_table<int>::clock::now();
  t.add("s1", 1, std::size_t{0}, "2025-11-25", now);
  t.add("s2", 2, std::nullopt, "2025-03-26", now);
  REQUIRE(t.find("s1", std::size_t{0}) != nullptr);
  CHECK(t.find("s1", std::size_t{0})->handle == 1);
  CHECK(t.find("s1", std::size_t{1}) == nullptr);
  CHECK(t.find("s1", std::nullopt) == nullptr);
  CHECK(t.find("s2", std::nullopt)->protocol_version == "2025-03-26");
  CHECK(t.find("nope", std::size_t{0}) == nullptr);
  CHECK(t.erase("s1") == std::optional<int>(1));
  CHECK_FALSE(t.erase("s1"));
  CHECK(t.size() == 1);
}

TEST_CASE("idle sessions expire unless a request is in flight") {
  session_table<int> t(10, 60s);
  const auto t0 = session_table<int>::clock::now();
  t.add("idle", 1, std::nullopt, "v", t0);
  t.add("busy", 2, std::nullopt, "v", t0).in_flight = 1;
  t.add("fresh", 3, std::nullopt, "v", t0 + 30s);
  CHECK(t.expire(t0 + 60s).empty());
  auto gone = t.expire(t0 + 61s);
  CHECK(gone == std::vector<int>{1});
  CHECK(t.size() == 2);
  t.find("busy", std::nullopt)->in_flight = 0;
  gone = t.expire(t0 + 120s);
  CHECK(std::set<int>(gone.begin(), gone.end()) == std::set<int>{2, 3});
  CHECK(t.size() == 0);
}

TEST_CASE("the table reports when it is full") {
  session_table<int> t(2, 60s);
  const auto now = session_table<int>::clock::now();
  t.add("a", 1, std::nullopt, "v", now);
  CHECK_FALSE(t.full());
  t.add("b", 2, std::nullopt, "v", now);
  CHECK(t.full());
  CHECK(t.clear().size() == 2);
  CHECK_FALSE(t.full());
}

TEST_CASE("session ids are 128-bit random hex and junk ids are recognised") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_session_id();
    REQUIRE(id.ok());
    CHECK(id->size() == 32);
    CHECK(well_formed_session_id(*id));
    seen.insert(*id);
  }
  CHECK(seen.size() == 1000);
  CHECK_FALSE(well_formed_session_id(""));
  CHECK_FALSE(well_formed_session_id("0123456789ABCDEF0123456789abcdef"));
  CHECK_FALSE(well_formed_session_id("0123456789abcdef0123456789abcde"));
  CHECK_FALSE(well_formed_session_id("0123456789abcdef0123456789abcdef0"));
  CHECK_FALSE(well_formed_session_id("../../../etc/passwd"));
}
