#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/mcp/jsonrpc.hpp"
#include "protocol/tools/registry.hpp"

namespace imap_mcp::mcp {

using json = nlohmann::json;

/// Protocol versions, preferred first.
inline constexpr const char* preferred_version = "2025-11-25";
bool is_supported_version(std::string_view version);

/// Fixed facts about this server that the dispatcher needs.
struct server_options {
  std::string version;              ///< serverInfo.version
  bool write_enabled = false;       ///< the write gate
  jsonrpc::input_limits limits{4 * 1024 * 1024, 64};
};

/// A validated tools/call that the transport must run and answer later.
struct tool_call {
  json id;                           ///< JSON-RPC request id
  std::string tool;                  ///< a registered tool name
  json arguments;                    ///< an object that passed the input schema
  std::optional<json> progress_token;
  std::chrono::steady_clock::time_point received;
  std::optional<std::size_t> batch;  ///< index of the batch this call belongs to
};

/// What the transport must do after one inbound message.
struct effects {
  /// Lines to send now (responses to requests answered at once).
  std::vector<std::string> replies;
  /// Tool calls to start; each is answered later with tool_response().
  std::vector<tool_call> calls;
  /// Request ids the client cancelled (notifications/cancelled).
  std::vector<json> cancelled;
  /// For a JSON-RPC batch with pending calls: the immediate responses that must be
  /// merged with the calls' responses into one array (replies stays empty then).
  std::optional<std::size_t> batch;
  std::vector<json> batch_responses;
  /// True when the message was the `initialized` notification.
  bool initialized = false;
};

/// The MCP protocol state machine of one session, without any I/O or actors:
/// initialize, versions, ping, tools/list, tools/call validation, cancellation, batches.
class dispatcher {
public:
  dispatcher(const tools::registry& tools, server_options options);

  /// Handles one raw inbound message (a stdio line or an HTTP body).
  effects handle(std::string_view raw);

  /// Handles one parsed message (used by transports that parse themselves).
  effects handle_value(json message);

  /// The response line for a finished tool call.
  static std::string tool_response(const json& id, const json& call_result);

  /// The negotiated protocol version; empty before initialize.
  const std::string& protocol_version() const { return version_; }
  bool initialized() const { return initialized_; }
  /// Log level set by logging/setLevel (empty when never set).
  const std::string& client_log_level() const { return log_level_; }

private:
  /// Handles one request or notification object; returns its response or null.
  json handle_one(const json& message, effects& out, std::optional<std::size_t> batch);
  json initialize(const json& id, const json& params);
  json call_tool(const json& id, const json& params, effects& out,
                 std::optional<std::size_t> batch);

  const tools::registry& tools_;
  server_options options_;
  std::string version_;
  std::string log_level_;
  bool initialized_ = false;
  std::size_t next_batch_ = 0;
};

/// The server's `instructions` text.
std::string instructions();

} // namespace imap_mcp::mcp
