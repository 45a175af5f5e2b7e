#include "actors/system.hpp"

#include <cstdio>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "actors/account.hpp"
#include "actors/content_pools.hpp"
#include "actors/http_transport.hpp"
#include "actors/mcp_session.hpp"
#include "actors/services.hpp"
#include "actors/stdio_transport.hpp"
#include "actors/stdout_writer.hpp"
#include "config/defaults.hpp"
#include "protocol/util/base64.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp {

namespace {

/// Bound on the whole shutdown after EOF or a signal (the contract asks for < 1 s).
constexpr auto shutdown_budget = std::chrono::milliseconds(700);

caf::actor_system_config make_caf_config(bool with_io) {
  caf::actor_system_config cfg;
  // Never read ./caf-application.ini or command-line options: we parse our own.
  cfg.set("logger.verbosity", caf::atom("quiet"));
  // Work sharing: idle scheduler threads block on a condition variable and are woken by the
  // next enqueue. CAF's default work stealing polls (with 50 us sleeps for up to 25 ms after
  // every burst), which on a small machine burns CPU the IMAP and MIME work needs and adds
  // wake-up latency to every actor hop of a call. Measured in docs/benchmarks.md.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  // The HTTP transport runs on CAF io brokers; stdio does not need the middleman's thread.
  if (with_io)
    cfg.load<caf::io::middleman>();
  return cfg;
}

} // namespace

int run_server(std::shared_ptr<const settings> config, pdf::zygote* pdf_zygote) {
  auto cfg = make_caf_config(config->transport == transport_kind::http);
  auto* system = new caf::actor_system(cfg); // never destroyed: see the exit below
  auto svc = std::make_shared<services>();
  svc->config = config;
  svc->cursor_key = config->cursor_secret ? *config->cursor_secret : secret(codec::random_bytes(32));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int mime_workers = config->mime_pool_size > 0 ? config->mime_pool_size : cores;
  const int pdf_workers = config->pdf_pool_size > 0 ? config->pdf_pool_size : cores;
  for (int i = 0; i < mime_workers; ++i) svc->mime_pool.push_back(spawn_mime_worker(*system));
  for (int i = 0; i < pdf_workers; ++i) {
    // One zygote channel per worker, so that each has its own document in flight.
    pdf::zygote_channel* channel = nullptr;
    if (pdf_zygote) {
      auto opened = pdf_zygote->open_channel();
      if (opened) channel = *opened;
      else LOG_WARN("pdf", "PDF worker " << i << " forks its readers directly: " << opened.error().message);
    }
    svc->pdf_pool.push_back(spawn_pdf_worker(*system, channel));
  }
  for (const auto& account : config->accounts)
    svc->accounts.emplace(account.id, spawn_account(*system, config, account));
  LOG_INFO("main", "imap-mcp starting: " << config->accounts.size() << " account(s), writes "
                                        << (config->write_enabled ? "enabled" : "disabled"));

  if (config->transport == transport_kind::http)
    run_http_transport(*system, svc); // serves until a signal, then exits the process

  install_stdio_signal_handlers();
  auto writer = spawn_stdout_writer(*system);
  auto session = spawn_mcp_session(*system, svc);
  run_stdio_reader(session, writer, defaults::max_message_bytes);

  // Client gone: cancel calls, log out connections, flush what was answered, and exit
  // within the budget even if an IMAP server is slow to say goodbye.
  LOG_DEBUG("main", "stdin closed; shutting down");
  const auto until = std::chrono::steady_clock::now() + shutdown_budget;
  {
    caf::scoped_actor self{*system};
    auto wait_down = [&](std::size_t alive, std::chrono::steady_clock::time_point limit) {
      while (alive > 0 && std::chrono::steady_clock::now() < limit) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(limit - std::chrono::steady_clock::now());
        bool timed_out = false;
        self->receive([&](caf::down_msg&) { --alive; },
                      caf::after(left) >> [&] { timed_out = true; });
        if (timed_out) break;
      }
    };
    // Calls in flight may finish within half the budget; the rest is for LOGOUT.
    self->monitor(session);
    self->send(session, close_atom::value);
    wait_down(1, std::chrono::steady_clock::now() + shutdown_budget / 2);
    self->send_exit(session, caf::exit_reason::user_shutdown);
    for (const auto& [id, account] : svc->accounts) {
      self->monitor(account);
      self->send(account, shutdown_atom::value);
    }
    wait_down(svc->accounts.size(), until);
    self->request(writer, std::chrono::milliseconds(200), flush_atom::value)
      .receive([](bool) {}, [](caf::error&) {});
  }
  std::fflush(stdout);
  std::fflush(stderr);
  // Connections blocked in I/O would make ~actor_system wait; everything that matters has
  // been flushed and logged out above.
  std::_Exit(0);
}

} // namespace imap_mcp
