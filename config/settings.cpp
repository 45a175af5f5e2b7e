// Environment -> validated settings (contract section 5).
//
// Every failure is invalid_input with a message that names the variable and says what is
// expected. Values of non-secret variables are echoed (sanitised) because that helps the
// operator; values of secret-named variables and file contents never are.

#include "config/settings.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <string_view>

#include <openssl/crypto.h>

#include "protocol/util/hostport.hpp"

namespace imap_mcp {

namespace {

constexpr std::string_view var_prefix = "MAIL_IMAP_";
constexpr std::size_t max_segment_length = 64; // account_id is 1..64 chars (contract 3)
constexpr std::size_t max_host_length = 255;
constexpr std::size_t max_secret_file_bytes = 64 * 1024;
constexpr std::size_t max_token_file_bytes = 1024 * 1024;
constexpr std::size_t min_cursor_secret_bytes = 16;
constexpr std::size_t max_shown_value_bytes = 80;

// Bounds that are not defaults (the defaults themselves live in config/defaults.hpp).
constexpr long long timeout_min_ms = 100;
constexpr long long timeout_max_ms = 3600000;
constexpr long long cursor_ttl_min_s = 10;
constexpr long long cursor_ttl_max_s = 86400;
constexpr long long pool_size_max = 64;
constexpr long long session_idle_min_s = 10;
constexpr long long session_idle_max_s = 86400;
constexpr long long max_sessions_max = 100000;
constexpr long long rate_limit_max = 100000;
constexpr long long session_concurrency_max = 1024;

/// Per-account variable suffixes, in --help order.
constexpr std::array<std::string_view, 7> account_suffixes = {
    "_HOST", "_PORT", "_SECURE", "_USER", "_PASS", "_PASS_FILE", "_MAX_CONNECTIONS"};

failure invalid(std::string message) {
  return make_failure(error_code::invalid_input, std::move(message), "config");
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return is_control(static_cast<unsigned char>(c)); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// " (got '...')" for a non-secret variable: control characters escaped, long values cut.
/// Empty for secret-named variables, whose values must never reach a message.
std::string got(const std::string& name, std::string_view value) {
  if (is_secret_name(name))
    return {};
  std::string shown;
  static const char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (shown.size() >= max_shown_value_bytes) {
      // Do not end inside a UTF-8 sequence.
      while (!shown.empty() && (static_cast<unsigned char>(shown.back()) & 0xC0) == 0x80)
        shown.pop_back();
      if (!shown.empty() && (static_cast<unsigned char>(shown.back()) & 0x80))
        shown.pop_back();
      shown += "...";
      break;
    }
    auto c = static_cast<unsigned char>(value[i]);
    if (is_control(c)) {
      shown += "\\x";
      shown.push_back(hex[c >> 4]);
      shown.push_back(hex[c & 0xF]);
    } else {
      shown.push_back(static_cast<char>(c));
    }
  }
  return " (got '" + shown + "')";
}

const std::string* lookup(const env_map& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? nullptr : &it->second;
}

/// Strict decimal: digits only (no sign, no blanks), so "08x" or " 5" are rejected.
std::optional<long long> parse_integer(std::string_view text) {
  if (text.empty() || text.size() > 18)
    return std::nullopt;
  long long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

template <class Int>
status read_int(const env_map& env, const std::string& name, long long lo, long long hi, Int& out) {
  const auto* v = lookup(env, name);
  if (v == nullptr)
    return ok_status();
  auto n = parse_integer(*v);
  if (!n || *n < lo || *n > hi)
    return invalid(name + " must be an integer in " + std::to_string(lo) + ".." +
                   std::to_string(hi) + got(name, *v));
  out = static_cast<Int>(*n);
  return ok_status();
}

std::optional<bool> parse_bool(std::string_view text) {
  auto t = lower(text);
  if (t == "1" || t == "true" || t == "yes" || t == "on")
    return true;
  if (t == "0" || t == "false" || t == "no" || t == "off")
    return false;
  return std::nullopt;
}

status read_bool(const env_map& env, const std::string& name, bool& out) {
  const auto* v = lookup(env, name);
  if (v == nullptr)
    return ok_status();
  auto b = parse_bool(*v);
  if (!b)
    return invalid(name + " must be a boolean (1, true, yes, on or 0, false, no, off)" +
                   got(name, *v));
  out = *b;
  return ok_status();
}

/// Reads a whole regular file of at most `limit` bytes into `out`.
bool read_file(const std::string& path, std::size_t limit, std::string& out) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) || ec)
    return false;
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size > limit)
    return false;
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return false;
  out.assign(static_cast<std::size_t>(size), '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return !in.bad();
}

/// Wipes a plain string that held secret bytes.
void cleanse(std::string& s) {
  if (s.capacity() > 0)
    OPENSSL_cleanse(s.data(), s.capacity());
  s.clear();
}

bool is_ipv6_literal(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

/// The names of all server-wide variables (everything in the table but the account group).
bool is_server_wide_name(std::string_view name) {
  for (const auto& v : known_variables())
    if (v.group != variable_group::account && v.name == name)
      return true;
  return false;
}

/// True when MAIL_IMAP_<segment>_... would collide with a server-wide name, e.g. HTTP,
/// CURSOR or CA_CERT: such names are never read as account variables.
bool is_reserved_segment(std::string_view segment) {
  std::string base = std::string(var_prefix) + std::string(segment);
  for (const auto& v : known_variables()) {
    if (v.group == variable_group::account)
      continue;
    if (v.name == base || starts_with(v.name, base + "_"))
      return true;
  }
  return false;
}

bool is_valid_segment(std::string_view segment) {
  return !segment.empty() && segment.size() <= max_segment_length &&
         std::all_of(segment.begin(), segment.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
         });
}

/// Splits MAIL_IMAP_<segment><suffix> for the per-account suffixes; the segment may be
/// empty or malformed (callers check).
std::optional<std::pair<std::string, std::string_view>> split_account_name(std::string_view name) {
  if (!starts_with(name, var_prefix))
    return std::nullopt;
  auto rest = name.substr(var_prefix.size());
  for (auto suffix : account_suffixes)
    if (ends_with(rest, suffix))
      return std::make_pair(std::string(rest.substr(0, rest.size() - suffix.size())), suffix);
  return std::nullopt;
}

std::string account_var(const std::string& segment, std::string_view suffix) {
  return std::string(var_prefix) + segment + std::string(suffix);
}

result<account_settings> load_account(const env_map& env, const std::string& segment) {
  account_settings a;
  a.segment = segment;
  a.id = lower(segment);

  const auto host_var = account_var(segment, "_HOST");
  const auto& host = env.at(host_var);
  if (host.empty() || host.size() > max_host_length || has_control(host) ||
      host.find_first_of(" \t") != std::string::npos)
    return invalid(host_var +
                   " must be a host name or IP address without spaces or control characters" +
                   got(host_var, host));
  if (host.find(':') != std::string::npos && !is_ipv6_literal(host))
    return invalid(host_var + " must be a host name or IP address without a port (set " +
                   account_var(segment, "_PORT") + ")" + got(host_var, host));
  a.host = host;

  if (auto s = read_int(env, account_var(segment, "_PORT"), 1, 65535, a.port); !s)
    return s.error();
  if (auto s = read_bool(env, account_var(segment, "_SECURE"), a.secure); !s)
    return s.error();

  const auto user_var = account_var(segment, "_USER");
  const auto* user = lookup(env, user_var);
  if (user == nullptr)
    return invalid(user_var + " is required for account '" + a.id + "'");
  if (user->empty() || has_control(*user))
    return invalid(user_var + " must be a non-empty user name without control characters" +
                   got(user_var, *user));
  a.user = *user;

  const auto pass_var = account_var(segment, "_PASS");
  const auto file_var = account_var(segment, "_PASS_FILE");
  const auto* pass = lookup(env, pass_var);
  const auto* pass_file = lookup(env, file_var);
  if (pass != nullptr && pass_file != nullptr)
    return invalid("set only one of " + pass_var + " and " + file_var);
  if (pass == nullptr && pass_file == nullptr)
    return invalid(pass_var + " or " + file_var + " is required for account '" + a.id + "'");
  if (pass != nullptr) {
    if (pass->empty())
      return invalid(pass_var + " must not be empty");
    a.pass = secret{*pass};
  } else {
    std::string contents;
    if (!read_file(*pass_file, max_secret_file_bytes, contents)) {
      cleanse(contents);
      return invalid(file_var + " must name a readable file of at most " +
                     std::to_string(max_secret_file_bytes) + " bytes" + got(file_var, *pass_file));
    }
    if (ends_with(contents, "\r\n"))
      contents.resize(contents.size() - 2);
    else if (ends_with(contents, "\n"))
      contents.resize(contents.size() - 1);
    if (contents.empty())
      return invalid(file_var + " names an empty password file" + got(file_var, *pass_file));
    a.pass = secret{std::move(contents)};
    cleanse(contents); // moved-from: normally empty, but a short value may linger
  }

  if (auto s = read_int(env, account_var(segment, "_MAX_CONNECTIONS"), 1,
                        defaults::max_connections_limit, a.max_connections);
      !s)
    return s.error();
  return a;
}

/// Parses `scheme://host[:port]` (http or https, nothing after the authority) and returns
/// it in lower case, the form browsers send.
std::optional<std::string> parse_origin(std::string_view text) {
  auto o = lower(text);
  std::string_view rest{o};
  if (starts_with(rest, "https://"))
    rest.remove_prefix(8);
  else if (starts_with(rest, "http://"))
    rest.remove_prefix(7);
  else
    return std::nullopt;
  // A path, query or trailing slash fails the split: those are not part of an origin.
  auto split = net_address::split_host_port(rest);
  if (!split || split->host.size() > max_host_length)
    return std::nullopt;
  return o;
}

/// Splits a comma list, trimming blanks and dropping empty items.
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    if (!item.empty())
      out.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

/// Bearer tokens go into an HTTP header: printable ASCII without blanks.
bool is_valid_token(std::string_view t) {
  return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

status load_http(const env_map& env, settings& s) {
  auto& h = s.http;
  const std::string listen_var = "MAIL_IMAP_HTTP_LISTEN";
  if (const auto* v = lookup(env, listen_var)) {
    auto addr = parse_listen_address(*v);
    if (!addr)
      return invalid(listen_var + " must be " + addr.error().message + got(listen_var, *v));
    h.host = addr->host;
    h.port = addr->port;
  }

  const std::string origins_var = "MAIL_IMAP_HTTP_ALLOWED_ORIGINS";
  if (const auto* v = lookup(env, origins_var)) {
    for (const auto& item : split_list(*v)) {
      auto origin = parse_origin(item);
      if (!origin)
        return invalid(origins_var +
                       " must be a comma list of origins like https://app.example.com or "
                       "http://localhost:3000 (scheme, host and optional port only)" +
                       got(origins_var, item));
      h.allowed_origins.push_back(*origin);
    }
  }

  const std::string tokens_var = "MAIL_IMAP_HTTP_TOKENS";
  if (const auto* v = lookup(env, tokens_var)) {
    auto items = split_list(*v);
    if (items.empty())
      return invalid(tokens_var + " is set but holds no token");
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!is_valid_token(items[i])) {
        for (auto& t : items)
          cleanse(t);
        return invalid(tokens_var + ": token " + std::to_string(i + 1) +
                       " must be printable ASCII without spaces");
      }
      h.tokens.emplace_back(std::move(items[i]));
    }
    for (auto& t : items)
      cleanse(t);
  }

  const std::string file_var = "MAIL_IMAP_HTTP_TOKEN_FILE";
  if (const auto* path = lookup(env, file_var)) {
    std::string text;
    if (!read_file(*path, max_token_file_bytes, text)) {
      cleanse(text);
      return invalid(file_var + " must name a readable file of at most " +
                     std::to_string(max_token_file_bytes) + " bytes" + got(file_var, *path));
    }
    std::string_view rest{text};
    std::size_t line_no = 0, found = 0;
    status st = ok_status();
    while (!rest.empty() && st) {
      ++line_no;
      auto nl = rest.find('\n');
      auto line = trim(rest.substr(0, nl));
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      if (line.empty() || line.front() == '#')
        continue;
      if (!is_valid_token(line)) {
        st = invalid(file_var + ": line " + std::to_string(line_no) +
                     " must be one token of printable ASCII without spaces");
        break;
      }
      h.tokens.emplace_back(std::string(line));
      ++found;
    }
    cleanse(text);
    if (!st)
      return st;
    if (found == 0)
      return invalid(file_var + " names a file without tokens" + got(file_var, *path));
  }

  if (auto st = read_int(env, "MAIL_IMAP_HTTP_SESSION_IDLE_SECONDS", session_idle_min_s,
                         session_idle_max_s, h.session_idle_seconds);
      !st)
    return st;
  if (auto st = read_int(env, "MAIL_IMAP_HTTP_MAX_SESSIONS", 1, max_sessions_max, h.max_sessions);
      !st)
    return st;
  if (auto st =
          read_int(env, "MAIL_IMAP_HTTP_RATE_LIMIT", 1, rate_limit_max, h.rate_limit_per_second);
      !st)
    return st;
  if (auto st = read_int(env, "MAIL_IMAP_HTTP_SESSION_CONCURRENCY", 1, session_concurrency_max,
                         h.session_concurrency);
      !st)
    return st;

  // Checked whatever the transport: a stdio run with an exposed listen address is a
  // misconfiguration waiting for the day someone switches to http.
  if (!net_address::is_loopback(h.host) && h.tokens.empty())
    return invalid(tokens_var + " (or " + file_var + ") is required when " + listen_var +
                   " is not a loopback address" + got(listen_var, h.host));
  return ok_status();
}

status load_server_wide(const env_map& env, settings& s) {
  if (auto st = read_bool(env, "MAIL_IMAP_WRITE_ENABLED", s.write_enabled); !st)
    return st;
  if (auto st = read_int(env, "MAIL_IMAP_CONNECT_TIMEOUT_MS", timeout_min_ms, timeout_max_ms,
                         s.connect_timeout_ms);
      !st)
    return st;
  if (auto st = read_int(env, "MAIL_IMAP_GREETING_TIMEOUT_MS", timeout_min_ms, timeout_max_ms,
                         s.greeting_timeout_ms);
      !st)
    return st;
  if (auto st = read_int(env, "MAIL_IMAP_SOCKET_TIMEOUT_MS", timeout_min_ms, timeout_max_ms,
                         s.socket_timeout_ms);
      !st)
    return st;
  if (auto st = read_int(env, "MAIL_IMAP_TOOL_TIMEOUT_MS", timeout_min_ms, timeout_max_ms,
                         s.tool_timeout_ms);
      !st)
    return st;

  const std::string ca_var = "MAIL_IMAP_CA_CERT_PATH";
  if (const auto* v = lookup(env, ca_var)) {
    std::error_code ec;
    bool ok =
        !v->empty() && std::filesystem::is_regular_file(*v, ec) && !ec && std::ifstream{*v}.good();
    if (!ok)
      return invalid(ca_var + " must name a readable file (PEM certificates)" + got(ca_var, *v));
    s.ca_cert_path = *v;
  }

  if (auto st = read_int(env, "MAIL_IMAP_CURSOR_TTL_SECONDS", cursor_ttl_min_s, cursor_ttl_max_s,
                         s.cursor_ttl_seconds);
      !st)
    return st;

  const std::string cursor_var = "MAIL_IMAP_CURSOR_SECRET";
  if (const auto* v = lookup(env, cursor_var)) {
    if (v->size() < min_cursor_secret_bytes)
      return invalid(cursor_var + " must be at least " + std::to_string(min_cursor_secret_bytes) +
                     " bytes long");
    s.cursor_secret = secret{*v};
  }

  const std::string level_var = "MAIL_IMAP_LOG_LEVEL";
  if (const auto* v = lookup(env, level_var)) {
    auto l = lower(*v);
    if (l != "error" && l != "warn" && l != "info" && l != "debug" && l != "trace" && l != "off")
      return invalid(level_var + " must be one of error, warn, info, debug, trace, off" +
                     got(level_var, *v));
    s.log_level = l;
  }

  if (auto st = read_int(env, "MAIL_IMAP_MIME_POOL_SIZE", 0, pool_size_max, s.mime_pool_size); !st)
    return st;
  if (auto st = read_int(env, "MAIL_IMAP_PDF_POOL_SIZE", 0, pool_size_max, s.pdf_pool_size); !st)
    return st;

  const std::string transport_var = "MAIL_IMAP_TRANSPORT";
  if (const auto* v = lookup(env, transport_var)) {
    auto t = lower(*v);
    if (t == "stdio")
      s.transport = transport_kind::stdio;
    else if (t == "http")
      s.transport = transport_kind::http;
    else
      return invalid(transport_var + " must be stdio or http" + got(transport_var, *v));
  }
  return load_http(env, s);
}

/// Checks every MAIL_IMAP_* name that is not server-wide: account variables need their
/// account's _HOST and a well-formed segment; anything else becomes a warning.
status check_names(const env_map& env, settings& s) {
  for (const auto& [name, value] : env) {
    if (!starts_with(name, var_prefix) || is_server_wide_name(name))
      continue;
    auto split = split_account_name(name);
    if (!split) {
      std::string note = name + " is not a known variable and is ignored";
      auto rest = std::string_view{name}.substr(var_prefix.size());
      for (auto suffix : account_suffixes)
        if (rest == suffix.substr(1))
          note += " (did you mean " + account_var("DEFAULT", suffix) + "?)";
      s.warnings.push_back(note);
      continue;
    }
    const auto& segment = split->first;
    if (is_reserved_segment(segment)) {
      s.warnings.push_back(name + " is not a known variable and is ignored (" + segment +
                           " is reserved for server-wide settings)");
      continue;
    }
    if (!is_valid_segment(segment))
      return invalid(name + ": the account name must be 1.." + std::to_string(max_segment_length) +
                     " characters of A-Z, 0-9 and _" + got("", segment));
    auto host_var = account_var(segment, "_HOST");
    if (env.count(host_var) == 0)
      return invalid(host_var + " is required because " + name + " is set");
  }
  return ok_status();
}

} // namespace

const std::vector<variable_info>& known_variables() {
  using g = variable_group;
  auto n = [](long long v) { return std::to_string(v); };
  auto range = [](long long lo, long long hi) {
    return std::to_string(lo) + ".." + std::to_string(hi);
  };
  static const std::vector<variable_info> table = {
      {"MAIL_IMAP_<ACCOUNT>_HOST", "(required)",
       "IMAP server host name or IP address (implicit TLS)", g::account},
      {"MAIL_IMAP_<ACCOUNT>_PORT", n(defaults::imap_port), "IMAP server port, 1..65535",
       g::account},
      {"MAIL_IMAP_<ACCOUNT>_SECURE", "true",
       "TLS; false loads, but every connection is then refused", g::account},
      {"MAIL_IMAP_<ACCOUNT>_USER", "(required)", "login user name", g::account},
      {"MAIL_IMAP_<ACCOUNT>_PASS", "none",
       "login password (secret); this or _PASS_FILE is required", g::account},
      {"MAIL_IMAP_<ACCOUNT>_PASS_FILE", "none",
       "file holding the password (one trailing newline is stripped)", g::account},
      {"MAIL_IMAP_<ACCOUNT>_MAX_CONNECTIONS", n(defaults::max_connections),
       "IMAP connections for this account, " + range(1, defaults::max_connections_limit),
       g::account},

      {"MAIL_IMAP_WRITE_ENABLED", "false",
       "enable the write tools (flags, copy, move, delete, mailboxes)", g::server},
      {"MAIL_IMAP_CONNECT_TIMEOUT_MS", n(defaults::connect_timeout_ms),
       "TCP connect deadline, " + range(timeout_min_ms, timeout_max_ms), g::server},
      {"MAIL_IMAP_GREETING_TIMEOUT_MS", n(defaults::greeting_timeout_ms),
       "TLS handshake and IMAP greeting deadline, " + range(timeout_min_ms, timeout_max_ms),
       g::server},
      {"MAIL_IMAP_SOCKET_TIMEOUT_MS", n(defaults::socket_timeout_ms),
       "deadline of every later read or write, " + range(timeout_min_ms, timeout_max_ms),
       g::server},
      {"MAIL_IMAP_TOOL_TIMEOUT_MS", n(defaults::tool_timeout_ms),
       "deadline of one tool call, " + range(timeout_min_ms, timeout_max_ms), g::server},
      {"MAIL_IMAP_CA_CERT_PATH", "none",
       "PEM file of extra trusted roots; host names are still verified", g::server},
      {"MAIL_IMAP_CURSOR_TTL_SECONDS", n(defaults::cursor_ttl_seconds),
       "lifetime of search cursors, " + range(cursor_ttl_min_s, cursor_ttl_max_s), g::server},
      {"MAIL_IMAP_CURSOR_SECRET", "random per process",
       "key that signs search cursors (secret), at least " + n(min_cursor_secret_bytes) + " bytes",
       g::server},
      {"MAIL_IMAP_LOG_LEVEL", "info", "error|warn|info|debug|trace|off; logs go to stderr",
       g::server},
      {"MAIL_IMAP_MIME_POOL_SIZE", "0",
       "MIME parsing workers, " + range(0, pool_size_max) + " (0: one per core)", g::server},
      {"MAIL_IMAP_PDF_POOL_SIZE", "0",
       "PDF text extraction workers, " + range(0, pool_size_max) + " (0: one per core)", g::server},
      {"MAIL_IMAP_TRANSPORT", "stdio", "stdio|http; --transport overrides it", g::server},

      {"MAIL_IMAP_HTTP_LISTEN", defaults::http_listen,
       "host:port or [v6]:port; --listen overrides it; beyond loopback needs tokens", g::http},
      {"MAIL_IMAP_HTTP_ALLOWED_ORIGINS", "none",
       "comma list of extra allowed Origin values, e.g. https://app.example.com", g::http},
      {"MAIL_IMAP_HTTP_TOKENS", "none", "comma list of accepted bearer tokens (secret)", g::http},
      {"MAIL_IMAP_HTTP_TOKEN_FILE", "none", "file with one bearer token per line, # comments",
       g::http},
      {"MAIL_IMAP_HTTP_SESSION_IDLE_SECONDS", n(defaults::http_session_idle_seconds),
       "idle sessions are closed after this, " + range(session_idle_min_s, session_idle_max_s),
       g::http},
      {"MAIL_IMAP_HTTP_MAX_SESSIONS", n(defaults::http_max_sessions),
       "most open sessions, " + range(1, max_sessions_max), g::http},
      {"MAIL_IMAP_HTTP_RATE_LIMIT", n(defaults::http_rate_limit_per_second),
       "requests per second per token, " + range(1, rate_limit_max), g::http},
      {"MAIL_IMAP_HTTP_SESSION_CONCURRENCY", n(defaults::http_session_concurrency),
       "most requests in flight per session, " + range(1, session_concurrency_max), g::http},
  };
  return table;
}

std::vector<std::string> account_segments(const env_map& env) {
  std::vector<std::string> out;
  for (const auto& [name, value] : env) {
    auto split = split_account_name(name);
    if (!split || split->second != "_HOST")
      continue;
    if (is_valid_segment(split->first) && !is_reserved_segment(split->first))
      out.push_back(split->first);
  }
  // By id, not by segment: '_' sorts after 'Z' but before 'z'.
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return lower(a) < lower(b); });
  return out;
}

result<listen_address> parse_listen_address(const std::string& text) {
  auto bad = [] {
    return invalid("host:port or [v6]:port with a port in 1..65535, e.g. 127.0.0.1:8000");
  };
  // Unlike an origin, a listen address needs its port.
  auto split = net_address::split_host_port(text);
  if (!split || !split->port || split->host.size() > max_host_length)
    return bad();
  listen_address out;
  out.host = std::move(split->host);
  out.port = *split->port;
  return out;
}

bool is_secret_name(const std::string& name) {
  // A *_FILE variable holds a path, which is shown; the file's contents never are.
  static constexpr std::array<std::string_view, 8> suffixes = {
      "_PASS", "_PASSWORD", "_PASSPHRASE", "_TOKEN", "_TOKENS", "_KEY", "_SECRET", "_CREDENTIALS"};
  auto upper = name;
  for (auto& c : upper)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  for (auto suffix : suffixes)
    if (ends_with(upper, suffix) || upper == suffix.substr(1))
      return true;
  return false;
}

const account_settings* settings::find_account(const std::string& id) const {
  for (const auto& a : accounts)
    if (a.id == id)
      return &a;
  return nullptr;
}

result<settings> load_settings(const env_map& env) {
  settings s;
  if (auto st = load_server_wide(env, s); !st)
    return st.error();
  if (auto st = check_names(env, s); !st)
    return st.error();
  for (const auto& segment : account_segments(env)) {
    auto account = load_account(env, segment);
    if (!account)
      return account.error();
    s.accounts.push_back(std::move(*account));
  }
  return s;
}

} // namespace imap_mcp
