#pragma once

#include <memory>

#include "config/settings.hpp"
#include "protocol/pdf/zygote.hpp"

namespace imap_mcp {

/// Starts the actor system with the account supervisors and serves the configured
/// transport until the client goes away or a signal arrives. Returns the exit code.
/// `pdf_zygote` (may be null: readers are then forked directly) gives each PDF worker a channel.
int run_server(std::shared_ptr<const settings> config, pdf::zygote* pdf_zygote = nullptr);

} // namespace imap_mcp
