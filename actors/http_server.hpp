#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "actors/interfaces.hpp"
#include "actors/services.hpp"
#include "protocol/http/parser.hpp"
#include "protocol/http/router.hpp"

namespace imap_mcp {

/// Everything the HTTP server is bounded by. Built from the settings by
/// make_http_server_config(); tests may build their own.
struct http_server_config {
  http::router_config router;
  http::parser_limits parser;
  /// A keep-alive connection without a request in progress is closed after this.
  std::chrono::milliseconds keep_alive_idle{};
  /// From a request's first byte until its headers are complete (slow clients: 408, close).
  std::chrono::milliseconds header_timeout{};
  /// From a request's first byte until its body is complete (slow clients: 408, close).
  std::chrono::milliseconds request_timeout{};
  /// A POST whose answer has not come by then is answered with an error (lost answer).
  std::chrono::milliseconds answer_deadline{};
  /// How long shutdown waits for POSTs in flight before answering them with an error.
  std::chrono::milliseconds drain_budget{};
  /// How long /metrics waits for each account's pool snapshot.
  std::chrono::milliseconds stats_timeout{};
  /// Period of the housekeeping timer (timeouts, idle sessions, drain progress).
  std::chrono::milliseconds tick{};
  /// Bytes read from a socket at once.
  std::size_t read_chunk_bytes = 0;
  /// A connection with more answer bytes queued than this (its client does not read) gets
  /// no further request parsed until they drain; stalled for request_timeout: closed.
  std::size_t max_unsent_bytes = 0;
  /// Connections beyond this are closed at once.
  std::size_t max_connections = 0;
  /// Requests served on one connection before it is closed (`Connection: close`).
  int max_requests_per_connection = 0;
  /// Lingering close after an error answer to a request still arriving (time, bytes).
  std::chrono::milliseconds linger{0};
  std::size_t linger_bytes = 0;
  std::chrono::milliseconds linger_quiet{0};
  /// Upper bounds of the tool-call latency histogram, in seconds.
  std::vector<double> latency_buckets;
};

/// The HTTP server configuration for these settings (listen address, tokens, origins,
/// session limits from the environment; transport limits from their defaults).
std::shared_ptr<const http_server_config> make_http_server_config(const settings& config);

/// Spawns the HTTP server broker: it binds config.router.listen (answer to status_atom:
/// the bound port; the broker quits with an error when binding fails) and serves MCP
/// Streamable HTTP at /mcp plus /healthz and /metrics, with one MCP SESSION actor per
/// Mcp-Session-Id sharing `svc`.
http_server_actor spawn_http_server(caf::actor_system& system, services_ptr svc,
                                    std::shared_ptr<const http_server_config> config);

} // namespace imap_mcp
