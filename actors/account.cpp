#include "actors/account.hpp"

#include <deque>
#include <vector>

#include "actors/deadline_watch.hpp"
#include "actors/imap_connection.hpp"
#include "config/defaults.hpp"
#include "protocol/tls/tls.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp {

namespace {

using std::chrono::milliseconds;

struct slot {
  int index = 0;
  imap_connection_actor actor;
  std::shared_ptr<connection_control> control;
  bool busy = false;
  clock_type::time_point last_used;
  /// The job in flight (when busy): its number, its deadline and its caller.
  std::uint64_t job = 0;
  deadline_type deadline{};
  caf::typed_response_promise<imap_reply> rp;
  /// The connection ended while its job was in flight (its down message came first). CAF 0.17
  /// delivers down messages ahead of ordinary ones already queued, so a connection that answered
  /// its job and then ended (a failed login, a session the server closed) has its answer right
  /// behind: the slot stays until that answer, the bounce of a job it never answered, or the
  /// job's deadline, and goes then.
  bool closed = false;
};

struct queued {
  imap_job job;
  caf::typed_response_promise<imap_reply> rp;
};

struct account_state {
  static inline const char* name = "account";
  std::shared_ptr<const settings> config;
  const account_settings* account = nullptr;
  std::shared_ptr<tls::client_context> tls;
  std::optional<failure> tls_error; ///< the CA file could not be loaded
  std::vector<slot> slots;
  std::deque<queued> queue;
  int next_index = 1;
  std::uint64_t next_job = 1;
  /// One tick armed at or before the earliest deadline of a queued or running job.
  deadline_watch watch;
  long long restarts = 0;
  /// Backoff after failed connection attempts.
  int consecutive_failures = 0;
  clock_type::time_point retry_after{};
  std::optional<failure> last_connect_failure;
  bool stopping = false;
  clock_type::time_point next_sweep{};
};

using account_ptr = account_actor::stateful_pointer<account_state>;

imap_reply fail(failure f) { return imap_reply{std::move(f), {}}; }

failure timeout_failure() {
  return make_failure(error_code::timeout, "IMAP operation did not finish before the deadline",
                      "deadline", true);
}

bool is_connect_stage(const failure& f) {
  return f.stage == "connect" || f.stage == "tls" || f.stage == "tls handshake" ||
         f.stage == "greeting" || f.stage == "login";
}

void dispatch(account_ptr self);

void on_connect_failure(account_ptr self, const failure& f) {
  auto& st = self->state;
  // Attempts that were already under way fail together when the server goes away; only the
  // first of them counts, or the backoff would double per pooled connection, not per outage.
  if (clock_type::now() < st.retry_after) {
    st.last_connect_failure = f;
    return;
  }
  st.consecutive_failures = std::min(st.consecutive_failures + 1, 20);
  long long delay = defaults::backoff_initial_ms;
  for (int i = 1; i < st.consecutive_failures && delay < defaults::backoff_max_ms; ++i) delay *= 2;
  delay = std::min<long long>(delay, defaults::backoff_max_ms);
  st.retry_after = clock_type::now() + milliseconds(delay);
  st.last_connect_failure = f;
  LOG_WARN("account", st.account->id << ": connection failed (" << f.message << "); retry in "
                                     << delay << " ms");
}

slot* find_slot(account_state& st, int index) {
  for (auto& s : st.slots)
    if (s.index == index) return &s;
  return nullptr;
}

/// Drops the slot of a connection that has ended.
void erase_slot(account_state& st, int index) {
  for (auto it = st.slots.begin(); it != st.slots.end(); ++it)
    if (it->index == index) {
      st.slots.erase(it);
      ++st.restarts;
      return;
    }
}

/// Forgets a connection for good: cut its socket (it may be blocked in I/O), stop the actor,
/// and answer its job, if any, with `why`.
void discard_slot(account_ptr self, std::vector<slot>::iterator it, const std::optional<failure>& why) {
  auto& st = self->state;
  it->control->abort();
  self->demonitor(it->actor.address());
  self->send_exit(it->actor, caf::exit_reason::kill);
  auto rp = it->rp;
  const bool answer = it->busy && why;
  st.slots.erase(it);
  ++st.restarts;
  if (answer) rp.deliver(fail(*why));
}

/// Arms the account's one tick for `due` unless one is armed already by then.
void watch_deadline(account_ptr self, deadline_type due) {
  if (!self->state.watch.arm(due)) return;
  const auto left = std::chrono::duration_cast<milliseconds>(due - clock_type::now());
  self->delayed_send(self, std::max(left, milliseconds(0)) + milliseconds(1), tick_atom::value);
}

/// The tick: answers every queued job past its deadline, aborts every connection whose job is
/// past its deadline (it is never reused), and re-arms for the earliest deadline left.
void expire_deadlines(account_ptr self) {
  auto& st = self->state;
  const auto now = clock_type::now();
  st.watch.fired(now);
  for (auto it = st.queue.begin(); it != st.queue.end();) {
    if (it->job.deadline <= now) {
      it->rp.deliver(fail(timeout_failure()));
      it = st.queue.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = st.slots.begin(); it != st.slots.end();) {
    if (it->busy && it->deadline <= now) {
      LOG_WARN("account", st.account->id << ": connection " << it->index << " missed a deadline; aborted");
      discard_slot(self, it, timeout_failure());
      it = st.slots.begin(); // erase moved the rest
    } else {
      ++it;
    }
  }
  std::optional<deadline_type> earliest;
  auto consider = [&](deadline_type d) {
    if (!earliest || d < *earliest) earliest = d;
  };
  for (const auto& q : st.queue) consider(q.job.deadline);
  for (const auto& s : st.slots)
    if (s.busy) consider(s.deadline);
  if (earliest) watch_deadline(self, *earliest);
}

void run_on(account_ptr self, slot& s, queued item) {
  auto& st = self->state;
  s.busy = true;
  s.last_used = clock_type::now();
  s.job = st.next_job++;
  s.deadline = item.job.deadline;
  s.rp = item.rp;
  const int index = s.index;
  const auto job = s.job;
  // No request timeout: the account's tick enforces the deadline (see deadline_watch.hpp).
  self->request(s.actor, caf::infinite, std::move(item.job))
    .then(
      [self, index, job](imap_reply& reply) {
        auto& st = self->state;
        auto* sl = find_slot(st, index);
        if (sl == nullptr || !sl->busy || sl->job != job) return; // answered at its deadline already
        if (reply.error && is_connect_stage(*reply.error)) on_connect_failure(self, *reply.error);
        else if (!reply.error || reply.error->stage != "connect") st.consecutive_failures = 0;
        auto rp = sl->rp;
        if (sl->closed || reply.connection_ended) {
          erase_slot(st, index);
        } else {
          sl->busy = false;
          sl->rp = {};
          sl->last_used = clock_type::now();
        }
        rp.deliver(std::move(reply));
        dispatch(self);
      },
      [self, index, job](caf::error&) {
        // The connection died with the job (the down handler may have answered it first).
        auto& st = self->state;
        for (auto it = st.slots.begin(); it != st.slots.end(); ++it)
          if (it->index == index && it->busy && it->job == job) {
            discard_slot(self, it, make_failure(error_code::internal, "IMAP connection stopped unexpectedly",
                                                "connection", true));
            break;
          }
        dispatch(self);
      });
}

void dispatch(account_ptr self) {
  auto& st = self->state;
  const auto now = clock_type::now();
  while (!st.queue.empty()) {
    auto& front = st.queue.front();
    if (front.job.deadline <= now) {
      front.rp.deliver(fail(timeout_failure()));
      st.queue.pop_front();
      continue;
    }
    slot* idle = nullptr;
    for (auto& s : st.slots)
      if (!s.busy) {
        idle = &s;
        break;
      }
    if (idle == nullptr && static_cast<int>(st.slots.size()) < st.account->max_connections) {
      if (st.last_connect_failure && now < st.retry_after) {
        // The server is failing: answer fast with the last reason instead of queueing
        // callers behind a dead server.
        bool any_live = false;
        for (auto& s : st.slots) any_live = any_live || s.busy;
        if (!any_live) {
          auto f = *st.last_connect_failure;
          front.rp.deliver(fail(std::move(f)));
          st.queue.pop_front();
          continue;
        }
        break; // wait for a busy connection to come back
      }
      connection_params params{st.config, st.account, st.tls, st.next_index++};
      auto control = std::make_shared<connection_control>();
      auto actor = spawn_imap_connection(self->system(), params, control);
      self->monitor(actor);
      slot fresh;
      fresh.index = params.index;
      fresh.actor = actor;
      fresh.control = control;
      fresh.last_used = now;
      st.slots.push_back(std::move(fresh));
      idle = &st.slots.back();
    }
    if (idle == nullptr) break;
    queued item = std::move(front);
    st.queue.pop_front();
    run_on(self, *idle, std::move(item));
  }
}

account_actor::behavior_type account(account_ptr self, std::shared_ptr<const settings> config,
                                     const account_settings* acct) {
  auto& st = self->state;
  st.config = config;
  st.account = acct;
  auto ctx = tls::client_context::create(config->ca_cert_path);
  if (ctx) st.tls = *ctx;
  else st.tls_error = ctx.error();
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    for (auto it = st.slots.begin(); it != st.slots.end(); ++it)
      if (it->actor.address() == msg.source) {
        LOG_DEBUG("account", st.account->id << ": connection " << it->index << " closed");
        if (it->busy && !st.stopping) {
          it->closed = true; // its answer, or the bounce of its job, is queued behind this
          return;
        }
        if (it->busy)
          it->rp.deliver(fail(make_failure(error_code::internal, "server is shutting down", "shutdown", true)));
        st.slots.erase(it);
        ++st.restarts;
        break;
      }
    if (st.stopping) {
      if (st.slots.empty()) self->quit();
      return;
    }
    dispatch(self);
  });
  st.next_sweep = clock_type::now() + milliseconds(defaults::idle_check_ms);
  self->delayed_send(self, milliseconds(defaults::idle_check_ms), tick_atom::value);
  return {
    [self](imap_job& job) -> caf::result<imap_reply> {
      auto& st = self->state;
      if (st.stopping)
        return fail(make_failure(error_code::internal, "server is shutting down", "shutdown", true));
      if (!st.account->secure)
        return fail(make_failure(error_code::invalid_input,
                                 "insecure IMAP is not supported; set MAIL_IMAP_" +
                                   st.account->segment + "_SECURE=true",
                                 "connect"));
      if (st.tls_error) return fail(*st.tls_error);
      if (job.deadline <= clock_type::now()) return fail(timeout_failure());
      auto rp = self->make_response_promise<imap_reply>();
      // Wake up at the deadline to answer the job if it is still queued or running.
      watch_deadline(self, job.deadline);
      st.queue.push_back(queued{std::move(job), rp});
      dispatch(self);
      return rp;
    },
    [self](status_atom) {
      auto& st = self->state;
      account_stats s;
      s.connections = static_cast<int>(st.slots.size());
      for (auto& sl : st.slots) s.busy += sl.busy ? 1 : 0;
      s.queued = static_cast<int>(st.queue.size());
      s.restarts = st.restarts;
      return s;
    },
    [self](tick_atom) {
      auto& st = self->state;
      if (st.stopping) {
        self->quit(); // connections did not all log out in time
        return;
      }
      expire_deadlines(self);
      const auto now = clock_type::now();
      if (now >= st.next_sweep) {
        st.next_sweep = now + milliseconds(defaults::idle_check_ms);
        self->delayed_send(self, milliseconds(defaults::idle_check_ms), tick_atom::value);
      }
      for (auto it = st.slots.begin(); it != st.slots.end();) {
        if (!it->busy && now - it->last_used > milliseconds(defaults::idle_close_ms)) {
          self->send(it->actor, shutdown_atom::value);
          self->demonitor(it->actor.address());
          it = st.slots.erase(it);
        } else {
          ++it;
        }
      }
      dispatch(self);
    },
    [self](shutdown_atom) {
      auto& st = self->state;
      st.stopping = true;
      for (auto& q : st.queue)
        q.rp.deliver(fail(make_failure(error_code::internal, "server is shutting down", "shutdown", true)));
      st.queue.clear();
      for (auto& s : st.slots) {
        if (s.busy) s.control->abort();
        self->send(s.actor, shutdown_atom::value);
      }
      if (st.slots.empty()) self->quit();
      else self->delayed_send(self, milliseconds(defaults::logout_grace_ms), tick_atom::value);
    },
  };
}

} // namespace

account_actor spawn_account(caf::actor_system& system, std::shared_ptr<const settings> config,
                            const account_settings& account) {
  return system.spawn(imap_mcp::account, config, &account);
}

} // namespace imap_mcp
