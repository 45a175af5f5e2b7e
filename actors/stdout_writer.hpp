#pragma once

#include "actors/interfaces.hpp"

namespace imap_mcp {

/// The single writer of stdout: one compact JSON message per line, flushed at once.
/// Detached (own thread) because writing to a pipe can block.
output_sink_actor spawn_stdout_writer(caf::actor_system& system);

} // namespace imap_mcp
