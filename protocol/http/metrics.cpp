#include "protocol/http/metrics.hpp"

#include <charconv>

namespace imap_mcp::http {

namespace {

void number(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) {
    out.append("NaN");
    return;
  }
  out.append(buf, end);
}

void number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void label(std::string& out, std::string_view name, std::string_view value, bool first) {
  out.append(first ? "{" : ",");
  out.append(name).append("=\"").append(escape_label_value(value)).append("\"");
}

template <class T> void sample(std::string& out, std::string_view name, T value) {
  out.append(name).append(" ");
  number(out, value);
  out.append("\n");
}

} // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out.append("\\\\");
    else if (c == '"')
      out.append("\\\"");
    else if (c == '\n')
      out.append("\\n");
    else
      out.push_back(c);
  }
  return out;
}

metrics_registry::metrics_registry(std::vector<double> buckets_seconds,
                                   std::size_t max_label_values)
    : buckets_(std::move(buckets_seconds)), max_label_values_(max_label_values) {}

void metrics_registry::count_response(int status) {
  ++responses_[status];
}

std::string metrics_registry::bounded_tool(std::string_view tool) const {
  std::string name(tool);
  if (latency_.count(name) != 0 || latency_.size() < max_label_values_)
    return name;
  return "_other";
}

void metrics_registry::count_call(std::string_view tool, std::string_view status,
                                  std::chrono::steady_clock::duration latency) {
  const std::string name = bounded_tool(tool);
  ++calls_[{name, std::string(status)}];
  auto& h = latency_[name];
  if (h.counts.empty())
    h.counts.assign(buckets_.size(), 0);
  const double s = std::chrono::duration<double>(latency).count();
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    if (s <= buckets_[i]) {
      ++h.counts[i];
      break;
    }
  ++h.count;
  h.sum += s;
}

std::uint64_t metrics_registry::responses(int status) const {
  auto it = responses_.find(status);
  return it == responses_.end() ? 0 : it->second;
}

std::string metrics_registry::render(const metrics_gauges& g,
                                     std::span<const account_snapshot> accounts) const {
  std::string out;
  out.reserve(4096);

  family(out, "imap_mcp_http_requests_total", "counter", "HTTP responses sent, by status code.");
  for (const auto& [code, n] : responses_) {
    out.append("imap_mcp_http_requests_total");
    label(out, "code", std::to_string(code), true);
    out.append("} ");
    number(out, n);
    out.append("\n");
  }
  family(out, "imap_mcp_http_connections", "gauge", "Open HTTP connections.");
  sample(out, "imap_mcp_http_connections", static_cast<std::uint64_t>(g.connections));
  family(out, "imap_mcp_http_draining", "gauge", "1 while the server drains for shutdown.");
  sample(out, "imap_mcp_http_draining", static_cast<std::uint64_t>(g.draining ? 1 : 0));
  family(out, "imap_mcp_http_rate_limited_total", "counter",
         "Requests refused with 429 by the per-token rate limit or the per-session concurrency "
         "limit.");
  sample(out, "imap_mcp_http_rate_limited_total", rate_limited_);

  family(out, "imap_mcp_sessions", "gauge", "Open MCP sessions.");
  sample(out, "imap_mcp_sessions", static_cast<std::uint64_t>(g.sessions));
  family(out, "imap_mcp_sessions_created_total", "counter", "MCP sessions created by initialize.");
  sample(out, "imap_mcp_sessions_created_total", sessions_created_);
  family(out, "imap_mcp_sessions_expired_total", "counter", "MCP sessions closed for idleness.");
  sample(out, "imap_mcp_sessions_expired_total", sessions_expired_);
  family(out, "imap_mcp_sessions_rejected_total", "counter",
         "initialize requests refused because the session cap was reached.");
  sample(out, "imap_mcp_sessions_rejected_total", sessions_rejected_);

  family(out, "imap_mcp_calls_in_flight", "gauge", "tools/call requests awaiting their result.");
  sample(out, "imap_mcp_calls_in_flight", static_cast<std::uint64_t>(g.calls_in_flight));
  family(
      out, "imap_mcp_tool_calls_total", "counter",
      "Finished tools/call requests by tool and outcome (ok, partial, failed, error, rpc_error).");
  for (const auto& [key, n] : calls_) {
    out.append("imap_mcp_tool_calls_total");
    label(out, "tool", key.first, true);
    label(out, "status", key.second, false);
    out.append("} ");
    number(out, n);
    out.append("\n");
  }
  family(out, "imap_mcp_tool_call_duration_seconds", "histogram",
         "Latency of tools/call from request to result.");
  for (const auto& [tool, h] : latency_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += h.counts[i];
      std::string le;
      number(le, buckets_[i]);
      out.append("imap_mcp_tool_call_duration_seconds_bucket");
      label(out, "tool", tool, true);
      label(out, "le", le, false);
      out.append("} ");
      number(out, cumulative);
      out.append("\n");
    }
    out.append("imap_mcp_tool_call_duration_seconds_bucket");
    label(out, "tool", tool, true);
    label(out, "le", "+Inf", false);
    out.append("} ");
    number(out, h.count);
    out.append("\n");
    out.append("imap_mcp_tool_call_duration_seconds_sum");
    label(out, "tool", tool, true);
    out.append("} ");
    number(out, h.sum);
    out.append("\n");
    out.append("imap_mcp_tool_call_duration_seconds_count");
    label(out, "tool", tool, true);
    out.append("} ");
    number(out, h.count);
    out.append("\n");
  }

  struct account_metric {
    const char* name;
    const char* type;
    const char* help;
    std::uint64_t (*value)(const account_snapshot&);
  };
  static const account_metric per_account[] = {
      {"imap_mcp_imap_stats_available", "gauge",
       "1 when the account's pool answered the scrape in time, else 0 (its other values are "
       "omitted).",
       [](const account_snapshot& a) -> std::uint64_t { return a.available ? 1 : 0; }},
      {"imap_mcp_imap_connections", "gauge", "Open IMAP connections of the account's pool.",
       [](const account_snapshot& a) -> std::uint64_t {
         return static_cast<std::uint64_t>(a.connections);
       }},
      {"imap_mcp_imap_busy", "gauge", "IMAP connections running a job.",
       [](const account_snapshot& a) -> std::uint64_t {
         return static_cast<std::uint64_t>(a.busy);
       }},
      {"imap_mcp_imap_queued", "gauge", "Jobs waiting for an IMAP connection.",
       [](const account_snapshot& a) -> std::uint64_t {
         return static_cast<std::uint64_t>(a.queued);
       }},
      {"imap_mcp_imap_restarts_total", "counter", "IMAP connections replaced after they broke.",
       [](const account_snapshot& a) -> std::uint64_t {
         return static_cast<std::uint64_t>(a.restarts);
       }},
  };
  for (const auto& m : per_account) {
    family(out, m.name, m.type, m.help);
    const bool always = std::string_view(m.name) == "imap_mcp_imap_stats_available";
    for (const auto& a : accounts) {
      if (!a.available && !always)
        continue;
      out.append(m.name);
      label(out, "account", a.account, true);
      out.append("} ");
      number(out, m.value(a));
      out.append("\n");
    }
  }
  return out;
}

} // namespace imap_mcp::http
