#include "protocol/http/access_log.hpp"

#include <algorithm>
#include <cstdio>

namespace imap_mcp::http {

namespace {

/// Longest value written for one key.
constexpr std::size_t max_value_chars = 96;

void field(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty())
    return;
  if (!out.empty())
    out.push_back(' ');
  out.append(key);
  out.push_back('=');
  const auto n = std::min(value.size(), max_value_chars);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    out.push_back(c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=' ? static_cast<char>(c)
                                                                            : '?');
  }
  if (value.size() > max_value_chars)
    out.append("...");
}

} // namespace

std::string format_access_log(const access_entry& e) {
  std::string out;
  out.reserve(160);
  field(out, "method", e.method);
  field(out, "path", e.path);
  field(out, "status", std::to_string(e.status));
  field(out, "bytes", std::to_string(e.bytes));
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.1f",
                std::chrono::duration<double, std::milli>(e.duration).count());
  field(out, "duration_ms", ms);
  field(out, "session", e.session.substr(0, logged_session_chars));
  field(out, "rpc", e.rpc_method);
  field(out, "tool", e.tool);
  field(out, "peer", e.peer);
  return out;
}

} // namespace imap_mcp::http
