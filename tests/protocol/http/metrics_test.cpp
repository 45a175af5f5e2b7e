#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "protocol/http/metrics.hpp"

using namespace imap_mcp::http;
using namespace std::chrono_literals;

namespace {

/// The value of the sample line that starts with `series` followed by a blank.
std::string value_of(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(series + " ", 0) == 0)
      return line.substr(series.size() + 1);
  return "<missing>";
}

} // namespace

TEST_CASE("metrics render counters, gauges and a cumulative histogram") {
  metrics_registry m({0.01, 0.1, 1});
  m.count_response(200);
  m.count_response(200);
  m.count_response(404);
  m.count_call("imap_list_accounts", "ok", 5ms);
  m.count_call("imap_list_accounts", "ok", 50ms);
  m.count_call("imap_list_accounts", "error", 2s);
  m.count_call("imap_get_message", "partial", 500ms);
  m.count_session_created();
  m.count_session_expired();
  m.count_rate_limited();
  std::vector<account_snapshot> accounts{{"default", true, 3, 1, 2, 4},
                                         {"work", false, 0, 0, 0, 0}};
  auto text = m.render({5, 7, 2, false}, accounts);

  CHECK(value_of(text, R"(imap_mcp_http_requests_total{code="200"})") == "2");
  CHECK(value_of(text, R"(imap_mcp_http_requests_total{code="404"})") == "1");
  CHECK(value_of(text, "imap_mcp_sessions") == "5");
  CHECK(value_of(text, "imap_mcp_http_connections") == "7");
  CHECK(value_of(text, "imap_mcp_calls_in_flight") == "2");
  CHECK(value_of(text, "imap_mcp_sessions_created_total") == "1");
  CHECK(value_of(text, "imap_mcp_sessions_expired_total") == "1");
  CHECK(value_of(text, "imap_mcp_http_rate_limited_total") == "1");
  CHECK(value_of(text, R"(imap_mcp_tool_calls_total{tool="imap_list_accounts",status="ok"})") ==
        "2");
  CHECK(value_of(text, R"(imap_mcp_tool_calls_total{tool="imap_list_accounts",status="error"})") ==
        "1");
  CHECK(value_of(
            text,
            R"(imap_mcp_tool_call_duration_seconds_bucket{tool="imap_list_accounts",le="0.01"})") ==
        "1");
  CHECK(value_of(
            text,
            R"(imap_mcp_tool_call_duration_seconds_bucket{tool="imap_list_accounts",le="0.1"})") ==
        "2");
  CHECK(
      value_of(text,
               R"(imap_mcp_tool_call_duration_seconds_bucket{tool="imap_list_accounts",le="1"})") ==
      "2");
  CHECK(value_of(
            text,
            R"(imap_mcp_tool_call_duration_seconds_bucket{tool="imap_list_accounts",le="+Inf"})") ==
        "3");
  CHECK(value_of(text, R"(imap_mcp_tool_call_duration_seconds_count{tool="imap_list_accounts"})") ==
        "3");
  CHECK(value_of(text, R"(imap_mcp_tool_call_duration_seconds_sum{tool="imap_list_accounts"})") ==
        "2.055");
  CHECK(value_of(text, R"(imap_mcp_imap_connections{account="default"})") == "3");
  CHECK(value_of(text, R"(imap_mcp_imap_busy{account="default"})") == "1");
  CHECK(value_of(text, R"(imap_mcp_imap_queued{account="default"})") == "2");
  CHECK(value_of(text, R"(imap_mcp_imap_restarts_total{account="default"})") == "4");
  CHECK(value_of(text, R"(imap_mcp_imap_stats_available{account="default"})") == "1");
  // An account that did not answer shows as unavailable, without made-up numbers.
  CHECK(value_of(text, R"(imap_mcp_imap_stats_available{account="work"})") == "0");
  CHECK(value_of(text, R"(imap_mcp_imap_connections{account="work"})") == "<missing>");
  CHECK(text.find("# TYPE imap_mcp_tool_call_duration_seconds histogram\n") != std::string::npos);
  CHECK(text.find("# TYPE imap_mcp_http_requests_total counter\n") != std::string::npos);
  CHECK(m.responses(200) == 2);
}

TEST_CASE("every sample line is well formed") {
  metrics_registry m({0.5});
  m.count_response(200);
  m.count_call("t", "ok", 1ms);
  auto text = m.render({}, {});
  std::istringstream in(text);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    REQUIRE_FALSE(line.empty());
    if (line[0] == '#') {
      CHECK((line.rfind("# HELP imap_mcp_", 0) == 0 || line.rfind("# TYPE imap_mcp_", 0) == 0));
      continue;
    }
    ++samples;
    auto blank = line.rfind(' ');
    REQUIRE(blank != std::string::npos);
    CHECK(line.rfind("imap_mcp_", 0) == 0);
    CHECK_NOTHROW(std::stod(line.substr(blank + 1)));
  }
  CHECK(samples > 10);
  CHECK(text.back() == '\n');
}

TEST_CASE("label values are escaped and tool labels are bounded") {
  CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  metrics_registry m({1}, 2);
  m.count_call("one", "ok", 1ms);
  m.count_call("two", "ok", 1ms);
  m.count_call("three", "ok", 1ms);
  m.count_call("four", "ok", 1ms);
  m.count_call("one", "ok", 1ms);
  auto text = m.render({}, {});
  CHECK(value_of(text, R"(imap_mcp_tool_calls_total{tool="one",status="ok"})") == "2");
  CHECK(value_of(text, R"(imap_mcp_tool_calls_total{tool="_other",status="ok"})") == "2");
  CHECK(text.find("tool=\"three\"") == std::string::npos);
}
