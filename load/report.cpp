#include "load/report.hpp"

#include <cstdio>
#include <sstream>

#include "config/version.hpp"

namespace imap_mcp::load {

using json = nlohmann::json;

namespace {

json latency_json(std::vector<double> samples) {
  auto s = summarize(samples);
  return {{"min", s.min_ms}, {"mean", s.mean_ms}, {"p50", s.p50_ms},
          {"p90", s.p90_ms}, {"p99", s.p99_ms},   {"max", s.max_ms}};
}

json stats_json(const op_stats& s, double window_s) {
  const auto n = s.count();
  return {{"count", n},
          {"ok", s.ok},
          {"partial", s.partial},
          {"errors", s.errors},
          {"non_retryable_errors", s.non_retryable},
          {"transport_errors", s.transport_errors},
          {"throughput_per_s", window_s > 0 ? static_cast<double>(n) / window_s : 0.0},
          {"latency_ms", latency_json(s.latencies_ms)}};
}

std::string fmt(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string pad(const std::string& s, std::size_t width, bool right = false) {
  if (s.size() >= width)
    return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string error_list(const json& m) {
  std::string out;
  for (const auto& [k, v] : m.items())
    out += (out.empty() ? "" : " ") + k + "=" + std::to_string(v.get<std::uint64_t>());
  return out;
}

} // namespace

const char* mode_name(run_mode mode) {
  switch (mode) {
  case run_mode::http:
    return "http";
  case run_mode::stdio:
    return "stdio";
  case run_mode::raw_imap:
    return "raw-imap";
  case run_mode::idle_sessions:
    return "idle-sessions";
  }
  return "?";
}

bool is_tool_operation(const std::string& operation) {
  return operation.rfind("imap_", 0) == 0;
}

namespace {

json config_json(const load_options& o) {
  json mix = json::object();
  for (const auto& [op, w] : o.mix)
    if (w > 0)
      mix[tool_name(op)] = w;
  json c = {{"agents", o.agents},
            {"duration_s", o.duration_s},
            {"ramp_up_s", o.ramp_up_s},
            {"warmup_s", o.warmup_s},
            {"think_ms", o.think_ms},
            {"max_requests", o.max_requests},
            {"mix", mix},
            {"account_id", o.account_id},
            {"mailbox", o.mailbox},
            {"search_limit", o.search_limit},
            {"page_fraction", o.page_fraction},
            {"pdf_fraction", o.pdf_fraction},
            {"allow_writes", o.allow_writes},
            {"request_timeout_ms", o.request_timeout_ms},
            {"seed", o.seed}};
  if (o.message_uid)
    c["message_uid"] = *o.message_uid;
  if (o.mode == run_mode::http || o.mode == run_mode::idle_sessions)
    c["url"] = o.url;
  if (o.mode == run_mode::stdio)
    c["servers"] = o.servers;
  if (!o.spawn_server.empty())
    c["spawned_server"] = true;
  return c;
}

} // namespace

json timeline_json(const timeline& seconds) {
  json out = json::array();
  for (std::size_t i = 0; i < seconds.size(); ++i) {
    const auto& s = seconds[i];
    std::uint64_t errors = 0;
    for (const auto& [_, v] : s.errors)
      errors += v;
    auto samples = s.latencies_ms;
    const auto l = summarize(samples);
    out.push_back({{"t", i},
                   {"calls", s.count()},
                   {"ok", s.ok},
                   {"partial", s.partial},
                   {"errors", s.errors},
                   {"error_count", errors},
                   {"non_retryable_errors", s.non_retryable},
                   {"transport_errors", s.transport_errors},
                   {"p50_ms", l.p50_ms},
                   {"p99_ms", l.p99_ms},
                   {"max_ms", l.max_ms}});
  }
  return out;
}

json build_report(const run_result& r, const load_options& o) {
  json report = {{"harness", {{"name", "imap-mcp-load"}, {"version", version}}},
                 {"mode", mode_name(o.mode)},
                 {"label", o.label},
                 {"started_utc", r.started_utc},
                 {"config", config_json(o)},
                 {"window_s", r.window_s},
                 {"stopped_by", r.stopped_by},
                 {"percentiles", "nearest rank over every sample"}};

  stats_table tools;
  op_stats total;
  json operations = json::object();
  for (const auto& [name, s] : r.operations) {
    operations[name] = stats_json(s, r.window_s);
    if (!is_tool_operation(name))
      continue;
    tools[tool_of(name)].merge(s);
    total.merge(s);
  }
  json tools_json = json::object();
  for (const auto& [name, s] : tools)
    tools_json[name] = stats_json(s, r.window_s);
  std::uint64_t errors = 0, transport = 0;
  for (const auto& [_, v] : total.errors)
    errors += v;
  for (const auto& [_, v] : total.transport_errors)
    transport += v;
  report["totals"] = {
      {"calls", total.count()},
      {"ok", total.ok},
      {"partial", total.partial},
      {"errors", errors},
      {"non_retryable_errors", total.non_retryable},
      {"transport_errors", transport},
      {"aborted_calls", r.aborted_calls},
      {"warmup_calls", r.warmup_calls},
      {"throughput_per_s", r.window_s > 0 ? static_cast<double>(total.count()) / r.window_s : 0.0},
      {"latency_ms", latency_json(total.latencies_ms)}};
  report["tools"] = tools_json;
  report["operations"] = operations;

  json procs = json::array();
  for (const auto& p : r.processes)
    procs.push_back({{"role", p.role},
                     {"pid", p.pid},
                     {"cpu_seconds", p.cpu_seconds},
                     {"peak_rss_kb", p.peak_rss_kb},
                     {"peak_pss_kb", p.peak_pss_kb},
                     {"root_hwm_kb", p.root_hwm_kb},
                     {"end_rss_kb", p.end_rss_kb},
                     {"max_processes", p.max_processes},
                     {"vanished", p.vanished}});
  report["processes"] = procs;
  report["harness_cpu_seconds"] = r.harness_cpu_seconds;
  json startup = json::object();
  if (r.ready_ms)
    startup["ready_ms"] = *r.ready_ms;
  if (r.first_call_ms)
    startup["first_call_ms"] = *r.first_call_ms;
  report["startup"] = startup;
  report["first_errors"] = r.first_errors;
  report["timeline_start_unix_ms"] = r.timeline_start_unix_ms;
  report["timeline"] = timeline_json(r.seconds);
  return report;
}

json build_idle_report(const idle_sessions_result& r, const load_options& o) {
  const double per_session =
      r.opened > 0 && r.rss_with_sessions_kb > r.rss_idle_kb
          ? static_cast<double>(r.rss_with_sessions_kb - r.rss_idle_kb) * 1024.0 / r.opened
          : 0.0;
  return {{"harness", {{"name", "imap-mcp-load"}, {"version", version}}},
          {"mode", mode_name(o.mode)},
          {"label", o.label},
          {"started_utc", r.started_utc},
          {"config", config_json(o)},
          {"sessions",
           {{"requested", r.requested}, {"opened", r.opened}, {"open_seconds", r.open_seconds}}},
          {"server",
           {{"rss_idle_kb", r.rss_idle_kb},
            {"rss_with_sessions_kb", r.rss_with_sessions_kb},
            {"rss_after_close_kb", r.rss_after_close_kb},
            {"per_session_bytes", per_session}}},
          {"first_errors", r.first_errors}};
}

std::string render_table(const json& report) {
  std::ostringstream out;
  if (report.value("mode", "") == "idle-sessions") {
    const auto& s = report["server"];
    out << "idle sessions: " << report["sessions"]["opened"].get<int>() << " of "
        << report["sessions"]["requested"].get<int>() << " opened\n"
        << "server RSS idle " << s["rss_idle_kb"].get<std::uint64_t>() << " KB, with the sessions "
        << s["rss_with_sessions_kb"].get<std::uint64_t>() << " KB, after closing them "
        << s["rss_after_close_kb"].get<std::uint64_t>()
        << " KB: " << fmt(s["per_session_bytes"].get<double>(), 0) << " bytes per idle session\n";
    return out.str();
  }
  const auto& cfg = report["config"];
  out << "imap-mcp-load " << report["mode"].get<std::string>() << ": " << cfg["agents"].get<int>()
      << " agent(s), " << fmt(report["window_s"].get<double>(), 1) << " s measured, stopped by "
      << report["stopped_by"].get<std::string>() << "\n\n";
  const std::vector<std::size_t> w = {32, 8, 8, 9, 9, 9, 9, 9};
  out << pad("operation", w[0]) << pad("calls", w[1], true) << pad("calls/s", w[2], true)
      << pad("p50 ms", w[3], true) << pad("p90 ms", w[4], true) << pad("p99 ms", w[5], true)
      << pad("max ms", w[6], true) << pad("errors", w[7], true) << "  error codes\n";
  auto row = [&](const std::string& name, const json& s) {
    const auto& l = s["latency_ms"];
    std::uint64_t failures = 0;
    for (const auto& [_, v] : s["errors"].items())
      failures += v.get<std::uint64_t>();
    for (const auto& [_, v] : s["transport_errors"].items())
      failures += v.get<std::uint64_t>();
    std::string codes = error_list(s["errors"]);
    const std::string transport = error_list(s["transport_errors"]);
    if (!transport.empty())
      codes += (codes.empty() ? "transport: " : "; transport: ") + transport;
    out << pad(name, w[0]) << pad(std::to_string(s["count"].get<std::uint64_t>()), w[1], true)
        << pad(fmt(s["throughput_per_s"].get<double>(), 1), w[2], true)
        << pad(fmt(l["p50"].get<double>()), w[3], true)
        << pad(fmt(l["p90"].get<double>()), w[4], true)
        << pad(fmt(l["p99"].get<double>()), w[5], true)
        << pad(fmt(l["max"].get<double>()), w[6], true) << pad(std::to_string(failures), w[7], true)
        << "  " << codes << "\n";
  };
  for (const auto& [name, s] : report["operations"].items())
    row(name, s);
  out << "\n";
  json total = report["totals"];
  total["count"] = total["calls"];
  total["errors"] = json::object();
  total["transport_errors"] = json::object();
  if (report["totals"]["errors"].get<std::uint64_t>() > 0)
    total["errors"]["all"] = report["totals"]["errors"];
  if (report["totals"]["transport_errors"].get<std::uint64_t>() > 0)
    total["transport_errors"]["all"] = report["totals"]["transport_errors"];
  row("all tool calls", total);
  for (const auto& p : report["processes"])
    out << p["role"].get<std::string>() << " (pid " << p["pid"].get<int>()
        << "): " << fmt(p["cpu_seconds"].get<double>()) << " CPU s, peak RSS "
        << p["peak_rss_kb"].get<std::uint64_t>() / 1024 << " MB, PSS "
        << p["peak_pss_kb"].get<std::uint64_t>() / 1024 << " MB (tree of up to "
        << p["max_processes"].get<int>() << " processes; main process peak "
        << p["root_hwm_kb"].get<std::uint64_t>() / 1024 << " MB)\n";
  out << "harness: " << fmt(report["harness_cpu_seconds"].get<double>()) << " CPU s\n";
  if (report["startup"].contains("ready_ms"))
    out << "spawned server ready after " << fmt(report["startup"]["ready_ms"].get<double>())
        << " ms";
  if (report["startup"].contains("first_call_ms"))
    out << ", first tool answer after " << fmt(report["startup"]["first_call_ms"].get<double>())
        << " ms";
  if (report["startup"].contains("ready_ms"))
    out << "\n";
  if (report["totals"]["aborted_calls"].get<std::uint64_t>() > 0)
    out << report["totals"]["aborted_calls"].get<std::uint64_t>()
        << " call(s) cut off by the hard stop\n";
  for (const auto& e : report["first_errors"])
    out << "error: " << e.get<std::string>() << "\n";
  return out.str();
}

} // namespace imap_mcp::load
