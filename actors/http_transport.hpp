#pragma once

#include "actors/interfaces.hpp"
#include "actors/services.hpp"

namespace imap_mcp {

/// Serves MCP over Streamable HTTP (`--transport http`) on the configured listen address
/// until SIGINT or SIGTERM: then stops accepting, lets POSTs in flight finish within the
/// drain budget, logs out every IMAP connection and ends the process with exit code 0.
/// Ends the process with exit code 1 when the address cannot be bound or the server fails.
/// Never returns.
[[noreturn]] void run_http_transport(caf::actor_system& system, services_ptr svc);

} // namespace imap_mcp
