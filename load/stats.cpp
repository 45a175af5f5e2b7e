#include "load/stats.hpp"

#include <algorithm>
#include <cmath>

namespace imap_mcp::load {

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank: ceil(p/100 * n), at least 1. Computed in integers where possible so that
  // p 50 of 10 samples is rank 5 exactly, not 5.000000001 rounded up to 6.
  const auto n = static_cast<double>(sorted.size());
  double exact = p / 100.0 * n;
  auto rank = static_cast<std::size_t>(std::ceil(exact - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

latency_summary summarize(std::vector<double>& samples) {
  latency_summary s;
  s.count = samples.size();
  if (samples.empty())
    return s;
  std::sort(samples.begin(), samples.end());
  double sum = 0;
  for (double v : samples)
    sum += v;
  s.min_ms = samples.front();
  s.max_ms = samples.back();
  s.mean_ms = sum / static_cast<double>(samples.size());
  s.p50_ms = percentile(samples, 50);
  s.p90_ms = percentile(samples, 90);
  s.p99_ms = percentile(samples, 99);
  return s;
}

std::uint64_t op_stats::count() const {
  return ok + failures();
}

std::uint64_t op_stats::failures() const {
  std::uint64_t n = 0;
  for (const auto& [_, v] : errors)
    n += v;
  for (const auto& [_, v] : transport_errors)
    n += v;
  return n;
}

void op_stats::merge(const op_stats& other) {
  ok += other.ok;
  partial += other.partial;
  non_retryable += other.non_retryable;
  for (const auto& [k, v] : other.errors)
    errors[k] += v;
  for (const auto& [k, v] : other.transport_errors)
    transport_errors[k] += v;
  latencies_ms.insert(latencies_ms.end(), other.latencies_ms.begin(), other.latencies_ms.end());
}

void merge_into(stats_table& into, const stats_table& from) {
  for (const auto& [name, s] : from)
    into[name].merge(s);
}

op_stats& timeline_bucket(timeline& t, double seconds) {
  // !(x > 0) also catches NaN: such a call belongs to the first second, not to entry 2^64.
  const auto index = !(seconds > 0) ? std::size_t{0} : static_cast<std::size_t>(std::floor(seconds));
  if (t.size() <= index)
    t.resize(index + 1);
  return t[index];
}

void merge_timeline(timeline& into, const timeline& from) {
  if (into.size() < from.size())
    into.resize(from.size());
  for (std::size_t i = 0; i < from.size(); ++i)
    into[i].merge(from[i]);
}

std::string tool_of(const std::string& operation) {
  return operation.substr(0, operation.find('+'));
}

} // namespace imap_mcp::load
