// Fuzz target: message_id and cursor decoding (protocol/tools/ids).
//
// Input: text an agent could send as a message_id or a cursor, or (signed here with the
// server's key) the JSON payload inside a cursor. Properties: nothing throws; a parsed id
// formats back to an id that parses to the same address; a decoded cursor encodes back to one
// that decodes to the same state. Decoding a signed payload reaches the JSON-to-state code
// that an attacker without the key cannot, so a leaked or reused key cannot crash the server.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/tools/ids.hpp"
#include "protocol/util/base64.hpp"
#include "tests/fuzz/check.hpp"

using namespace imap_mcp;

namespace {

constexpr std::string_view key = "fuzz-cursor-key-0123456789abcdef";
constexpr long long now = 1'700'000'000;

bool same(const tools::cursor_state& a, const tools::cursor_state& b) {
  return a.account_id == b.account_id && a.mailbox == b.mailbox &&
         a.uidvalidity == b.uidvalidity && a.criteria == b.criteria &&
         a.before_uid == b.before_uid && a.total == b.total && a.expires_at == b.expires_at;
}

void round_trip_cursor(std::string_view text) {
  auto state = tools::decode_cursor(text, key, now);
  if (!state) {
    fuzz::check(state.error().code == error_code::invalid_input, "a bad cursor is not invalid_input");
    return;
  }
  auto again = tools::decode_cursor(tools::encode_cursor(*state, key), key, now);
  fuzz::check(again.ok() && same(*state, *again), "a cursor does not round-trip");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto ref = tools::parse_message_id(text)) {
    fuzz::check(ref->uid > 0 && !ref->mailbox.empty(), "an id with uid 0 or no mailbox parsed");
    auto again = tools::parse_message_id(tools::format_message_id(*ref));
    fuzz::check(again.ok() && again->account_id == ref->account_id &&
                    again->mailbox == ref->mailbox && again->uidvalidity == ref->uidvalidity &&
                    again->uid == ref->uid,
                "a message id does not round-trip");
  } else {
    fuzz::check(ref.error().code == error_code::invalid_input, "a bad id is not invalid_input");
  }

  // As an agent would send it (forged or garbled: must fail cleanly).
  round_trip_cursor(text);

  // As the payload of a correctly signed cursor.
  const auto body = codec::base64url_encode(text);
  round_trip_cursor(body + "." + codec::base64url_encode(codec::hmac_sha256(key, body)));
  return 0;
}
