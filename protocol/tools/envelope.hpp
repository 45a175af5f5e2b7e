#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/util/error.hpp"

namespace imap_mcp::tools {

using json = nlohmann::json;

/// Current time as RFC 3339 UTC with milliseconds and `Z`.
std::string now_utc();

/// Formats a Unix time (seconds) as RFC 3339 UTC, e.g. "2024-02-26T10:30:45Z".
std::string format_utc(long long unix_seconds);

/// The `meta` object of every result.
json make_meta(std::chrono::milliseconds duration);

/// A successful tools/call result: structuredContent = envelope, plus the same JSON as
/// one compact text item (contract section 2).
json success_result(const std::string& summary, json data, std::chrono::milliseconds duration);

/// A hard error tools/call result (isError, one text item, no structuredContent).
/// This is the only place where failures become MCP results.
json error_result(const failure& f, std::chrono::milliseconds duration, json details = json::object());

/// A soft issue `{code, stage, message, retryable, uid?, message_id?}` for data.issues.
json make_issue(const failure& f, std::optional<std::uint32_t> uid = std::nullopt,
                const std::string& message_id = {});

/// `{instruction, tool, arguments}` for data.next_action.
json next_action(const std::string& instruction, const std::string& tool, json arguments);

} // namespace imap_mcp::tools
