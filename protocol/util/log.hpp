#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace imap_mcp::log {

/// Severity levels, from MAIL_IMAP_LOG_LEVEL (error, warn, info, debug, trace; default info).
enum class level { off = 0, error, warn, info, debug, trace };

/// Sets the threshold; messages above it are dropped.
void set_level(level l);
level current_level();
/// Parses a level name; false when unknown.
bool parse_level(std::string_view text, level& out);

/// Writes one line to stderr (never stdout): timestamp, level, component, message.
/// Callers must never pass secrets, message bodies or attachments.
void write(level l, std::string_view component, std::string_view message);

inline bool enabled(level l) { return l != level::off && l <= current_level(); }

} // namespace imap_mcp::log

#define IMAP_MCP_LOG(lvl, component, expr)                                                         \
  do {                                                                                             \
    if (::imap_mcp::log::enabled(lvl)) {                                                           \
      std::ostringstream imap_mcp_log_os_;                                                         \
      imap_mcp_log_os_ << expr;                                                                    \
      ::imap_mcp::log::write(lvl, component, imap_mcp_log_os_.str());                              \
    }                                                                                              \
  } while (false)

#define LOG_ERROR(component, expr) IMAP_MCP_LOG(::imap_mcp::log::level::error, component, expr)
#define LOG_WARN(component, expr) IMAP_MCP_LOG(::imap_mcp::log::level::warn, component, expr)
#define LOG_INFO(component, expr) IMAP_MCP_LOG(::imap_mcp::log::level::info, component, expr)
#define LOG_DEBUG(component, expr) IMAP_MCP_LOG(::imap_mcp::log::level::debug, component, expr)
