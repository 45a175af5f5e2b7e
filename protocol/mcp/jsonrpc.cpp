#include "protocol/mcp/jsonrpc.hpp"

namespace imap_mcp::jsonrpc {

int nesting_depth(std::string_view text, int stop_at) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) {
          max_depth = depth;
          if (max_depth > stop_at) return max_depth;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return max_depth;
}

std::optional<json> parse_bounded(std::string_view text, const input_limits& limits,
                                  std::string& why) {
  if (text.size() > limits.max_bytes) {
    why = "message exceeds the limit of " + std::to_string(limits.max_bytes) + " bytes";
    return std::nullopt;
  }
  if (nesting_depth(text, limits.max_depth) > limits.max_depth) {
    why = "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels";
    return std::nullopt;
  }
  json value = json::parse(text.begin(), text.end(), nullptr, false);
  if (value.is_discarded()) {
    why = "invalid JSON";
    return std::nullopt;
  }
  return value;
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json error_object(const json& id, rpc_error code, std::string_view message, const json& data) {
  json err = {{"code", static_cast<int>(code)}, {"message", message}};
  if (!data.is_null()) err["data"] = data;
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}};
}

std::string error_response(const json& id, rpc_error code, std::string_view message,
                           const json& data) {
  return dump(error_object(id, code, message, data));
}

json result_object(const json& id, const json& result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}};
}

std::string result_response(const json& id, const json& result) {
  // Same bytes as dump(result_object(id, result)) (keys in sorted order), without the deep copy
  // of a result that can hold hundreds of KB of message text.
  std::string out = R"({"id":)";
  out += dump(id);
  out += R"(,"jsonrpc":"2.0","result":)";
  out += dump(result);
  out += '}';
  return out;
}

std::string notification(std::string_view method, const json& params) {
  return dump(json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
}

} // namespace imap_mcp::jsonrpc
