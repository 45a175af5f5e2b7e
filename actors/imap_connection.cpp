#include "actors/imap_connection.hpp"

#include "config/defaults.hpp"
#include "protocol/imap/client.hpp"
#include "protocol/tls/tls.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp {

void connection_control::attach(net::byte_stream* stream) {
  std::lock_guard<std::mutex> guard{mutex_};
  stream_ = stream;
  if (aborted_ && stream_ != nullptr) stream_->abort();
}

void connection_control::abort() {
  std::lock_guard<std::mutex> guard{mutex_};
  aborted_ = true;
  if (stream_ != nullptr) stream_->abort();
}

bool connection_control::aborted() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return aborted_;
}

namespace {

using std::chrono::milliseconds;

struct imap_connection_state {
  static inline const char* name = "imap-connection";
  connection_params params;
  std::shared_ptr<connection_control> control;
  std::unique_ptr<imap::client> client;
  tls::tls_stream* stream = nullptr; ///< owned by client
  clock_type::time_point last_activity{};

  ~imap_connection_state() {
    if (control) control->attach(nullptr);
  }
};

using connection_ptr = imap_connection_actor::stateful_pointer<imap_connection_state>;

/// Opens TCP + TLS, reads the greeting and logs in. Every step is bounded by the
/// configured timeouts.
status open_session(imap_connection_state& st) {
  const auto& cfg = *st.params.config;
  const auto& acct = *st.params.account;
  tls::connect_options opts;
  opts.host = acct.host;
  opts.port = acct.port;
  opts.connect_timeout_ms = cfg.connect_timeout_ms;
  opts.greeting_timeout_ms = cfg.greeting_timeout_ms;
  opts.io_timeout_ms = cfg.greeting_timeout_ms;
  const auto started = clock_type::now();
  auto stream = tls::connect(st.params.tls, opts);
  if (!stream) return stream.error();
  auto* raw_stream = stream->get();
  st.control->attach(raw_stream);
  if (st.control->aborted())
    return make_failure(error_code::timeout, "connection aborted", "connect", true);
  // The greeting shares the handshake's budget.
  auto spent = std::chrono::duration_cast<milliseconds>(clock_type::now() - started).count();
  raw_stream->set_io_timeout(static_cast<int>(std::max<long long>(1, cfg.greeting_timeout_ms - spent)));
  auto client = std::make_unique<imap::client>(std::move(*stream));
  if (auto greeting = client->read_greeting(); !greeting) {
    st.control->attach(nullptr);
    auto f = greeting.error();
    if (f.stage.empty() || f.stage == "read") f.stage = "greeting";
    return f;
  }
  raw_stream->set_io_timeout(cfg.socket_timeout_ms);
  if (auto login = client->login(acct.user, acct.pass.reveal()); !login) {
    st.control->attach(nullptr);
    // Whatever broke during LOGIN (a refusal, a drop, a stall) broke the opening of the
    // session: the stage tells the account to count a failed connection attempt and back off,
    // instead of opening a new connection (and sending the password again) for every call.
    auto f = login.error();
    f.stage = "login";
    return f;
  }
  st.client = std::move(client);
  st.stream = raw_stream;
  st.last_activity = clock_type::now();
  LOG_DEBUG("connection", acct.id << "#" << st.params.index << ": logged in to " << acct.host << ":"
                                  << acct.port);
  return ok_status();
}

void drop_session(imap_connection_state& st) {
  st.control->attach(nullptr);
  st.client.reset();
  st.stream = nullptr;
}

imap_connection_actor::behavior_type imap_connection(connection_ptr self, connection_params params,
                                                     std::shared_ptr<connection_control> control) {
  self->state.params = std::move(params);
  self->state.control = std::move(control);
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr&) -> caf::error {
    return caf::exit_reason::unhandled_exception;
  });
  return {
    [self](imap_job& job) -> imap_reply {
      auto& st = self->state;
      if (st.client && job.fresh_session) {
        st.stream->set_io_timeout(defaults::logout_grace_ms);
        st.client->logout();
        drop_session(st);
      }
      // A session idle for long may have been dropped by the server: check it first.
      if (st.client && clock_type::now() - st.last_activity > milliseconds(defaults::idle_check_ms)) {
        if (!st.client->noop()) drop_session(st);
      }
      if (!st.client) {
        if (auto opened = open_session(st); !opened) {
          self->quit();
          return imap_reply{opened.error(), {}, true};
        }
      }
      imap_reply reply;
      const bool reused = st.last_activity != clock_type::time_point{} && st.client;
      auto run_once = [&] {
        reply = imap_reply{};
        try {
          auto outcome = job.run(*st.client);
          if (outcome.ok()) reply.value = std::move(outcome.value());
          else reply.error = outcome.error();
        } catch (const std::exception& e) {
          LOG_ERROR("connection", "job threw: " << e.what());
          reply.error = make_failure(error_code::internal,
                                     "unexpected failure while talking to the IMAP server", "imap", true);
          drop_session(st);
        }
      };
      run_once();
      if (reply.error && reused && job.retry_on_new_session && (!st.client || st.client->broken()) &&
          clock_type::now() < job.deadline && !st.control->aborted()) {
        LOG_DEBUG("connection", "reused session was dropped by the server; retrying on a new one");
        drop_session(st);
        // When the new session cannot even be opened, that is the news: its connect-stage
        // failure makes the account back off, where the old "connection closed" would not.
        if (auto opened = open_session(st); opened) run_once();
        else reply = imap_reply{opened.error(), {}};
      }
      st.last_activity = clock_type::now();
      if (!st.client || st.client->broken()) {
        // The session is gone (BYE, reset, timeout): never reuse it.
        drop_session(st);
        self->quit();
        reply.connection_ended = true;
      }
      return reply;
    },
    [self](shutdown_atom) {
      auto& st = self->state;
      if (st.client && !st.client->broken()) {
        // Bounded goodbye: the supervisor also aborts us after its grace period.
        st.stream->set_io_timeout(defaults::logout_grace_ms);
        st.client->logout();
      }
      drop_session(st);
      self->quit();
    },
  };
}

} // namespace

imap_connection_actor spawn_imap_connection(caf::actor_system& system, connection_params params,
                                            std::shared_ptr<connection_control> control) {
  return system.spawn<caf::detached>(imap_connection, std::move(params), std::move(control));
}

} // namespace imap_mcp
