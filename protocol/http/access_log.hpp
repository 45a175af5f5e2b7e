#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace imap_mcp::http {

/// What the access log says about one answered request. Never bodies, never headers
/// (tokens travel in them), never the query string.
struct access_entry {
  std::string_view method;
  std::string_view path;
  int status = 0;
  std::size_t bytes = 0; ///< body bytes sent (all SSE chunks for a stream)
  std::chrono::steady_clock::duration duration{};
  std::string_view session;    ///< full id; only a prefix is logged
  std::string_view rpc_method; ///< first JSON-RPC method of the body, if any
  std::string_view tool;       ///< tools/call tool name, if any
  std::string_view peer;       ///< client address
};

/// Characters of a session id that the log shows: enough to correlate lines, too few to
/// reuse the id.
inline constexpr std::size_t logged_session_chars = 8;

/// One `key=value` line, e.g. `method=POST path=/mcp status=200 bytes=812 duration_ms=3.1
/// session=1a2b3c4d rpc=tools/call tool=imap_list_accounts peer=127.0.0.1`. Values are
/// cut and stripped of blanks, quotes and control characters so a line stays one line.
std::string format_access_log(const access_entry& e);

} // namespace imap_mcp::http
