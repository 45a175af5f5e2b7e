#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "load/options.hpp"
#include "load/proc.hpp"
#include "load/stats.hpp"

/// The harness's results: the JSON report and the readable table.
namespace imap_mcp::load {

/// Everything a load run measured.
struct run_result {
  std::string started_utc;
  /// Per operation (tool, variant, or protocol step: "initialize", "tools/list").
  stats_table operations;
  /// Seconds over which throughput is computed (from the end of the warm-up to the stop).
  double window_s = 0;
  /// Why the run stopped: "duration" or "max_requests".
  std::string stopped_by = "duration";
  /// Calls cut off by the hard stop (their agents did not finish within the grace period).
  std::uint64_t aborted_calls = 0;
  /// Calls started during the warm-up (not in the statistics).
  std::uint64_t warmup_calls = 0;
  std::vector<tree_monitor::tree_report> processes;
  double harness_cpu_seconds = 0;
  /// Spawned server: from spawning to ready (HTTP /healthz answered, stdio initialize
  /// answered), and to the first answered tools/call.
  std::optional<double> ready_ms, first_call_ms;
  /// The first distinct failures, for a human to read.
  std::vector<std::string> first_errors;
  /// Tool calls per second of the whole run (ramp-up and warm-up included).
  timeline seconds;
  /// The wall-clock time of the timeline's origin, Unix ms.
  std::int64_t timeline_start_unix_ms = 0;
};

/// Whether an operation is a tool call (counted in totals) rather than a protocol step.
bool is_tool_operation(const std::string& operation);

/// The report's timeline entries: {t, calls, ok, partial, errors, non_retryable_errors,
/// transport_errors, p50_ms, p99_ms, max_ms} per second, t the second's start.
nlohmann::json timeline_json(const timeline& seconds);

/// The JSON report of a load run (see docs/load-harness.md for the fields).
nlohmann::json build_report(const run_result& result, const load_options& options);

/// Figures of an idle-sessions run.
struct idle_sessions_result {
  std::string started_utc;
  int requested = 0;
  int opened = 0;
  std::uint64_t rss_idle_kb = 0;
  std::uint64_t rss_with_sessions_kb = 0;
  std::uint64_t rss_after_close_kb = 0;
  double open_seconds = 0;
  std::vector<std::string> first_errors;
};

/// The JSON report of an idle-sessions run.
nlohmann::json build_idle_report(const idle_sessions_result& result, const load_options& options);

/// A readable table of a report (from its JSON, so both always agree).
std::string render_table(const nlohmann::json& report);

/// Mode name as in --mode.
const char* mode_name(run_mode mode);

} // namespace imap_mcp::load
