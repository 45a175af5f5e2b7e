#include <catch2/catch.hpp>

#include "load/report.hpp"

using namespace imap_mcp::load;
using json = nlohmann::json;

namespace {

run_result sample_run() {
  run_result r;
  r.started_utc = "2026-01-01T00:00:00Z";
  r.window_s = 2;
  auto& search = r.operations["imap_search_messages"];
  search.ok = 3;
  search.latencies_ms = {10, 20, 30};
  auto& page = r.operations["imap_search_messages+cursor"];
  page.ok = 1;
  page.latencies_ms = {40};
  page.errors["conflict"] = 1;
  page.latencies_ms.push_back(50);
  auto& get = r.operations["imap_get_message+pdf"];
  get.ok = 2;
  get.partial = 1;
  get.latencies_ms = {100, 200};
  get.transport_errors["timeout"] = 1;
  auto& init = r.operations["initialize"];
  init.ok = 4;
  init.latencies_ms = {1, 1, 1, 1};
  tree_monitor::tree_report p;
  p.role = "server";
  p.pid = 42;
  p.cpu_seconds = 1.5;
  p.peak_rss_kb = 20480;
  p.peak_pss_kb = 12288;
  p.root_hwm_kb = 20000;
  p.max_processes = 1;
  r.processes.push_back(p);
  r.harness_cpu_seconds = 0.25;
  r.ready_ms = 80;
  r.first_call_ms = 120;
  r.first_errors = {
      "imap_search_messages+cursor: conflict: mailbox snapshot changed; rerun search"};
  return r;
}

} // namespace

TEST_CASE("the report has every field the docs promise", "[load][report]") {
  load_options o = *parse_options({"--agents", "3"});
  const json j = build_report(sample_run(), o);
  for (const char* key : {"harness", "mode", "label", "started_utc", "config", "window_s",
                          "stopped_by", "totals", "tools", "operations", "processes",
                          "harness_cpu_seconds", "startup", "first_errors", "percentiles"})
    CHECK(j.contains(key));
  CHECK(j["mode"] == "http");
  CHECK(j["config"]["agents"] == 3);
  CHECK(j["config"]["mix"].contains("imap_search_messages"));
  CHECK_FALSE(j["config"]["mix"].contains("imap_update_message_flags")); // weight 0 is left out
  for (const auto& [name, s] : j["operations"].items()) {
    INFO(name);
    for (const char* key :
         {"count", "ok", "partial", "errors", "transport_errors", "throughput_per_s", "latency_ms"})
      CHECK(s.contains(key));
    for (const char* key : {"min", "mean", "p50", "p90", "p99", "max"})
      CHECK(s["latency_ms"].contains(key));
  }
  CHECK(j["processes"][0]["cpu_seconds"] == 1.5);
  CHECK(j["processes"][0]["peak_rss_kb"] == 20480);
  CHECK(j["processes"][0]["peak_pss_kb"] == 12288);
  CHECK(j["startup"]["ready_ms"] == 80);
  CHECK(j["startup"]["first_call_ms"] == 120);
}

TEST_CASE("tools aggregate their variants; totals count tool calls only", "[load][report]") {
  load_options o = *parse_options({});
  const json j = build_report(sample_run(), o);
  const auto& search = j["tools"]["imap_search_messages"];
  CHECK(search["count"] == 5); // 3 + 1 ok + 1 conflict
  CHECK(search["errors"]["conflict"] == 1);
  CHECK(search["latency_ms"]["max"] == 50);
  CHECK(search["latency_ms"]["p50"] == 30); // nearest rank over the merged 10,20,30,40,50
  CHECK(search["throughput_per_s"] == 2.5);
  const auto& get = j["tools"]["imap_get_message"];
  CHECK(get["count"] == 3);
  CHECK(get["partial"] == 1);
  CHECK(get["transport_errors"]["timeout"] == 1);
  CHECK_FALSE(j["tools"].contains("initialize"));
  CHECK(j["operations"]["initialize"]["count"] == 4);
  const auto& t = j["totals"];
  CHECK(t["calls"] == 8);
  CHECK(t["errors"] == 1);
  CHECK(t["transport_errors"] == 1);
  CHECK(t["throughput_per_s"] == 4);
  CHECK(t["latency_ms"]["max"] == 200);
}

TEST_CASE("an empty run reports zeros, not garbage", "[load][report]") {
  run_result r;
  load_options o = *parse_options({});
  const json j = build_report(r, o);
  CHECK(j["totals"]["calls"] == 0);
  CHECK(j["totals"]["throughput_per_s"] == 0);
  CHECK(j["tools"].empty());
  CHECK(j["startup"].empty());
}

TEST_CASE("the table shows every operation, the errors and the CPU split", "[load][report]") {
  load_options o = *parse_options({});
  const std::string t = render_table(build_report(sample_run(), o));
  for (const char* s :
       {"imap_search_messages+cursor", "imap_get_message+pdf", "initialize", "conflict=1",
        "transport: timeout=1", "all tool calls", "server (pid 42): 1.50 CPU s",
        "harness: 0.25 CPU s", "ready after 80.00 ms", "first tool answer after 120.00 ms",
        "mailbox snapshot changed"})
    CHECK_THAT(t, Catch::Contains(s));
}

TEST_CASE("idle-sessions report: bytes per session from the RSS difference", "[load][report]") {
  load_options o =
      *parse_options({"--mode", "idle-sessions", "--server-pid", "1", "--agents", "500"});
  idle_sessions_result r;
  r.requested = 500;
  r.opened = 500;
  r.rss_idle_kb = 20000;
  r.rss_with_sessions_kb = 23000;
  r.rss_after_close_kb = 22000;
  const json j = build_idle_report(r, o);
  CHECK(j["mode"] == "idle-sessions");
  CHECK(j["server"]["per_session_bytes"] == Approx(3000.0 * 1024 / 500));
  CHECK(j["sessions"]["opened"] == 500);
  CHECK_THAT(render_table(j), Catch::Contains("6144 bytes per idle session"));
  r.rss_with_sessions_kb = 19000; // memory went down (freed caches): no negative figure
  CHECK(build_idle_report(r, o)["server"]["per_session_bytes"] == 0);
}

TEST_CASE("the timeline has one entry per second with its calls, errors and p99",
          "[load][report][timeline]") {
  run_result r = sample_run();
  r.timeline_start_unix_ms = 1700000000000;
  auto& s0 = timeline_bucket(r.seconds, 0.2);
  s0.ok = 2;
  s0.latencies_ms = {10, 30};
  auto& s2 = timeline_bucket(r.seconds, 2.7);
  s2.ok = 1;
  s2.errors["internal"] = 2;
  s2.non_retryable = 1;
  s2.transport_errors["connect"] = 1;
  s2.latencies_ms = {5, 100, 7};
  const json j = build_report(r, *parse_options({}));
  CHECK(j["timeline_start_unix_ms"] == 1700000000000);
  const auto& t = j["timeline"];
  REQUIRE(t.size() == 3);
  CHECK(t[0]["t"] == 0);
  CHECK(t[0]["calls"] == 2);
  CHECK(t[0]["error_count"] == 0);
  CHECK(t[0]["p99_ms"] == 30);
  // The quiet second is there, with nothing in it.
  CHECK(t[1]["t"] == 1);
  CHECK(t[1]["calls"] == 0);
  CHECK(t[1]["p99_ms"] == 0);
  CHECK(t[2]["calls"] == 4); // 1 ok + 2 errors + 1 transport error
  CHECK(t[2]["ok"] == 1);
  CHECK(t[2]["errors"]["internal"] == 2);
  CHECK(t[2]["error_count"] == 2);
  CHECK(t[2]["non_retryable_errors"] == 1);
  CHECK(t[2]["transport_errors"]["connect"] == 1);
  CHECK(t[2]["p50_ms"] == 7);
  CHECK(t[2]["max_ms"] == 100);
}

TEST_CASE("non-retryable errors are counted per operation and in the totals", "[load][report]") {
  run_result r = sample_run();
  r.operations["imap_search_messages+cursor"].non_retryable = 1;
  const json j = build_report(r, *parse_options({}));
  CHECK(j["operations"]["imap_search_messages+cursor"]["non_retryable_errors"] == 1);
  CHECK(j["operations"]["imap_search_messages"]["non_retryable_errors"] == 0);
  CHECK(j["totals"]["non_retryable_errors"] == 1);
  CHECK(build_report(run_result{}, *parse_options({}))["timeline"].empty());
}
