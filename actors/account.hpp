#pragma once

#include <memory>

#include "actors/interfaces.hpp"
#include "config/settings.hpp"

namespace imap_mcp {

/// Spawns the ACCOUNT actor of one configured account: the supervisor of up to
/// MAIL_IMAP_<ACCOUNT>_MAX_CONNECTIONS connection actors. Jobs queue FIFO and go to the
/// next idle connection; connections open lazily, are reused, close after an idle
/// timeout, and are replaced with capped exponential backoff when they fail. A job that
/// misses its deadline is answered with a retryable timeout and its connection is aborted.
account_actor spawn_account(caf::actor_system& system, std::shared_ptr<const settings> config,
                            const account_settings& account);

} // namespace imap_mcp
