#pragma once

#include <memory>
#include <mutex>

#include "actors/interfaces.hpp"
#include "config/settings.hpp"

namespace imap_mcp::net {
class byte_stream;
} // namespace imap_mcp::net

namespace imap_mcp::tls {
class client_context;
} // namespace imap_mcp::tls

namespace imap_mcp {

/// Lets the supervisor abort a connection's blocking I/O from another thread, so a
/// connection that missed its deadline is cut at once instead of when its socket times out.
class connection_control {
public:
  /// Registers the live stream (nullptr when none).
  void attach(net::byte_stream* stream);
  /// Aborts the live stream and every later one.
  void abort();
  bool aborted() const;

private:
  mutable std::mutex mutex_;
  net::byte_stream* stream_ = nullptr;
  bool aborted_ = false;
};

/// What one connection needs to open its IMAP session.
struct connection_params {
  std::shared_ptr<const settings> config;
  const account_settings* account = nullptr; ///< points into *config
  std::shared_ptr<tls::client_context> tls;
  int index = 0; ///< for logs
};

/// Spawns a CONNECTION actor (detached, own thread). It connects lazily on its first
/// job: TCP + TLS (verified) + greeting + LOGIN, then runs jobs one at a time and keeps
/// the session (and its selected mailbox) for the next job.
imap_connection_actor spawn_imap_connection(caf::actor_system& system, connection_params params,
                                            std::shared_ptr<connection_control> control);

} // namespace imap_mcp
