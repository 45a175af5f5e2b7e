#pragma once

#include <functional>

#include "actors/interfaces.hpp"
#include "actors/services.hpp"
#include "protocol/mcp/dispatcher.hpp"
#include "protocol/tools/output.hpp"

namespace imap_mcp {

/// Everything a running tool may use.
struct tool_context {
  services_ptr svc;
  mcp::tool_call call;
  deadline_type deadline;
  output_sink_actor sink;
  std::shared_ptr<std::atomic<bool>> cancelled;
};

/// Called exactly once with the tool's outcome.
using tool_reply = std::function<void(tools::tool_result)>;

/// Runs the tool named in ctx.call: pure tools answer at once, IMAP tools send jobs to
/// their account actor with the call's deadline.
void run_tool(tool_call_actor::pointer self, tool_context ctx, tool_reply reply);

} // namespace imap_mcp
