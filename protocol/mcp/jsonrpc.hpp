#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace imap_mcp::jsonrpc {

using json = nlohmann::json;

/// JSON-RPC 2.0 error codes used by the server.
enum class rpc_error : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
};

/// Limits applied before any JSON is built.
struct input_limits {
  std::size_t max_bytes;
  int max_depth;
};

/// Parses one inbound message. Oversized or too deeply nested input, or invalid JSON,
/// yields std::nullopt and a human reason in `why` (the caller answers -32700).
/// The depth check is a linear scan that runs before the parser, so hostile nesting
/// never reaches it.
std::optional<json> parse_bounded(std::string_view text, const input_limits& limits,
                                  std::string& why);

/// Maximum nesting depth of arrays/objects in `text` (strings respected); stops counting
/// once `stop_at` is exceeded.
int nesting_depth(std::string_view text, int stop_at);

/// A compact error response line.
std::string error_response(const json& id, rpc_error code, std::string_view message,
                           const json& data = nullptr);
json error_object(const json& id, rpc_error code, std::string_view message,
                  const json& data = nullptr);

/// A compact success response line.
std::string result_response(const json& id, const json& result);
json result_object(const json& id, const json& result);

/// A compact notification line.
std::string notification(std::string_view method, const json& params);

/// Serializes compactly; invalid UTF-8 in strings is replaced, never thrown on.
std::string dump(const json& value);

} // namespace imap_mcp::jsonrpc
