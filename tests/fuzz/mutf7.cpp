// Fuzz target: modified UTF-7 mailbox names (protocol/imap/mutf7), both directions.
//
// Properties: decoding never accepts what it cannot give back: a decoded name is valid UTF-8
// and encodes to a wire name that decodes to the same name; valid UTF-8 without NUL always
// encodes, the encoding is printable ASCII, and it decodes back to the input; encode_mailbox
// (the replacing variant) always gives a wire name that decodes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/imap/mutf7.hpp"
#include "tests/fuzz/check.hpp"

using namespace imap_mcp;

namespace {

bool printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e)
      return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // Wire -> UTF-8.
  if (auto name = imap::decode_mailbox(text)) {
    fuzz::check_utf8(*name, "decode_mailbox gave invalid UTF-8");
    auto wire = imap::try_encode_mailbox(*name);
    fuzz::check(wire.ok(), "a decoded name does not encode");
    auto back = imap::decode_mailbox(*wire);
    fuzz::check(back.ok() && *back == *name, "decode(encode(decode(x))) != decode(x)");
  }

  // UTF-8 -> wire.
  const bool valid = imap::is_valid_utf8(text) && text.find('\0') == std::string_view::npos;
  auto wire = imap::try_encode_mailbox(text);
  fuzz::check(wire.ok() == valid, "try_encode_mailbox disagrees with UTF-8 validity");
  if (wire.ok()) {
    fuzz::check(printable_ascii(*wire), "an encoded name is not printable ASCII");
    auto back = imap::decode_mailbox(*wire);
    fuzz::check(back.ok() && *back == text, "decode(encode(x)) != x");
    fuzz::check(imap::encode_mailbox(text) == *wire, "the two encoders disagree on valid input");
  }
  const auto replaced = imap::encode_mailbox(text);
  fuzz::check(printable_ascii(replaced), "encode_mailbox output is not printable ASCII");
  fuzz::check(imap::decode_mailbox(replaced).ok(), "encode_mailbox output does not decode");
  return 0;
}
