#include "protocol/tools/envelope.hpp"

#include <cstdio>
#include <ctime>

#include "protocol/mcp/jsonrpc.hpp"

namespace imap_mcp::tools {

namespace {
std::string format_tm(const std::tm& tm, int millis) {
  char buf[64];
  if (millis >= 0)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  else
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}
} // namespace

std::string now_utc() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return format_tm(tm, static_cast<int>(ms % 1000));
}

std::string format_utc(long long unix_seconds) {
  std::time_t secs = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return format_tm(tm, -1);
}

json make_meta(std::chrono::milliseconds duration) {
  return json{{"now_utc", now_utc()}, {"duration_ms", duration.count()}};
}

json success_result(const std::string& summary, json data, std::chrono::milliseconds duration) {
  json envelope = {{"summary", summary}, {"data", std::move(data)}, {"meta", make_meta(duration)}};
  json result = {{"content", json::array({{{"type", "text"}, {"text", jsonrpc::dump(envelope)}}})}};
  result["structuredContent"] = std::move(envelope);
  return result;
}

json error_result(const failure& f, std::chrono::milliseconds duration, json details) {
  if (!details.is_object()) details = json::object();
  if (f.retryable || f.code == error_code::timeout) details["retryable"] = true;
  if (!f.stage.empty() && !details.contains("stage")) details["stage"] = f.stage;
  json body = {{"error", {{"code", to_string(f.code)}, {"message", f.full_message()}, {"details", details}}},
               {"meta", make_meta(duration)}};
  return json{{"isError", true},
              {"content", json::array({{{"type", "text"}, {"text", jsonrpc::dump(body)}}})}};
}

json make_issue(const failure& f, std::optional<std::uint32_t> uid, const std::string& message_id) {
  json issue = {{"code", to_string(f.code)},
                {"stage", f.stage.empty() ? std::string("imap") : f.stage},
                {"message", f.full_message()},
                {"retryable", f.retryable || f.code == error_code::timeout}};
  if (uid) issue["uid"] = *uid;
  if (!message_id.empty()) issue["message_id"] = message_id;
  return issue;
}

json next_action(const std::string& instruction, const std::string& tool, json arguments) {
  return json{{"instruction", instruction}, {"tool", tool}, {"arguments", std::move(arguments)}};
}

} // namespace imap_mcp::tools
