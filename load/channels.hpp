#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "load/http_client.hpp"
#include "protocol/util/error.hpp"

/// How MCP agents talk to the server: an own Streamable HTTP session, or a share of a
/// spawned stdio server process.
namespace imap_mcp::load {

/// The outcome of one JSON-RPC request.
struct rpc_result {
  /// The JSON-RPC response, when one arrived.
  std::optional<nlohmann::json> response;
  /// The transport error key when none arrived ("http_503", "timeout", "closed"...).
  std::string transport_error;
  /// A human description of the transport error (for the first-errors list of the report).
  std::string detail;
};

/// One agent's MCP connection. Used by one thread; abort() may come from another.
class mcp_channel {
public:
  virtual ~mcp_channel() = default;
  /// Starts the MCP session (initialize, then notifications/initialized). The returned
  /// result is that of initialize; a channel whose session already exists returns nullopt.
  virtual std::optional<rpc_result> open() = 0;
  /// Sends one request and waits for its response.
  virtual rpc_result request(const std::string& method, const nlohmann::json& params) = 0;
  /// Ends the session (HTTP: DELETE), bounded by the request timeout.
  virtual void close() = 0;
  /// Makes the blocked and later requests fail at once.
  virtual void abort() = 0;
  /// True when open() must run (first, and after the server forgot the session).
  virtual bool needs_open() const = 0;
};

/// The MCP protocol version the harness speaks.
inline constexpr const char* protocol_version = "2025-11-25";

/// The initialize params the harness sends.
nlohmann::json initialize_params();

/// An MCP session of its own over Streamable HTTP on a keep-alive connection.
class http_channel final : public mcp_channel {
public:
  /// `token` is sent as a bearer token when not empty.
  http_channel(const std::string& host, std::uint16_t port, std::string path, std::string token,
               int connect_timeout_ms, int request_timeout_ms);
  std::optional<rpc_result> open() override;
  rpc_result request(const std::string& method, const nlohmann::json& params) override;
  void close() override;
  void abort() override;
  bool needs_open() const override { return session_id_.empty(); }
  /// The session id (empty before open() succeeded or after the server forgot it).
  const std::string& session_id() const { return session_id_; }

private:
  /// POSTs one JSON-RPC message; `expect_answer` for requests. For notifications the result
  /// has neither response nor error when the server answered 202.
  rpc_result post(const nlohmann::json& message, bool expect_answer, http_response* raw = nullptr);
  std::vector<std::pair<std::string, std::string>> headers(bool with_session) const;

  http_connection connection_;
  std::string path_;
  std::string token_;
  std::string session_id_;
  std::int64_t next_id_ = 1;
};

/// M spawned `imap-mcp` processes speaking stdio (newline-delimited JSON-RPC). Requests of
/// all agents sharing a process are multiplexed by id; one reader thread per process routes
/// the responses to the waiting agents.
class stdio_pool {
public:
  /// Spawns `count` servers (binary + args), initializes each (initialize and
  /// notifications/initialized) and returns once all answered. stderr goes to `stderr_fd`
  /// (-1: /dev/null).
  static result<std::unique_ptr<stdio_pool>> start(const std::vector<std::string>& argv, int count,
                                                   int stderr_fd, int request_timeout_ms);
  ~stdio_pool();

  /// The servers' pids.
  std::vector<int> pids() const;
  /// Milliseconds from spawning to the slowest server's initialize answer.
  double ready_ms() const { return ready_ms_; }
  /// Sends a request to server `index` and waits for its response.
  rpc_result request(std::size_t index, const std::string& method, const nlohmann::json& params);
  /// Closes every server's stdin (a clean shutdown) and waits up to grace_ms for them to
  /// exit, then kills the rest.
  void shutdown(int grace_ms);
  /// Kills every server: blocked requests fail at once.
  void abort();
  std::size_t size() const { return servers_.size(); }

private:
  struct waiter {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::optional<nlohmann::json> response;
    std::string error;
  };
  struct server {
    int pid = -1;
    int in_fd = -1, out_fd = -1;
    std::mutex write_mutex;
    std::mutex waiters_mutex;
    std::map<std::int64_t, std::shared_ptr<waiter>> waiters;
    bool dead = false;
    std::thread reader;
  };
  explicit stdio_pool(int request_timeout_ms) : request_timeout_ms_(request_timeout_ms) {}
  void read_loop(server& s);
  void fail_all(server& s, const std::string& why);

  int request_timeout_ms_;
  std::vector<std::unique_ptr<server>> servers_;
  std::atomic<std::int64_t> next_id_{1};
  double ready_ms_ = 0;
};

/// An agent's share of a stdio_pool: one of its servers (the MCP session of that process is
/// shared by its agents, as several agents of one client process would share it).
class stdio_channel final : public mcp_channel {
public:
  stdio_channel(stdio_pool& pool, std::size_t index) : pool_(pool), index_(index) {}
  std::optional<rpc_result> open() override { return std::nullopt; }
  rpc_result request(const std::string& method, const nlohmann::json& params) override {
    return pool_.request(index_, method, params);
  }
  void close() override {}
  void abort() override {}
  bool needs_open() const override { return false; }

private:
  stdio_pool& pool_;
  std::size_t index_;
};

} // namespace imap_mcp::load
