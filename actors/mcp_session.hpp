#pragma once

#include "actors/interfaces.hpp"
#include "actors/services.hpp"

namespace imap_mcp {

/// Spawns the MCP SESSION actor of one client: it runs the protocol state machine
/// (protocol/mcp/dispatcher), starts one tool_call actor per tools/call with the deadline
/// MAIL_IMAP_TOOL_TIMEOUT_MS, answers calls out of order as they finish, and honours
/// notifications/cancelled (the call's work stops and no response is sent).
mcp_session_actor spawn_mcp_session(caf::actor_system& system, services_ptr svc);

} // namespace imap_mcp
