#pragma once

#include <cstdint>

#include "actors/interfaces.hpp"

namespace imap_mcp {

/// Spawns the output sink of one HTTP POST: it classifies each message the session sends
/// (response or notification, tool outcome) on a scheduler thread and forwards it to
/// `server` tagged with `exchange`. It stops after forwarding a response (a POST gets at most
/// one). Exchange 0 makes the shared sink for bodies that expect no answer: it drops
/// everything and never stops.
output_sink_actor spawn_http_sink(caf::actor_system& system, http_server_actor server,
                                  std::uint64_t exchange);

} // namespace imap_mcp
