#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

/// Latency statistics of the load harness: every sample is kept, percentiles are exact.
namespace imap_mcp::load {

/// Nearest-rank percentile of ascending `sorted` samples: the smallest sample such that at
/// least p percent of all samples are <= it. p is clamped to [0, 100]; p 0 gives the minimum,
/// p 100 the maximum; an empty vector gives 0.
double percentile(const std::vector<double>& sorted, double p);

/// The summary of one set of latencies, in milliseconds.
struct latency_summary {
  std::size_t count = 0;
  double min_ms = 0, mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};

/// Summarizes samples (sorts them in place).
latency_summary summarize(std::vector<double>& samples);

/// What happened to one operation (a tool, a variant of a tool such as a cursor page, or a
/// protocol step such as initialize), over the measured window.
struct op_stats {
  /// Calls that got a usable answer (ok or partial) and calls that failed, all timed.
  std::uint64_t ok = 0;
  /// Soft results with data.status "partial" (counted in ok as well: the call was answered).
  std::uint64_t partial = 0;
  /// Failed calls by the MCP result's error code: a hard error's error.code ("invalid_input",
  /// "timeout"...), "failed:<issue code>" for a soft failure, "rpc:<code>" for a JSON-RPC error.
  std::map<std::string, std::uint64_t> errors;
  /// Of those errors, the answers that did not mark themselves retryable (a hard error without
  /// details.retryable true, a soft failure with an issue whose retryable is not true, a
  /// JSON-RPC error): what an agent cannot simply try again.
  std::uint64_t non_retryable = 0;
  /// Calls without an MCP answer, by kind ("http_503", "timeout", "closed", "connect"...).
  std::map<std::string, std::uint64_t> transport_errors;
  /// Latency of every answered call (ok and errors), ms.
  std::vector<double> latencies_ms;

  /// ok + errors + transport errors.
  std::uint64_t count() const;
  /// errors + transport errors.
  std::uint64_t failures() const;
  /// Adds another agent's numbers to these.
  void merge(const op_stats& other);
};

/// Operation name -> stats, e.g. "imap_search_messages", "imap_search_messages+cursor".
using stats_table = std::map<std::string, op_stats>;

/// Merges `from` into `into`.
void merge_into(stats_table& into, const stats_table& from);

/// Tool calls second by second: entry i covers the calls that completed in [i, i+1) seconds
/// after the timeline's origin (the start of the run).
using timeline = std::vector<op_stats>;

/// The entry of a call that completed `seconds` after the origin (negative or NaN: entry 0),
/// appending empty entries up to it so that seconds without calls are present too.
op_stats& timeline_bucket(timeline& t, double seconds);

/// Merges `from` into `into` entry by entry (`into` grows to the longer length).
void merge_timeline(timeline& into, const timeline& from);

/// The tool an operation belongs to: the name before '+' ("imap_get_message+pdf" ->
/// "imap_get_message").
std::string tool_of(const std::string& operation);

} // namespace imap_mcp::load
