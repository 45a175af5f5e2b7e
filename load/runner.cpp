#include "load/runner.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "config/settings.hpp"
#include "protocol/util/hostport.hpp"
#include "load/channels.hpp"
#include "load/proc.hpp"
#include "load/raw_imap.hpp"
#include "load/report.hpp"
#include "load/workload.hpp"
#include "protocol/tls/tls.hpp"

extern char** environ;

namespace imap_mcp::load {

namespace {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

/// Agents are many and mostly blocked in I/O: small stacks keep 1,000 of them cheap.
constexpr std::size_t agent_stack_bytes = 512 * 1024;
/// How often the process trees are sampled and the progress line is refreshed.
constexpr int sample_interval_ms = 250;
constexpr int progress_interval_ms = 1000;
/// Most distinct failures quoted in the report.
constexpr std::size_t max_first_errors = 10;

/// Set by SIGINT/SIGTERM: the run stops as at the end of its duration (spawned servers live
/// in process groups of their own, so the harness must stop them itself).
volatile std::sig_atomic_t interrupted = 0;

extern "C" void on_interrupt(int) {
  interrupted = 1;
}

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// A thread with a small stack (std::thread cannot set one).
class agent_thread {
public:
  explicit agent_thread(std::function<void()> body) : body_(std::move(body)) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, agent_stack_bytes);
    started_ = pthread_create(&thread_, &attr, &agent_thread::trampoline, this) == 0;
    pthread_attr_destroy(&attr);
  }
  ~agent_thread() { join(); }
  agent_thread(const agent_thread&) = delete;
  agent_thread& operator=(const agent_thread&) = delete;
  void join() {
    if (started_)
      pthread_join(thread_, nullptr);
    started_ = false;
  }
  bool started() const { return started_; }

private:
  static void* trampoline(void* self) {
    static_cast<agent_thread*>(self)->body_();
    return nullptr;
  }
  std::function<void()> body_;
  pthread_t thread_{};
  bool started_ = false;
};

/// State shared by the agents of one run.
struct run_context {
  explicit run_context(const load_options& o) : options(o) {}
  const load_options& options;
  clock_type::time_point start, measure_from;
  /// Set when no new call may start; `hard_stop` when calls in flight are being cut off.
  std::atomic<bool> stop{false}, hard_stop{false};
  std::atomic<bool> stopped_by_max{false};
  std::atomic<std::uint64_t> tickets{0};
  std::atomic<std::uint64_t> calls{0}, failures{0}, aborted{0}, warmup{0};
  std::atomic<int> running{0};
  std::mutex mutex;
  std::condition_variable agents_done;
  std::condition_variable wake; ///< interrupts ramp-up and think-time sleeps at the stop
  std::vector<std::string> first_errors;
  std::set<std::string> seen_errors;
  std::map<int, std::function<void()>> aborters;
  stats_table merged;
  /// Tool calls per second since `start` (shared: one per agent would cost memory per second
  /// per agent in long runs), under its own lock.
  std::mutex timeline_mutex;
  timeline seconds;
  /// Spawned server: when it was started, and the first tool answer (0: none yet).
  std::optional<clock_type::time_point> spawned_at;
  std::atomic<std::int64_t> first_answer_ns{0};

  /// Sleeps until `until` or the stop.
  void sleep_until(clock_type::time_point until) {
    std::unique_lock lock(mutex);
    wake.wait_until(lock, until, [&] { return stop.load(); });
  }
  void note_error(const std::string& operation, const std::string& key, const std::string& detail) {
    std::lock_guard lock(mutex);
    if (first_errors.size() >= max_first_errors ||
        !seen_errors.insert(operation + "|" + key).second)
      return;
    first_errors.push_back(operation + ": " + key +
                           (detail.empty() ? "" : ": " + detail.substr(0, 300)));
  }
  void register_abort(int id, std::function<void()> f) {
    std::lock_guard lock(mutex);
    aborters[id] = std::move(f);
    if (hard_stop)
      aborters[id]();
  }
  void unregister_abort(int id) {
    std::lock_guard lock(mutex);
    aborters.erase(id);
  }
  /// Takes a ticket for one more tool call; false once --max-requests is used up.
  bool take_ticket() {
    if (stop)
      return false;
    if (options.max_requests == 0)
      return true;
    if (++tickets <= options.max_requests)
      return true;
    stopped_by_max = true;
    stop = true;
    wake.notify_all();
    return false;
  }
};

/// One agent's measurements.
struct agent_recorder {
  run_context& ctx;
  stats_table stats;

  /// Records one exchange that started at t0.
  void record(const std::string& operation, clock_type::time_point t0, clock_type::time_point t1,
              const std::string& transport_error, const std::string& error, bool partial,
              const std::string& detail, bool retryable = false) {
    ++ctx.calls;
    if (!transport_error.empty() && ctx.hard_stop) {
      ++ctx.aborted; // cut off by our own hard stop, not the server's failure
      return;
    }
    // The timeline covers the whole run (warm-up included): it shows when things happened.
    if (is_tool_operation(operation)) {
      std::lock_guard lock(ctx.timeline_mutex);
      add(timeline_bucket(ctx.seconds, std::chrono::duration<double>(t1 - ctx.start).count()),
          t0, t1, transport_error, error, partial, retryable);
    }
    if (!transport_error.empty() || !error.empty()) {
      ++ctx.failures;
      ctx.note_error(operation, transport_error.empty() ? error : transport_error, detail);
    }
    if (ctx.spawned_at && is_tool_operation(operation) && error.empty() &&
        transport_error.empty()) {
      std::int64_t expected = 0;
      const auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - *ctx.spawned_at).count();
      ctx.first_answer_ns.compare_exchange_strong(expected, ns);
    }
    // Session set-up happens during the ramp-up by design: it is always recorded.
    if (t0 < ctx.measure_from && is_tool_operation(operation)) {
      ++ctx.warmup;
      return;
    }
    add(stats[operation], t0, t1, transport_error, error, partial, retryable);
  }

  static void add(op_stats& s, clock_type::time_point t0, clock_type::time_point t1,
                  const std::string& transport_error, const std::string& error, bool partial,
                  bool retryable) {
    if (!transport_error.empty()) {
      ++s.transport_errors[transport_error];
      return;
    }
    s.latencies_ms.push_back(ms_between(t0, t1));
    if (!error.empty()) {
      ++s.errors[error];
      if (!retryable)
        ++s.non_retryable;
    } else {
      ++s.ok;
    }
    if (partial)
      ++s.partial;
  }

  void finish() {
    std::lock_guard lock(ctx.mutex);
    merge_into(ctx.merged, stats);
  }
};

/// The human text of an MCP error answer (for first_errors).
std::string error_detail(const rpc_result& r) {
  if (!r.response)
    return r.detail;
  const json& m = *r.response;
  if (m.contains("error"))
    return m["error"].dump();
  try {
    const auto& result = m.at("result");
    if (result.value("isError", false))
      return result.at("content").at(0).at("text").get<std::string>();
    return result.at("structuredContent").at("data").at("issues").dump();
  } catch (...) {
    return {};
  }
}

void think(run_context& ctx, agent_state& st) {
  const int t = ctx.options.think_ms;
  if (t <= 0)
    return;
  std::uniform_int_distribution<int> d(t / 2, t + t / 2);
  ctx.sleep_until(clock_type::now() + std::chrono::milliseconds(d(st.rng)));
}

clock_type::time_point agent_start(const run_context& ctx, int index) {
  const double offset =
      ctx.options.agents > 1 ? ctx.options.ramp_up_s * index / ctx.options.agents : 0;
  return ctx.start + std::chrono::microseconds(static_cast<std::int64_t>(offset * 1e6));
}

/// An MCP agent: initialize, tools/list, then the mix until the stop.
void mcp_agent(run_context& ctx, int index,
               const std::function<std::unique_ptr<mcp_channel>()>& make_channel) {
  const auto& o = ctx.options;
  agent_state st(o.seed * 1000003 + static_cast<std::uint64_t>(index));
  agent_recorder rec{ctx, {}};
  ctx.sleep_until(agent_start(ctx, index));
  auto channel = make_channel();
  ctx.register_abort(index, [ch = channel.get()] { ch->abort(); });
  bool listed = false;
  while (!ctx.stop) {
    if (channel->needs_open()) {
      const auto t0 = clock_type::now();
      auto r = channel->open();
      const auto t1 = clock_type::now();
      if (r) {
        auto c = r->response ? classify_rpc_response(*r->response) : call_outcome{};
        rec.record("initialize", t0, t1, r->transport_error, c.error, false, error_detail(*r));
        if (channel->needs_open()) {
          // No session (e.g. the server's session cap): pause, then try again.
          ctx.sleep_until(clock_type::now() + std::chrono::milliseconds(std::max(o.think_ms, 100)));
          continue;
        }
      }
    }
    if (!listed) {
      const auto t0 = clock_type::now();
      auto r = channel->request("tools/list", json::object());
      const auto t1 = clock_type::now();
      auto c = r.response ? classify_rpc_response(*r.response) : call_outcome{};
      if (r.response && c.error.empty() && !(*r.response)["result"].contains("tools"))
        c.error = "rpc:no_tools";
      rec.record("tools/list", t0, t1, r.transport_error, c.error, false, error_detail(r));
      listed = true;
      continue;
    }
    if (!ctx.take_ticket())
      break;
    planned_call call = plan_call(pick_op(o.mix, st.rng), st, o);
    const auto t0 = clock_type::now();
    auto r = channel->request("tools/call", tool_call_params(call, st, o));
    const auto t1 = clock_type::now();
    call_outcome c = r.response ? classify_tool_response(*r.response) : call_outcome{};
    rec.record(call.operation, t0, t1, r.transport_error, c.error, c.partial, error_detail(r),
               c.retryable);
    if (r.response && c.error.empty()) {
      const json& result = (*r.response)["result"];
      if (call.op == op_kind::search && result.contains("structuredContent"))
        learn_from_search(st, result["structuredContent"]);
      if (call.op == op_kind::update_flags)
        st.keyword_set[call.target->uid] = call.add_keyword;
    }
    think(ctx, st);
  }
  channel->close();
  ctx.unregister_abort(index);
  rec.finish();
}

/// A raw IMAP agent: connect and log in, then the mix's IMAP sequences until the stop.
void raw_agent(run_context& ctx, int index, const raw_target& target) {
  const auto& o = ctx.options;
  agent_state st(o.seed * 1000003 + static_cast<std::uint64_t>(index));
  agent_recorder rec{ctx, {}};
  ctx.sleep_until(agent_start(ctx, index));
  std::unique_ptr<raw_session> session;
  while (!ctx.stop) {
    if (!session) {
      const auto t0 = clock_type::now();
      auto s = raw_session::open(target);
      const auto t1 = clock_type::now();
      if (!s) {
        rec.record("connect_login", t0, t1, "", failure_key(s.error()), false,
                   s.error().full_message());
        ctx.sleep_until(clock_type::now() + std::chrono::milliseconds(std::max(o.think_ms, 100)));
        continue;
      }
      rec.record("connect_login", t0, t1, "", "", false, "");
      session = std::move(*s);
      ctx.register_abort(index, [p = session.get()] { p->abort(); });
      continue;
    }
    if (!ctx.take_ticket())
      break;
    planned_call call = plan_call(pick_op(o.mix, st.rng), st, o);
    const auto t0 = clock_type::now();
    call_outcome c = session->run(call, st, o);
    const auto t1 = clock_type::now();
    const bool cut = ctx.hard_stop && !c.error.empty();
    rec.record(call.operation, t0, t1, cut ? "aborted" : "", cut ? "" : c.error, false, c.error,
               c.retryable);
    think(ctx, st);
  }
  if (session) {
    if (!ctx.hard_stop)
      session->logout();
    ctx.unregister_abort(index);
  }
  rec.finish();
}

/// The bearer token for HTTP: IMAP_MCP_LOAD_TOKEN, else the first of MAIL_IMAP_HTTP_TOKENS.
std::string bearer_token() {
  if (const char* t = std::getenv("IMAP_MCP_LOAD_TOKEN"); t != nullptr && *t != '\0')
    return t;
  const char* list = std::getenv("MAIL_IMAP_HTTP_TOKENS");
  if (list == nullptr)
    return {};
  std::string s = list;
  auto comma = s.find(',');
  s = s.substr(0, comma);
  while (!s.empty() && s.front() == ' ')
    s.erase(0, 1);
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

/// The account the server would use, from the environment (and ./.env) as the server reads it.
result<settings> server_settings() {
  auto env = read_environment(environ, ".env");
  if (!env)
    return env.error();
  return load_settings(*env);
}

/// Refuses an IMAP server that is not on loopback unless --allow-remote.
status check_imap_target(const settings& s, const load_options& o) {
  const auto* account = s.find_account(o.account_id);
  if (account == nullptr)
    return make_failure(error_code::invalid_input,
                        "account '" + o.account_id +
                            "' is not configured (MAIL_IMAP_<ACCOUNT>_HOST...)",
                        "options");
  if (!o.allow_remote && !net_address::is_loopback(account->host))
    return make_failure(
        error_code::invalid_input,
        "the account's IMAP host '" + account->host +
            "' is not a loopback address; pass --allow-remote to load a remote IMAP server",
        "options");
  return ok_status();
}

int open_log(const std::string& path) {
  if (path.empty())
    return -1;
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/// A spawned HTTP server: its pid, its URL, how long it took to answer /healthz.
struct spawned_http {
  int pid = -1;
  std::string url;
  double ready_ms = 0;
  clock_type::time_point spawned_at;
};

result<spawned_http> spawn_http_server(const load_options& o, int log_fd) {
  auto port = free_loopback_port();
  if (!port)
    return port.error();
  const std::string listen = "127.0.0.1:" + std::to_string(*port);
  std::vector<std::string> argv = {o.spawn_server, "--transport", "http", "--listen", listen};
  argv.insert(argv.end(), o.server_args.begin(), o.server_args.end());
  spawned_http out;
  out.spawned_at = clock_type::now();
  auto pid = spawn_process(argv, spawn_io{-1, log_fd, log_fd});
  if (!pid)
    return pid.error();
  out.pid = *pid;
  out.url = "http://" + listen + "/mcp";
  const auto deadline = out.spawned_at + std::chrono::milliseconds(o.connect_timeout_ms);
  http_connection probe("127.0.0.1", *port, o.connect_timeout_ms, o.request_timeout_ms);
  while (clock_type::now() < deadline) {
    if (!child_running(out.pid))
      return make_failure(error_code::internal, "the server exited at start-up (see --server-log)",
                          "spawn");
    auto [resp, err] = probe.request("GET", "/healthz", {}, {});
    if (!err && resp.status == 200) {
      out.ready_ms = ms_between(out.spawned_at, clock_type::now());
      return out;
    }
    probe.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  (void)stop_process(out.pid, 0);
  return make_failure(error_code::timeout,
                      "the server did not answer /healthz within " +
                          std::to_string(o.connect_timeout_ms) + " ms",
                      "spawn");
}

/// Where the previous progress line left off (its rate covers the time since).
struct progress_mark {
  std::uint64_t calls = 0;
  clock_type::time_point at;
};

void progress(const run_context& ctx, progress_mark& mark, bool final_line) {
  std::uint64_t& last_calls = mark.calls;
  clock_type::time_point& last = mark.at;
  const auto now = clock_type::now();
  const double elapsed = std::chrono::duration<double>(now - ctx.start).count();
  const std::uint64_t calls = ctx.calls;
  const double dt = std::chrono::duration<double>(now - last).count();
  const double rate = dt > 0 ? static_cast<double>(calls - last_calls) / dt : 0;
  last_calls = calls;
  last = now;
  const bool tty = isatty(2) != 0;
  std::fprintf(stderr, "%s[%7.1fs] agents %d/%d  calls %llu  %.0f/s  errors %llu%s",
               tty ? "\r" : "", elapsed, ctx.running.load(), ctx.options.agents,
               static_cast<unsigned long long>(calls), rate,
               static_cast<unsigned long long>(ctx.failures.load()), tty ? "\x1b[K" : "\n");
  if (final_line && tty)
    std::fputc('\n', stderr);
  std::fflush(stderr);
}

result<json> run_idle_sessions(load_options& o, int server_pid) {
  auto url = parse_http_url(o.url);
  if (!url)
    return url.error();
  idle_sessions_result r;
  r.started_utc = utc_now();
  r.requested = o.agents;
  const std::string token = bearer_token();
  auto rss = [&]() -> std::uint64_t {
    auto s = sample_tree(server_pid);
    return s ? s->root_rss_kb : 0;
  };
  // Warm the server once (first session, first call) so the baseline is an idle server that
  // has served, not one that never touched its session code.
  {
    http_channel warm(url->host, url->port, url->path, token, o.connect_timeout_ms,
                      o.request_timeout_ms);
    (void)warm.open();
    (void)warm.request("tools/list", json::object());
    warm.close();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(sample_interval_ms));
  r.rss_idle_kb = rss();
  // One connection opens every session: the figure is per session, not per TCP connection.
  http_channel opener(url->host, url->port, url->path, token, o.connect_timeout_ms,
                      o.request_timeout_ms);
  std::vector<std::string> ids;
  const auto t0 = clock_type::now();
  for (int i = 0; i < o.agents; ++i) {
    auto res = opener.open();
    if (res && res->response && !opener.session_id().empty())
      ids.push_back(opener.session_id());
    else if (r.first_errors.size() < max_first_errors)
      r.first_errors.push_back("initialize: " +
                               (res ? res->transport_error + " " + res->detail : std::string("?")));
  }
  r.open_seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  r.opened = static_cast<int>(ids.size());
  std::this_thread::sleep_for(std::chrono::milliseconds(sample_interval_ms));
  r.rss_with_sessions_kb = rss();
  // DELETE each session on the same connection.
  http_connection conn(url->host, url->port, o.connect_timeout_ms, o.request_timeout_ms);
  for (const auto& id : ids) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Mcp-Session-Id", id}, {"MCP-Protocol-Version", protocol_version}};
    if (!token.empty())
      h.emplace_back("Authorization", "Bearer " + token);
    (void)conn.request("DELETE", url->path, h, {});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(sample_interval_ms));
  r.rss_after_close_kb = rss();
  return build_idle_report(r, o);
}

} // namespace

result<json> run_load(load_options o) {
  install_interrupt_handlers();
  run_context ctx(o);
  run_result result;
  result.started_utc = utc_now();
  const double cpu0 = self_cpu_seconds();
  const int log_fd = open_log(o.server_log);
  struct fd_closer {
    int fd;
    ~fd_closer() {
      if (fd >= 0)
        ::close(fd);
    }
  } log_closer{log_fd};

  // The target: a spawned server, the raw IMAP account, or a running HTTP server.
  std::optional<spawned_http> http_server;
  std::unique_ptr<stdio_pool> pool;
  std::optional<settings> account_settings;
  raw_target raw;
  std::string password;
  if (o.mode == run_mode::raw_imap || !o.spawn_server.empty()) {
    auto s = server_settings();
    if (!s)
      return s.error();
    if (auto c = check_imap_target(*s, o); !c)
      return c.error();
    account_settings = std::move(*s);
  }
  if (o.mode == run_mode::raw_imap) {
    const auto* a = account_settings->find_account(o.account_id);
    auto tls_ctx = tls::client_context::create(account_settings->ca_cert_path);
    if (!tls_ctx)
      return tls_ctx.error();
    raw.host = a->host;
    raw.port = a->port;
    raw.user = a->user;
    raw.password = &a->pass.reveal();
    raw.tls_context = *tls_ctx;
    raw.connect_timeout_ms = o.connect_timeout_ms;
    raw.io_timeout_ms = o.request_timeout_ms;
  }
  if (!o.spawn_server.empty() && (o.mode == run_mode::http || o.mode == run_mode::idle_sessions)) {
    auto h = spawn_http_server(o, log_fd);
    if (!h)
      return h.error();
    http_server = *h;
    o.url = h->url;
    o.server_pids.push_back(h->pid);
    result.ready_ms = h->ready_ms;
    ctx.spawned_at = h->spawned_at;
  }
  struct http_stopper {
    std::optional<spawned_http>& s;
    int grace;
    ~http_stopper() {
      if (s)
        (void)stop_process(s->pid, grace);
    }
  } stop_http{http_server, o.grace_ms};

  if (o.mode == run_mode::idle_sessions)
    return run_idle_sessions(o, o.server_pids.front());

  if (o.mode == run_mode::stdio) {
    std::vector<std::string> argv = {o.spawn_server};
    argv.insert(argv.end(), o.server_args.begin(), o.server_args.end());
    ctx.spawned_at = clock_type::now();
    auto p = stdio_pool::start(argv, o.servers, log_fd, o.request_timeout_ms);
    if (!p)
      return p.error();
    pool = std::move(*p);
    result.ready_ms = pool->ready_ms();
    for (int pid : pool->pids())
      o.server_pids.push_back(pid);
  }

  tree_monitor monitor(sample_interval_ms);
  for (int pid : o.server_pids)
    monitor.add("server", pid);
  for (int pid : o.imap_server_pids)
    monitor.add("imap_server", pid);
  monitor.start();

  http_url url;
  std::string token;
  if (o.mode == run_mode::http) {
    auto u = parse_http_url(o.url);
    if (!u)
      return u.error();
    url = *u;
    token = bearer_token();
  }

  ctx.start = clock_type::now();
  // The wall-clock time of the timeline's origin, so that a driver can place its own events
  // (e.g. stopping the IMAP server) on it.
  const auto timeline_start_unix_ms = static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  ctx.measure_from = ctx.start + std::chrono::microseconds(
                                     static_cast<std::int64_t>((o.ramp_up_s + o.warmup_s) * 1e6));
  const auto planned_end = ctx.start + std::chrono::microseconds(static_cast<std::int64_t>(
                                           (o.ramp_up_s + o.warmup_s + o.duration_s) * 1e6));
  std::vector<std::unique_ptr<agent_thread>> agents;
  agents.reserve(static_cast<std::size_t>(o.agents));
  for (int i = 0; i < o.agents; ++i) {
    ++ctx.running;
    std::function<void()> body;
    auto done = [&ctx] {
      std::lock_guard lock(ctx.mutex);
      --ctx.running;
      ctx.agents_done.notify_all();
    };
    if (o.mode == run_mode::raw_imap) {
      body = [&ctx, i, &raw, done] {
        raw_agent(ctx, i, raw);
        done();
      };
    } else {
      std::function<std::unique_ptr<mcp_channel>()> factory;
      if (o.mode == run_mode::stdio)
        factory = [&pool, i]() -> std::unique_ptr<mcp_channel> {
          return std::make_unique<stdio_channel>(*pool, static_cast<std::size_t>(i) % pool->size());
        };
      else
        factory = [&url, &token, &o]() -> std::unique_ptr<mcp_channel> {
          return std::make_unique<http_channel>(url.host, url.port, url.path, token,
                                                o.connect_timeout_ms, o.request_timeout_ms);
        };
      body = [&ctx, i, factory, done] {
        mcp_agent(ctx, i, factory);
        done();
      };
    }
    agents.push_back(std::make_unique<agent_thread>(std::move(body)));
    if (!agents.back()->started()) {
      --ctx.running;
      ctx.stop = true;
      ctx.wake.notify_all();
      for (auto& a : agents)
        a->join();
      return make_failure(error_code::internal, "cannot start agent thread " + std::to_string(i),
                          "threads");
    }
  }

  // Run until the planned end or until --max-requests stops the agents.
  auto next_progress = clock_type::now() + std::chrono::milliseconds(progress_interval_ms);
  const bool tty = isatty(2) != 0;
  int lines = 0;
  progress_mark mark{0, ctx.start};
  while (!ctx.stop && !interrupted && clock_type::now() < planned_end) {
    {
      std::unique_lock lock(ctx.mutex);
      ctx.wake.wait_until(lock, std::min(planned_end, next_progress),
                          [&] { return ctx.stop.load(); });
    }
    if (clock_type::now() >= next_progress) {
      // Without a terminal one line every 5 s keeps logs readable.
      if (!o.quiet && (tty || ++lines % 5 == 0))
        progress(ctx, mark, false);
      next_progress += std::chrono::milliseconds(progress_interval_ms);
    }
  }
  const auto stop_at = clock_type::now();
  {
    std::lock_guard lock(ctx.mutex);
    ctx.stop = true;
  }
  ctx.wake.notify_all();
  result.stopped_by = ctx.stopped_by_max ? "max_requests" : interrupted ? "signal" : "duration";

  // Agents finish the call in flight; past the grace period their connections are cut.
  {
    std::unique_lock lock(ctx.mutex);
    const bool finished =
        ctx.agents_done.wait_until(lock, stop_at + std::chrono::milliseconds(o.grace_ms),
                                   [&] { return ctx.running.load() == 0; });
    if (!finished) {
      ctx.hard_stop = true;
      for (auto& [_, f] : ctx.aborters)
        f();
    }
  }
  if (ctx.hard_stop && pool)
    pool->abort();
  for (auto& a : agents)
    a->join();
  if (!o.quiet)
    progress(ctx, mark, true);
  if (pool)
    pool->shutdown(o.grace_ms);
  monitor.stop();

  result.operations = std::move(ctx.merged);
  result.seconds = std::move(ctx.seconds);
  result.timeline_start_unix_ms = timeline_start_unix_ms;
  result.window_s =
      std::max(0.0, std::chrono::duration<double>(stop_at - ctx.measure_from).count());
  result.aborted_calls = ctx.aborted;
  result.warmup_calls = ctx.warmup;
  result.processes = monitor.reports();
  result.harness_cpu_seconds = self_cpu_seconds() - cpu0;
  if (const auto ns = ctx.first_answer_ns.load(); ns > 0)
    result.first_call_ms = static_cast<double>(ns) / 1e6;
  result.first_errors = ctx.first_errors;
  return build_report(result, o);
}

} // namespace imap_mcp::load
