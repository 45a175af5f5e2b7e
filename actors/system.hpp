#pragma once

#include <memory>

#include "config/settings.hpp"

namespace imap_mcp {

/// Starts the actor system with the account supervisors and serves the configured
/// transport until the client goes away or a signal arrives. Returns the exit code.
int run_server(std::shared_ptr<const settings> config);

} // namespace imap_mcp
