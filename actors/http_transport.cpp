#include "actors/http_transport.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unistd.h>

#include "actors/http_server.hpp"
#include "config/defaults.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp {

namespace {

/// Self-pipe: the signal handler writes a byte, a watcher thread turns it into a message.
int signal_pipe[2] = {-1, -1};

void on_signal(int) {
  const char byte = 1;
  // Nothing useful can be done about a full pipe inside a signal handler; one byte is enough.
  [[maybe_unused]] auto n = ::write(signal_pipe[1], &byte, 1);
}

/// Installs SIGINT/SIGTERM handlers; returns false when the pipe cannot be made.
bool install_signal_pipe() {
  if (::pipe(signal_pipe) != 0)
    return false;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}

/// Blocks until a signal arrives, then tells `waiter` (a scoped actor of the main thread).
void watch_signals(caf::actor waiter) {
  char byte = 0;
  while (::read(signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  caf::anon_send(waiter, shutdown_atom::value);
}

[[noreturn]] void exit_now(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  // Connections blocked in I/O would make ~actor_system wait; everything that matters has
  // been answered and logged out by now.
  std::_Exit(code);
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

} // namespace

void run_http_transport(caf::actor_system& system, services_ptr svc) {
  if (!install_signal_pipe()) {
    LOG_ERROR("http", "cannot create the signal pipe");
    exit_now(1);
  }
  auto config = make_http_server_config(*svc->config);
  const auto& listen = config->router.listen;
  auto server = spawn_http_server(system, svc, config);
  caf::scoped_actor self{system};
  self->monitor(server);

  std::uint16_t port = 0;
  bool listening = false;
  // The broker binds while it starts, so it answers at once; the bound is only a safeguard.
  self->request(server, config->drain_budget, status_atom::value)
      .receive(
          [&](std::uint16_t p) {
            port = p;
            listening = true;
          },
          [&](caf::error&) {});
  if (!listening) {
    LOG_ERROR("http",
              "not serving: cannot listen on " << url_host(listen.host) << ":" << listen.port);
    exit_now(1);
  }
  LOG_INFO("http",
           "serving MCP Streamable HTTP at http://"
               << url_host(listen.host) << ":" << port << "/mcp ("
               << (config->router.tokens.empty() ? "no authentication" : "bearer token required")
               << "; /healthz, /metrics)");

  std::thread(watch_signals, caf::actor_cast<caf::actor>(self)).detach();
  bool server_failed = false;
  self->receive([&](shutdown_atom) {},
                [&](caf::down_msg& down) {
                  server_failed = true;
                  LOG_ERROR("http", "the HTTP server stopped: " << system.render(down.reason));
                });

  if (!server_failed) {
    LOG_INFO("http",
             "signal received: draining (at most " << config->drain_budget.count() << " ms)");
    // The server answers within its drain budget; the margin covers the last writes.
    self->request(server,
                  config->drain_budget + std::chrono::milliseconds(defaults::deadline_margin_ms),
                  shutdown_atom::value)
        .receive([](bool) {},
                 [](caf::error&) { LOG_WARN("http", "drain did not finish in time"); });
  }

  // Log out every IMAP connection, bounded by the LOGOUT grace period.
  std::size_t alive = svc->accounts.size();
  for (const auto& [id, account] : svc->accounts) {
    self->monitor(account);
    self->send(account, shutdown_atom::value);
  }
  const auto until =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(defaults::logout_grace_ms + defaults::deadline_margin_ms);
  while (alive > 0 && std::chrono::steady_clock::now() < until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    bool timed_out = false;
    self->receive(
        [&](caf::down_msg& down) {
          if (down.source != server.address())
            --alive;
        },
        caf::after(left) >> [&] { timed_out = true; });
    if (timed_out)
      break;
  }
  LOG_INFO("http", "stopped");
  exit_now(server_failed ? 1 : 0);
}

} // namespace imap_mcp
