#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/util/error.hpp"

/// Command line of imap-mcp-load.
namespace imap_mcp::load {

/// How the harness reaches the IMAP data.
enum class run_mode {
  /// Each agent is its own MCP session over Streamable HTTP.
  http,
  /// Agents share M spawned `imap-mcp` processes over stdio (requests multiplexed by id).
  stdio,
  /// No MCP: each agent issues the tools' IMAP command sequences on its own warm connection.
  raw_imap,
  /// Opens N idle HTTP sessions and measures the server's memory per session.
  idle_sessions,
};

/// The operations of the agent mix (each maps to one tool).
enum class op_kind {
  list_accounts,
  list_mailboxes,
  search,
  get_message,
  get_message_raw,
  update_flags
};

/// The tool name of an operation ("imap_search_messages").
const char* tool_name(op_kind op);

/// Every operation, in mix order.
const std::vector<op_kind>& all_ops();

/// Upper bounds of the options (validated by parse_options).
inline constexpr int max_agents = 1000;
inline constexpr int max_servers = 64;
inline constexpr int max_duration_seconds = 86400;

/// Validated options of one run.
struct load_options {
  run_mode mode = run_mode::http;
  /// Streamable HTTP endpoint (http, idle-sessions).
  std::string url = "http://127.0.0.1:8000/mcp";
  /// Server binary to spawn (stdio: required; http and idle-sessions: optional).
  std::string spawn_server;
  /// Extra arguments for spawned servers.
  std::vector<std::string> server_args;
  /// Where spawned servers' stderr goes (empty: discarded).
  std::string server_log;
  /// stdio: number of server processes the agents share.
  int servers = 1;
  /// Process trees to measure (RSS, CPU): the server's and the IMAP server's.
  std::vector<int> server_pids;
  std::vector<int> imap_server_pids;
  bool allow_remote = false;

  int agents = 10;
  double duration_s = 10;
  std::uint64_t max_requests = 0; ///< 0: bounded by duration only
  double ramp_up_s = 0;
  double warmup_s = 0;
  int think_ms = 0;
  /// How long agents may take to finish their call in flight after the stop, before the
  /// harness aborts their connections; also bounds the end-of-run session DELETEs.
  int grace_ms = 0;
  /// Deadline of one request (HTTP answer, stdio answer, IMAP command).
  int request_timeout_ms = 0;
  /// Deadline of connecting (TCP, TLS, IMAP greeting) and of a spawned server's start.
  int connect_timeout_ms = 0;

  /// Relative weights of the operations (0 leaves one out).
  std::map<op_kind, double> mix;
  std::string account_id = "default";
  std::string mailbox = "INBOX";
  int search_limit = 20;
  /// Fraction of searches that fetch the next page with the previous search's cursor.
  double page_fraction = 0.25;
  /// Fraction of get_message calls that extract attachment text (PDF).
  double pdf_fraction = 0.2;
  /// When set, get_message and get_message_raw always read this UID of the mailbox.
  std::optional<std::uint32_t> message_uid;
  std::uint32_t raw_max_bytes = 200000;
  bool allow_writes = false;
  /// Keyword the write mix toggles.
  std::string flag_keyword = "$LoadTest";
  std::uint64_t seed = 1;

  std::string report_path;
  std::string label;
  bool quiet = false;
};

/// Parses and validates argv[1..] (bounds, loopback targets unless --allow-remote, the write
/// mix only with --allow-writes). The failure message names the option. --help is reported
/// as a failure with stage "help" and the usage text as its message.
result<load_options> parse_options(const std::vector<std::string>& args);

/// Usage text for --help.
std::string usage_text();

/// Host and port of an http:// URL, with the path (https is not supported: the server has no
/// TLS of its own).
struct http_url {
  std::string host;
  std::uint16_t port = 80;
  std::string path = "/";
};

/// Parses "http://host[:port][/path]" ([v6] literals allowed).
result<http_url> parse_http_url(const std::string& url);

} // namespace imap_mcp::load
