#include "protocol/tools/ids.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include "protocol/mcp/jsonrpc.hpp"
#include "protocol/util/base64.hpp"

namespace imap_mcp::tools {

namespace {

failure bad_id(const std::string& why) {
  return make_failure(error_code::invalid_input, "message_id " + why, "validate");
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  if (v > 0xFFFFFFFFull) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool valid_account_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

/// Reads an unsigned integer field of a cursor payload. nlohmann's get<> would throw for a
/// string, wrap a negative number and convert an out-of-range float with undefined behaviour,
/// so the type and range are checked first.
template <class T> bool read_unsigned(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return false;
  const auto v = it->get<std::uint64_t>();
  if (v > std::numeric_limits<T>::max()) return false;
  out = static_cast<T>(v);
  return true;
}

/// Reads the expiry (Unix seconds, an integer that fits long long).
bool read_expiry(const nlohmann::json& j, long long& out) {
  auto it = j.find("x");
  if (it == j.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned() &&
      it->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<long long>::max()))
    return false;
  out = it->get<long long>();
  return true;
}

failure invalid_cursor() {
  return make_failure(error_code::invalid_input, "cursor is invalid or expired", "cursor");
}

} // namespace

std::string format_message_id(const message_ref& ref) {
  return "imap:" + ref.account_id + ":" + ref.mailbox + ":" + std::to_string(ref.uidvalidity) + ":" +
         std::to_string(ref.uid);
}

result<message_ref> parse_message_id(std::string_view text) {
  const std::string expected = "must look like imap:{account_id}:{mailbox}:{uidvalidity}:{uid}";
  auto last = text.rfind(':');
  if (last == std::string_view::npos || last == 0) return bad_id(expected);
  auto second = text.rfind(':', last - 1);
  if (second == std::string_view::npos) return bad_id(expected);
  message_ref ref;
  if (!parse_u32(text.substr(last + 1), ref.uid) || ref.uid == 0)
    return bad_id("has an invalid uid (an integer 1..4294967295 is expected)");
  if (!parse_u32(text.substr(second + 1, last - second - 1), ref.uidvalidity))
    return bad_id("has an invalid uidvalidity (an unsigned 32-bit integer is expected)");
  auto head = text.substr(0, second); // imap:{account}:{mailbox}
  if (head.rfind("imap:", 0) != 0) return bad_id("must start with 'imap:'");
  head.remove_prefix(5);
  auto colon = head.find(':');
  if (colon == std::string_view::npos) return bad_id(expected);
  ref.account_id = std::string(head.substr(0, colon));
  ref.mailbox = std::string(head.substr(colon + 1));
  if (!valid_account_id(ref.account_id)) return bad_id("has an invalid account id");
  if (ref.mailbox.empty()) return bad_id("has an empty mailbox");
  return ref;
}

std::string encode_cursor(const cursor_state& s, std::string_view key) {
  nlohmann::json payload = {{"v", 1},
                            {"a", s.account_id},
                            {"m", s.mailbox},
                            {"uv", s.uidvalidity},
                            {"c", s.criteria},
                            {"b", s.before_uid},
                            {"t", s.total},
                            {"x", s.expires_at}};
  const std::string body = codec::base64url_encode(jsonrpc::dump(payload));
  return body + "." + codec::base64url_encode(codec::hmac_sha256(key, body));
}

result<cursor_state> decode_cursor(std::string_view text, std::string_view key, long long now) {
  if (text.size() > 8192) return invalid_cursor();
  auto dot = text.find('.');
  if (dot == std::string_view::npos) return invalid_cursor();
  auto body = text.substr(0, dot);
  auto mac = codec::base64url_decode(text.substr(dot + 1));
  if (!mac || !codec::constant_time_equal(*mac, codec::hmac_sha256(key, body))) return invalid_cursor();
  auto raw = codec::base64url_decode(body);
  if (!raw) return invalid_cursor();
  auto j = nlohmann::json::parse(*raw, nullptr, false);
  std::uint64_t version = 0;
  if (j.is_discarded() || !j.is_object() || !read_unsigned(j, "v", version) || version != 1)
    return invalid_cursor();
  cursor_state s;
  try {
    s.account_id = j.at("a").get<std::string>();
    s.mailbox = j.at("m").get<std::string>();
    s.criteria = j.at("c");
  } catch (const std::exception&) {
    return invalid_cursor();
  }
  if (!read_unsigned(j, "uv", s.uidvalidity) || !read_unsigned(j, "b", s.before_uid) ||
      !read_unsigned(j, "t", s.total) || !read_expiry(j, s.expires_at))
    return invalid_cursor();
  if (now >= s.expires_at) return invalid_cursor();
  return s;
}

} // namespace imap_mcp::tools
