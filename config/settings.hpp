#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/defaults.hpp"
#include "config/secret.hpp"
#include "protocol/util/error.hpp"

namespace imap_mcp {

/// One IMAP account, from MAIL_IMAP_<SEGMENT>_* variables.
struct account_settings {
  std::string id;      ///< lower-case segment, e.g. "default", "work_2"
  std::string segment; ///< as written in the variable names, e.g. "DEFAULT", "WORK_2"
  std::string host;
  std::uint16_t port = defaults::imap_port;
  bool secure = true;
  std::string user;
  secret pass;
  int max_connections = defaults::max_connections;
};

/// Streamable HTTP mode settings.
struct http_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::vector<std::string> allowed_origins; ///< extra allowed Origin values
  std::vector<secret> tokens;               ///< bearer tokens (env and/or file)
  int session_idle_seconds = defaults::http_session_idle_seconds;
  int max_sessions = defaults::http_max_sessions;
  int rate_limit_per_second = defaults::http_rate_limit_per_second;
  int session_concurrency = defaults::http_session_concurrency;
};

enum class transport_kind { stdio, http };

/// All validated settings of one server process.
struct settings {
  std::vector<account_settings> accounts; ///< sorted by id
  bool write_enabled = false;
  int connect_timeout_ms = defaults::connect_timeout_ms;
  int greeting_timeout_ms = defaults::greeting_timeout_ms;
  int socket_timeout_ms = defaults::socket_timeout_ms;
  int tool_timeout_ms = defaults::tool_timeout_ms;
  std::string ca_cert_path; ///< empty: system roots only
  int cursor_ttl_seconds = defaults::cursor_ttl_seconds;
  std::optional<secret> cursor_secret;
  std::string log_level = "info";
  int mime_pool_size = 0; ///< 0: number of cores
  int pdf_pool_size = 0;  ///< 0: number of cores
  transport_kind transport = transport_kind::stdio;
  http_settings http;
  /// Notes for the operator that do not stop start-up (e.g. an unknown MAIL_IMAP_* name,
  /// likely a typo); main logs them once the log level is set. Never hold secret values.
  std::vector<std::string> warnings;

  /// The account with that id, or nullptr.
  const account_settings* find_account(const std::string& id) const;
};

/// Environment variables by name.
using env_map = std::map<std::string, std::string>;

/// The process environment, plus ./.env (or `dotenv_path`) entries for names the real
/// environment does not set. A missing .env file is not an error; an empty `dotenv_path`
/// skips it. The failure of a malformed .env names the file and line, never a value.
result<env_map> read_environment(char** envp, const std::string& dotenv_path = ".env");

/// Parses the KEY=VALUE lines of a .env file (comments, blank lines, `export `, quotes).
result<env_map> parse_dotenv(const std::string& text);

/// As parse_dotenv(text); failures name `source_name` (e.g. the file path) and the line.
result<env_map> parse_dotenv(const std::string& text, const std::string& source_name);

/// Validates everything; the failure message names the offending variable.
result<settings> load_settings(const env_map& env);

/// Where a variable is listed in --help.
enum class variable_group { account, server, http };

/// One documented configuration variable: the table behind --help and the check for
/// unknown MAIL_IMAP_* names.
struct variable_info {
  std::string name;          ///< e.g. "MAIL_IMAP_WRITE_ENABLED", "MAIL_IMAP_<ACCOUNT>_PORT"
  std::string default_value; ///< as shown in --help, e.g. "993", "none", or "(required)"
  std::string meaning;       ///< one line
  variable_group group;
};

/// Every variable the server reads, in --help order.
const std::vector<variable_info>& known_variables();

/// The account segments found in `env` (MAIL_IMAP_<SEGMENT>_HOST with a well-formed
/// segment that is not a server-wide name such as HTTP or CURSOR), sorted by account id.
std::vector<std::string> account_segments(const env_map& env);

/// A parsed listen address; an IPv6 host is held without its brackets.
struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};

/// Parses `host:port` or `[v6]:port` (port 1..65535), as in MAIL_IMAP_HTTP_LISTEN and
/// --listen. The failure message says what is expected, without a variable name.
result<listen_address> parse_listen_address(const std::string& text);

/// True for names whose values are secrets (*_PASS, *_TOKEN, *_KEY, *_SECRET, ...).
bool is_secret_name(const std::string& name);

/// Usage text for --help: options, every variable with its default, and the accounts
/// found in `env` with secret values shown as <redacted>.
std::string help_text(const env_map& env);

} // namespace imap_mcp
