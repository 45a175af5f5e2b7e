#include "load/channels.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/version.hpp"
#include "load/proc.hpp"

namespace imap_mcp::load {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

json initialize_params() {
  return {{"protocolVersion", protocol_version},
          {"capabilities", json::object()},
          {"clientInfo", {{"name", "imap-mcp-load"}, {"version", version}}}};
}

// ---- HTTP ---------------------------------------------------------------------------------

http_channel::http_channel(const std::string& host, std::uint16_t port, std::string path,
                           std::string token, int connect_timeout_ms, int request_timeout_ms)
    : connection_(host, port, connect_timeout_ms, request_timeout_ms), path_(std::move(path)),
      token_(std::move(token)) {}

std::vector<std::pair<std::string, std::string>> http_channel::headers(bool with_session) const {
  std::vector<std::pair<std::string, std::string>> h = {
      {"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}};
  if (with_session) {
    h.emplace_back("Mcp-Session-Id", session_id_);
    h.emplace_back("MCP-Protocol-Version", protocol_version);
  }
  if (!token_.empty())
    h.emplace_back("Authorization", "Bearer " + token_);
  return h;
}

rpc_result http_channel::post(const json& message, bool expect_answer, http_response* raw) {
  rpc_result out;
  const bool with_session = !session_id_.empty();
  auto [response, error] =
      connection_.request("POST", path_, headers(with_session), message.dump());
  if (error) {
    out.transport_error = failure_key(error->kind);
    out.detail = error->message;
    return out;
  }
  if (raw != nullptr)
    *raw = response;
  if (response.status == 404 && with_session)
    session_id_.clear(); // expired or forgotten: initialize again
  if (!expect_answer) {
    if (response.status != 202 && response.status != 200) {
      out.transport_error = "http_" + std::to_string(response.status);
      out.detail = response.body.substr(0, 200);
    }
    return out;
  }
  if (response.status != 200) {
    out.transport_error = "http_" + std::to_string(response.status);
    out.detail = response.body.substr(0, 200);
    return out;
  }
  const std::string type = response.header("content-type");
  if (type.find("text/event-stream") != std::string::npos) {
    // Progress notifications come first; the response is the event carrying our id.
    for (auto& data : sse_data(response.body)) {
      json m = json::parse(data, nullptr, false);
      if (m.is_object() && m.contains("id") && m["id"] == message["id"]) {
        out.response = std::move(m);
        return out;
      }
    }
    out.transport_error = "sse_without_response";
    out.detail = "the event stream ended without the response";
    return out;
  }
  json m = json::parse(response.body, nullptr, false);
  if (m.is_discarded()) {
    out.transport_error = "bad_json";
    out.detail = "the answer is not JSON";
    return out;
  }
  out.response = std::move(m);
  return out;
}

std::optional<rpc_result> http_channel::open() {
  session_id_.clear();
  json init = {{"jsonrpc", "2.0"},
               {"id", next_id_++},
               {"method", "initialize"},
               {"params", initialize_params()}};
  http_response raw;
  rpc_result r = post(init, true, &raw);
  if (!r.response)
    return r;
  session_id_ = raw.header("mcp-session-id");
  if (session_id_.empty() && !r.response->contains("error")) {
    r.response.reset();
    r.transport_error = "no_session_id";
    r.detail = "initialize answered without Mcp-Session-Id";
    return r;
  }
  if (session_id_.empty())
    return r;
  rpc_result n = post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, false);
  if (!n.transport_error.empty()) {
    r.response.reset();
    r.transport_error = n.transport_error;
    r.detail = "notifications/initialized: " + n.detail;
  }
  return r;
}

rpc_result http_channel::request(const std::string& method, const json& params) {
  if (session_id_.empty())
    return {std::nullopt, "no_session", "the session is gone (initialize failed or expired)"};
  return post({{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", params}},
              true);
}

void http_channel::close() {
  if (!session_id_.empty()) {
    (void)connection_.request("DELETE", path_, headers(true), {});
    session_id_.clear();
  }
  connection_.close();
}

void http_channel::abort() {
  connection_.abort();
}

// ---- stdio --------------------------------------------------------------------------------

namespace {

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

} // namespace

result<std::unique_ptr<stdio_pool>> stdio_pool::start(const std::vector<std::string>& argv,
                                                      int count, int stderr_fd,
                                                      int request_timeout_ms) {
  std::unique_ptr<stdio_pool> pool(new stdio_pool(request_timeout_ms));
  const auto t0 = clock_type::now();
  for (int i = 0; i < count; ++i) {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0)
      return make_failure(error_code::internal, "pipe failed", "spawn");
    if (pipe2(from_child, O_CLOEXEC) != 0) {
      ::close(to_child[0]);
      ::close(to_child[1]);
      return make_failure(error_code::internal, "pipe failed", "spawn");
    }
    auto pid = spawn_process(argv, spawn_io{to_child[0], from_child[1], stderr_fd});
    ::close(to_child[0]);
    ::close(from_child[1]);
    if (!pid) {
      ::close(to_child[1]);
      ::close(from_child[0]);
      return pid.error();
    }
    auto s = std::make_unique<server>();
    s->pid = *pid;
    s->in_fd = to_child[1];
    s->out_fd = from_child[0];
    server* raw = s.get();
    s->reader = std::thread([p = pool.get(), raw] { p->read_loop(*raw); });
    pool->servers_.push_back(std::move(s));
  }
  // Initialize every process: the MCP session its agents share.
  for (std::size_t i = 0; i < pool->servers_.size(); ++i) {
    auto r = pool->request(i, "initialize", initialize_params());
    if (!r.response || r.response->contains("error"))
      return make_failure(
          error_code::internal,
          "stdio server " + std::to_string(i) + " did not initialize: " +
              (r.response ? r.response->dump() : r.transport_error + " " + r.detail),
          "initialize");
    auto& s = *pool->servers_[i];
    std::lock_guard lock(s.write_mutex);
    write_all(s.in_fd, R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
                       "\n");
  }
  pool->ready_ms_ = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
  return pool;
}

stdio_pool::~stdio_pool() {
  abort();
  for (auto& s : servers_) {
    if (s->reader.joinable())
      s->reader.join();
    if (s->in_fd >= 0)
      ::close(s->in_fd);
    if (s->out_fd >= 0)
      ::close(s->out_fd);
    if (s->pid > 0)
      (void)stop_process(s->pid, 0);
  }
}

std::vector<int> stdio_pool::pids() const {
  std::vector<int> out;
  for (const auto& s : servers_)
    out.push_back(s->pid);
  return out;
}

void stdio_pool::fail_all(server& s, const std::string& why) {
  std::map<std::int64_t, std::shared_ptr<waiter>> waiters;
  {
    std::lock_guard lock(s.waiters_mutex);
    s.dead = true;
    waiters.swap(s.waiters);
  }
  for (auto& [_, w] : waiters) {
    std::lock_guard lock(w->m);
    w->done = true;
    w->error = why;
    w->cv.notify_all();
  }
}

void stdio_pool::read_loop(server& s) {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(s.out_fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (;;) {
      auto nl = buffer.find('\n', start);
      if (nl == std::string::npos)
        break;
      json m = json::parse(std::string_view(buffer).substr(start, nl - start), nullptr, false);
      start = nl + 1;
      if (!m.is_object())
        continue;
      auto id = m.find("id");
      if (id == m.end() || !id->is_number_integer())
        continue; // notifications (progress, logs)
      std::shared_ptr<waiter> w;
      {
        std::lock_guard lock(s.waiters_mutex);
        auto it = s.waiters.find(id->get<std::int64_t>());
        if (it == s.waiters.end())
          continue; // the waiter timed out already
        w = it->second;
        s.waiters.erase(it);
      }
      std::lock_guard lock(w->m);
      w->response = std::move(m);
      w->done = true;
      w->cv.notify_all();
    }
    buffer.erase(0, start);
  }
  fail_all(s, "the server closed its stdout");
}

rpc_result stdio_pool::request(std::size_t index, const std::string& method, const json& params) {
  server& s = *servers_.at(index);
  const std::int64_t id = next_id_++;
  auto w = std::make_shared<waiter>();
  {
    std::lock_guard lock(s.waiters_mutex);
    if (s.dead)
      return {std::nullopt, "closed", "the server process is gone"};
    s.waiters[id] = w;
  }
  const std::string line =
      json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump() + "\n";
  bool written;
  {
    std::lock_guard lock(s.write_mutex);
    written = write_all(s.in_fd, line);
  }
  if (!written) {
    std::lock_guard lock(s.waiters_mutex);
    s.waiters.erase(id);
    return {std::nullopt, "closed", "cannot write to the server's stdin"};
  }
  std::unique_lock lock(w->m);
  if (!w->cv.wait_for(lock, std::chrono::milliseconds(request_timeout_ms_),
                      [&] { return w->done; })) {
    lock.unlock();
    std::lock_guard wl(s.waiters_mutex);
    s.waiters.erase(id);
    return {std::nullopt, "timeout",
            "no answer within " + std::to_string(request_timeout_ms_) + " ms"};
  }
  if (w->response)
    return {std::move(w->response), {}, {}};
  return {std::nullopt, "closed", w->error};
}

void stdio_pool::shutdown(int grace_ms) {
  for (auto& s : servers_)
    if (s->in_fd >= 0) {
      std::lock_guard lock(s->write_mutex);
      ::close(s->in_fd);
      s->in_fd = -1;
    }
  const auto deadline = clock_type::now() + std::chrono::milliseconds(grace_ms);
  for (auto& s : servers_) {
    if (s->pid <= 0)
      continue;
    const int left = static_cast<int>(std::max<long long>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now())
               .count()));
    // stop_process sends SIGTERM only after the wait: a server that saw EOF exits by itself.
    int st = 0;
    bool reaped = false;
    auto until = clock_type::now() + std::chrono::milliseconds(left);
    for (;;) {
      if (waitpid(s->pid, &st, WNOHANG) != 0) {
        reaped = true;
        break;
      }
      if (clock_type::now() >= until)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!reaped)
      (void)stop_process(s->pid, 0);
    s->pid = -1;
  }
  for (auto& s : servers_)
    if (s->reader.joinable())
      s->reader.join();
}

void stdio_pool::abort() {
  for (auto& s : servers_)
    if (s->pid > 0)
      ::kill(s->pid, SIGKILL);
}

} // namespace imap_mcp::load
