// Fuzz target: JSON-RPC / MCP request handling (protocol/mcp jsonrpc + dispatcher) with the
// real tool catalog. No IMAP traffic: tool calls stop at the validated call the transport
// would run.
//
// Input: a stdio session, one JSON-RPC message per line. Properties: every reply is one valid
// JSON line (stdio framing), and every call handed to the transport names a registered tool,
// carries an object as arguments, and respects the write gate.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol/http/messages.hpp"
#include "protocol/mcp/dispatcher.hpp"
#include "protocol/tools/registry.hpp"
#include "tests/fuzz/check.hpp"

using namespace imap_mcp;
using json = nlohmann::json;

namespace {

void check_line(const std::string& line) {
  fuzz::check(line.find('\n') == std::string::npos, "a reply holds a raw newline (breaks stdio)");
  fuzz::check(json::accept(line), "a reply is not valid JSON");
  fuzz::check_utf8(line, "a reply is not valid UTF-8");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  fuzz::splitter split(rest);
  const bool write_enabled = split.next(2) == 1;
  const auto& registry = tools::builtin_registry();

  mcp::server_options options;
  options.version = "0.0.0-fuzz";
  options.write_enabled = write_enabled;
  // Small limits so the size and depth guards are reached too.
  options.limits = {64 * 1024, 16};
  mcp::dispatcher session(registry, options);

  while (!rest.empty()) {
    auto eol = rest.find('\n');
    const auto line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);

    // The HTTP transport's own view of the same body must never throw either.
    (void)http::classify_body(line, 64 * 1024, 16, session.protocol_version() == "2025-03-26");

    auto fx = session.handle(line);
    for (const auto& reply : fx.replies)
      check_line(reply);
    for (const auto& response : fx.batch_responses)
      check_line(jsonrpc::dump(response));
    for (const auto& call : fx.calls) {
      const auto* def = registry.find(call.tool);
      fuzz::check(def != nullptr, "a call for an unknown tool reached the transport");
      fuzz::check(call.arguments.is_object(), "call arguments are not an object");
      fuzz::check(write_enabled || !def->write, "a write tool passed a closed write gate");
      // The transport answers every call; that answer must frame as well.
      check_line(mcp::dispatcher::tool_response(
          call.id, json{{"content", json::array()}, {"isError", false}}));
    }
  }
  return 0;
}
