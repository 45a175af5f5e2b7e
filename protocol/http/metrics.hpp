#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imap_mcp::http {

/// One account's IMAP pool as reported by its supervisor (`available` false when it did
/// not answer in time: its numbers are then left out).
struct account_snapshot {
  std::string account;
  bool available = false;
  int connections = 0;
  int busy = 0;
  int queued = 0;
  long long restarts = 0;
};

/// Values read at scrape time rather than counted.
struct metrics_gauges {
  std::size_t sessions = 0;
  std::size_t connections = 0;
  std::size_t calls_in_flight = 0;
  bool draining = false;
};

/// Counters of the HTTP server, rendered in the Prometheus text exposition format
/// (version 0.0.4). Label values are bounded: at most `max_label_values` distinct tools
/// are tracked, further ones are counted as "_other".
class metrics_registry {
public:
  /// `buckets_seconds`: ascending upper bounds of the tool-call latency histogram.
  explicit metrics_registry(std::vector<double> buckets_seconds, std::size_t max_label_values = 64);

  /// One HTTP response with that status code.
  void count_response(int status);
  /// One finished tools/call: `status` is ok, partial, failed (the envelope's data.status),
  /// error (isError result) or rpc_error (JSON-RPC error).
  void count_call(std::string_view tool, std::string_view status,
                  std::chrono::steady_clock::duration latency);
  void count_session_created() { ++sessions_created_; }
  void count_session_expired() { ++sessions_expired_; }
  void count_session_rejected() { ++sessions_rejected_; }
  void count_rate_limited() { ++rate_limited_; }

  /// The whole exposition text.
  std::string render(const metrics_gauges& gauges,
                     std::span<const account_snapshot> accounts) const;

  /// Responses counted for a status code (for tests).
  std::uint64_t responses(int status) const;

private:
  struct histogram {
    std::vector<std::uint64_t> counts; ///< per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::string bounded_tool(std::string_view tool) const;

  std::vector<double> buckets_;
  std::size_t max_label_values_;
  std::map<int, std::uint64_t> responses_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> calls_;
  std::map<std::string, histogram> latency_;
  std::uint64_t sessions_created_ = 0;
  std::uint64_t sessions_expired_ = 0;
  std::uint64_t sessions_rejected_ = 0;
  std::uint64_t rate_limited_ = 0;
};

/// Escapes a label value for the text format (backslash, double quote, line feed).
std::string escape_label_value(std::string_view value);

} // namespace imap_mcp::http
