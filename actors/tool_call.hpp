#pragma once

#include "actors/interfaces.hpp"
#include "actors/services.hpp"
#include "protocol/mcp/dispatcher.hpp"

namespace imap_mcp {

/// Spawns the actor that runs one validated tools/call: it routes the work to the
/// account, MIME and PDF actors, enforces `deadline`, and answers run_atom with the
/// CallToolResult. Progress notifications go to `sink`. `cancelled` is set by the
/// session when the client cancels.
tool_call_actor spawn_tool_call(caf::actor_system& system, services_ptr svc, mcp::tool_call call,
                                deadline_type deadline, output_sink_actor sink,
                                std::shared_ptr<std::atomic<bool>> cancelled);

} // namespace imap_mcp
