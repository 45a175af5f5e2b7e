#pragma once

#include <cstddef>
#include <cstdint>

/// Every default and bound of the configuration, in one place.
namespace imap_mcp::defaults {

inline constexpr std::uint16_t imap_port = 993;
inline constexpr int max_connections = 4;
inline constexpr int max_connections_limit = 100;
inline constexpr int connect_timeout_ms = 30000;
inline constexpr int greeting_timeout_ms = 15000;
inline constexpr int socket_timeout_ms = 300000;
inline constexpr int tool_timeout_ms = 60000;
inline constexpr int cursor_ttl_seconds = 600;
/// Connections idle longer than this are logged out and closed.
inline constexpr int idle_close_ms = 300000;
/// Idle connections older than this are checked with NOOP before reuse.
inline constexpr int idle_check_ms = 30000;
/// Reconnect backoff: first delay, cap.
inline constexpr int backoff_initial_ms = 200;
inline constexpr int backoff_max_ms = 10000;
/// How long LOGOUT may take at shutdown before connections are cut.
inline constexpr int logout_grace_ms = 300;
/// Margin added to a deadline for the answer to travel back.
inline constexpr int deadline_margin_ms = 250;

/// Input bounds of the MCP transports.
inline constexpr std::size_t max_message_bytes = 4 * 1024 * 1024;
inline constexpr int max_json_depth = 64;

/// HTTP mode.
inline constexpr const char* http_listen = "127.0.0.1:8000";
inline constexpr int http_session_idle_seconds = 1800;
inline constexpr int http_max_sessions = 1000;
inline constexpr int http_rate_limit_per_second = 200;
inline constexpr int http_session_concurrency = 32;

/// HTTP transport bounds (per connection unless said otherwise).
inline constexpr std::size_t http_max_header_bytes = 16 * 1024;
inline constexpr std::size_t http_max_headers = 100;
/// An idle keep-alive connection is closed after this.
inline constexpr int http_keep_alive_idle_ms = 15'000;
/// The request line and headers must arrive within this, the whole request within the next.
inline constexpr int http_header_timeout_ms = 10'000;
inline constexpr int http_request_timeout_ms = 60'000;
/// SIGTERM: calls in flight get this long to finish.
inline constexpr int http_drain_budget_ms = 5'000;
/// /metrics waits this long for the accounts' pool figures.
inline constexpr int http_stats_timeout_ms = 500;
/// Housekeeping period (timeouts, idle connections, late answers).
inline constexpr int http_tick_ms = 250;
inline constexpr std::size_t http_read_chunk_bytes = 16 * 1024;
/// Answer bytes queued for a client that does not read, before it gets no new answers.
inline constexpr std::size_t http_max_unsent_bytes = 1024 * 1024;
inline constexpr std::size_t http_max_connections = 4096;
inline constexpr int http_max_requests_per_connection = 1000;
/// After an error answer to a request that is still arriving (413 for a body over the limit),
/// the rest is read and dropped for at most this long and this many bytes before the close,
/// so the client reads the answer instead of a reset.
inline constexpr int http_linger_ms = 2'000;
inline constexpr std::size_t http_linger_bytes = 16 * 1024 * 1024;
/// ... and ends early once the client has sent nothing for this long.
inline constexpr int http_linger_quiet_ms = 200;

} // namespace imap_mcp::defaults
