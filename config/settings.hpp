#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/secret.hpp"
#include "protocol/util/error.hpp"

namespace imap_mcp {

/// One IMAP account, from MAIL_IMAP_<SEGMENT>_* variables.
struct account_settings {
  std::string id;      ///< lower-case segment, e.g. "default", "work_2"
  std::string segment; ///< as written in the variable names, e.g. "DEFAULT", "WORK_2"
  std::string host;
  std::uint16_t port = 993;
  bool secure = true;
  std::string user;
  secret pass;
  int max_connections = 4;
};

/// Streamable HTTP mode settings.
struct http_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::vector<std::string> allowed_origins; ///< extra allowed Origin values
  std::vector<secret> tokens;               ///< bearer tokens (env and/or file)
  int session_idle_seconds = 1800;
  int max_sessions = 1000;
  int rate_limit_per_second = 200;
  int session_concurrency = 32;
};

enum class transport_kind { stdio, http };

/// All validated settings of one server process.
struct settings {
  std::vector<account_settings> accounts; ///< sorted by id
  bool write_enabled = false;
  int connect_timeout_ms = 30000;
  int greeting_timeout_ms = 15000;
  int socket_timeout_ms = 300000;
  int tool_timeout_ms = 60000;
  std::string ca_cert_path; ///< empty: system roots only
  int cursor_ttl_seconds = 600;
  std::optional<secret> cursor_secret;
  std::string log_level = "info";
  int mime_pool_size = 0; ///< 0: number of cores
  int pdf_pool_size = 0;  ///< 0: number of cores
  transport_kind transport = transport_kind::stdio;
  http_settings http;

  const account_settings* find_account(const std::string& id) const;
};

/// Environment variables by name.
using env_map = std::map<std::string, std::string>;

/// The process environment, plus ./.env (or `dotenv_path`) entries for names the real
/// environment does not set. A missing .env file is not an error.
result<env_map> read_environment(char** envp, const std::string& dotenv_path = ".env");

/// Parses the KEY=VALUE lines of a .env file (comments, blank lines, `export `, quotes).
result<env_map> parse_dotenv(const std::string& text);

/// Validates everything; the failure message names the offending variable.
result<settings> load_settings(const env_map& env);

/// True for names whose values are secrets (*_PASS, *_TOKEN, *_KEY, *_SECRET, ...).
bool is_secret_name(const std::string& name);

/// Usage text for --help: options, every variable with its default, and the accounts
/// found in `env` with secret values shown as <redacted>.
std::string help_text(const env_map& env);

} // namespace imap_mcp
