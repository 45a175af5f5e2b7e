#include <catch2/catch.hpp>

#include "load/stats.hpp"

#include <cmath>

using namespace imap_mcp::load;

TEST_CASE("percentile is the nearest rank over every sample", "[load][stats]") {
  const std::vector<double> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  struct row {
    double p;
    double expected;
  };
  // ceil(p/100 * n): p50 of 10 is the 5th sample, p90 the 9th, p91 the 10th.
  const std::vector<row> rows = {{0, 1},    {1, 1},  {10, 1},    {11, 2},  {50, 5},
                                 {50.1, 6}, {90, 9}, {90.5, 10}, {99, 10}, {100, 10}};
  for (const auto& r : rows) {
    INFO("p" << r.p);
    CHECK(percentile(ten, r.p) == r.expected);
  }
}

TEST_CASE("percentile edge cases: no sample, one sample, out-of-range p", "[load][stats]") {
  CHECK(percentile({}, 50) == 0);
  const std::vector<double> one = {7.5};
  for (double p : {0.0, 50.0, 99.0, 100.0})
    CHECK(percentile(one, p) == 7.5);
  const std::vector<double> two = {1, 3};
  CHECK(percentile(two, -5) == 1);
  CHECK(percentile(two, 250) == 3);
  CHECK(percentile(two, 50) == 1);
  CHECK(percentile(two, 51) == 3);
}

TEST_CASE("ties: the percentile is a sample value, never an interpolation", "[load][stats]") {
  const std::vector<double> ties = {2, 2, 2, 2, 9};
  CHECK(percentile(ties, 50) == 2);
  CHECK(percentile(ties, 80) == 2);
  CHECK(percentile(ties, 81) == 9);
  CHECK(percentile(ties, 100) == 9);
}

TEST_CASE("p99 of 1,000 samples ignores only the top 10", "[load][stats]") {
  std::vector<double> v;
  for (int i = 1000; i >= 1; --i)
    v.push_back(i); // unsorted on purpose
  auto s = summarize(v);
  CHECK(s.count == 1000);
  CHECK(s.min_ms == 1);
  CHECK(s.p50_ms == 500);
  CHECK(s.p90_ms == 900);
  CHECK(s.p99_ms == 990);
  CHECK(s.max_ms == 1000);
  CHECK(s.mean_ms == Approx(500.5));
}

TEST_CASE("summarize of nothing is all zeros", "[load][stats]") {
  std::vector<double> none;
  auto s = summarize(none);
  CHECK(s.count == 0);
  CHECK(s.p99_ms == 0);
  CHECK(s.max_ms == 0);
}

TEST_CASE("merging agents' stats keeps every sample and every error", "[load][stats]") {
  stats_table a, b;
  a["imap_search_messages"].ok = 2;
  a["imap_search_messages"].latencies_ms = {1, 2};
  a["imap_search_messages"].errors["timeout"] = 1;
  b["imap_search_messages"].ok = 1;
  b["imap_search_messages"].latencies_ms = {3};
  b["imap_search_messages"].errors["timeout"] = 2;
  b["imap_search_messages"].transport_errors["http_503"] = 4;
  b["imap_get_message"].ok = 5;
  merge_into(a, b);
  const auto& s = a["imap_search_messages"];
  CHECK(s.ok == 3);
  CHECK(s.latencies_ms.size() == 3);
  CHECK(s.errors.at("timeout") == 3);
  CHECK(s.transport_errors.at("http_503") == 4);
  CHECK(s.count() == 3 + 3 + 4);
  CHECK(s.failures() == 7);
  CHECK(a["imap_get_message"].ok == 5);
}

TEST_CASE("tool_of strips the variant", "[load][stats]") {
  CHECK(tool_of("imap_get_message+pdf") == "imap_get_message");
  CHECK(tool_of("imap_search_messages+cursor") == "imap_search_messages");
  CHECK(tool_of("imap_list_accounts") == "imap_list_accounts");
}

TEST_CASE("timeline buckets a call by the second it completed in", "[load][stats][timeline]") {
  struct row {
    double seconds;
    std::size_t entry;
  };
  // [i, i+1): a call at exactly 1.0 s belongs to the second second; before the origin (or NaN)
  // to the first.
  const std::vector<row> rows = {{0.0, 0},  {0.999, 0}, {1.0, 1},    {1.5, 1},
                                 {59.99, 59}, {-0.2, 0},  {std::nan(""), 0}};
  for (const auto& r : rows) {
    INFO("at " << r.seconds << " s");
    timeline t;
    ++timeline_bucket(t, r.seconds).ok;
    REQUIRE(t.size() == r.entry + 1);
    CHECK(t[r.entry].ok == 1);
    std::uint64_t elsewhere = 0;
    for (std::size_t i = 0; i < r.entry; ++i)
      elsewhere += t[i].count();
    CHECK(elsewhere == 0);
  }
}

TEST_CASE("timeline keeps quiet seconds and merges entry by entry", "[load][stats][timeline]") {
  timeline a;
  ++timeline_bucket(a, 0.5).ok;
  ++timeline_bucket(a, 3.2).errors["timeout"];
  REQUIRE(a.size() == 4); // seconds 1 and 2 had no call but are there, empty
  CHECK(a[1].count() == 0);
  CHECK(a[2].count() == 0);

  timeline b;
  ++timeline_bucket(b, 0.1).ok;
  ++timeline_bucket(b, 5.0).transport_errors["connect"];
  merge_timeline(a, b);
  REQUIRE(a.size() == 6);
  CHECK(a[0].ok == 2);
  CHECK(a[3].errors.at("timeout") == 1);
  CHECK(a[5].transport_errors.at("connect") == 1);
  CHECK(a[4].count() == 0);

  // Merging a shorter timeline leaves the longer one's length alone.
  timeline c;
  ++timeline_bucket(c, 1.0).ok;
  merge_timeline(a, c);
  CHECK(a.size() == 6);
  CHECK(a[1].ok == 1);
}

TEST_CASE("non-retryable errors are merged with the rest", "[load][stats]") {
  op_stats a, b;
  a.errors["internal"] = 2;
  a.non_retryable = 1;
  b.errors["timeout"] = 3;
  b.non_retryable = 0;
  a.merge(b);
  CHECK(a.non_retryable == 1);
  CHECK(a.failures() == 5);
}
