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

} // namespace imap_mcp::defaults
