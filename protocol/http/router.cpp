#include "protocol/http/router.hpp"

#include <algorithm>
#include <cctype>

#include "protocol/http/response.hpp"

namespace imap_mcp::http::routing_detail {

direct_answer error_answer(int status, std::string_view message, int rpc_code) {
  direct_answer a;
  a.status = status;
  a.headers.emplace_back("Content-Type", "application/json");
  a.body = jsonrpc_error_body(rpc_code, message);
  return a;
}

header_list cors_headers(const request& req) {
  header_list h;
  if (const auto* origin = req.header("origin")) {
    h.emplace_back("Access-Control-Allow-Origin", *origin);
    h.emplace_back("Vary", "Origin");
    h.emplace_back("Access-Control-Expose-Headers",
                   "Mcp-Session-Id, WWW-Authenticate, Retry-After");
  }
  return h;
}

direct_answer preflight_answer(const request&) {
  // The Allow-Origin header itself comes with the CORS headers the router adds.
  direct_answer a;
  a.status = 204;
  a.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
  a.headers.emplace_back("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, Accept, Mcp-Session-Id, "
                         "MCP-Protocol-Version, Last-Event-ID");
  a.headers.emplace_back("Access-Control-Max-Age", "600");
  return a;
}

bool json_content_type(const request& req) {
  const auto* ct = req.header("content-type");
  if (ct == nullptr)
    return true; // lenient: the body is checked as JSON anyway
  std::string_view v{*ct};
  v = v.substr(0, v.find(';'));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  std::string lowered(v);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered == "application/json";
}

direct_answer unauthorized(bool token_sent) {
  auto a = error_answer(401, token_sent ? "Unauthorized: the bearer token is not valid"
                                        : "Unauthorized: send Authorization: Bearer <token>");
  a.headers.emplace_back("WWW-Authenticate",
                         token_sent ? R"(Bearer realm="imap-mcp", error="invalid_token")"
                                    : R"(Bearer realm="imap-mcp")");
  return a;
}

direct_answer too_many(long long retry_after_s, std::string_view message) {
  auto a = error_answer(429, message);
  a.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return a;
}

} // namespace imap_mcp::http::routing_detail
