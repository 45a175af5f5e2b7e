// --help text: usage, the variable table, and what the environment holds, redacted.

#include <algorithm>
#include <array>
#include <string_view>

#include "config/settings.hpp"
#include "config/version.hpp"

namespace imap_mcp {

namespace {

constexpr std::string_view redacted = "<redacted>";

/// Values may come from anywhere; keep terminal control sequences out of the output.
std::string printable(std::string_view value) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string shown_value(const std::string& name, const std::string& value) {
  return is_secret_name(name) ? std::string(redacted) : printable(value);
}

void append_group(std::string& out, const char* title, variable_group group) {
  std::size_t width = 0;
  for (const auto& v : known_variables())
    if (v.group == group)
      width = std::max(width, v.name.size());
  out += title;
  out += '\n';
  for (const auto& v : known_variables()) {
    if (v.group != group)
      continue;
    out +=
        "  " + v.name + std::string(width - v.name.size() + 2, ' ') + v.meaning +
        (v.default_value == "(required)" ? " (required)" : " (default: " + v.default_value + ")") +
        '\n';
  }
  out += '\n';
}

} // namespace

std::string help_text(const env_map& env) {
  std::string out;
  out += "imap-mcp " + std::string(version) + "\n\n";
  out += "Usage: imap-mcp [--transport stdio|http] [--listen HOST:PORT] [--help] [--version]\n\n";
  out += "An MCP (Model Context Protocol) server that lets AI agents read email in IMAP\n"
         "mailboxes and, when MAIL_IMAP_WRITE_ENABLED=true, change it. It speaks MCP over\n"
         "stdio (default) or Streamable HTTP at /mcp. Logs go to stderr.\n\n";
  out += "Options:\n"
         "  --transport stdio|http  transport to serve (overrides MAIL_IMAP_TRANSPORT)\n"
         "  --listen HOST:PORT      HTTP listen address (overrides MAIL_IMAP_HTTP_LISTEN)\n"
         "  --help                  print this text and exit\n"
         "  --version               print the version and exit\n\n";
  out += "Configuration comes from environment variables, and from ./.env for names the\n"
         "environment does not set. Booleans: 1,true,yes,on / 0,false,no,off.\n\n";
  append_group(out,
               "Account variables (<ACCOUNT> is [A-Z0-9_]+; the account id is its lower case,\n"
               "e.g. MAIL_IMAP_DEFAULT_HOST configures account \"default\"):",
               variable_group::account);
  append_group(out, "Server-wide variables:", variable_group::server);
  append_group(out, "HTTP transport variables:", variable_group::http);

  out += "Accounts found in the environment:\n";
  auto segments = account_segments(env);
  if (segments.empty())
    out += "  (none)\n";
  static constexpr std::array<std::string_view, 7> suffixes = {
      "_HOST", "_PORT", "_SECURE", "_USER", "_PASS", "_PASS_FILE", "_MAX_CONNECTIONS"};
  for (const auto& segment : segments) {
    std::string id = segment;
    std::transform(id.begin(), id.end(), id.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    out += "  " + id + ":\n";
    for (auto suffix : suffixes) {
      auto name = "MAIL_IMAP_" + segment + std::string(suffix);
      auto it = env.find(name);
      if (it != env.end())
        out += "    " + name + "=" + shown_value(name, it->second) + '\n';
    }
  }

  // Server-wide values as set help explain a surprising start-up failure.
  std::string server;
  for (const auto& v : known_variables()) {
    if (v.group == variable_group::account)
      continue;
    auto it = env.find(v.name);
    if (it != env.end())
      server += "  " + v.name + "=" + shown_value(v.name, it->second) + '\n';
  }
  out += "\nServer-wide variables set in the environment:\n";
  out += server.empty() ? std::string("  (none)\n") : server;
  return out;
}

} // namespace imap_mcp
