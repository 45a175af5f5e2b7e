#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "protocol/imap/mutf7.hpp"
#include "protocol/util/utf8.hpp"

using namespace imap_mcp;
using namespace imap_mcp::imap;

namespace {

std::string utf8_of(char32_t cp) {
  std::string out;
  imap_mcp::utf8::append(out, cp); // tested on its own in tests/protocol/util
  return out;
}

} // namespace

TEST_CASE("mailbox names encode to modified UTF-7 and decode back", "[mutf7]") {
  struct row {
    std::string utf8;
    std::string wire;
  };
  // Expected wire forms follow RFC 3501 5.1.3 (the "~peter" and "Hi Mom" rows are its examples).
  auto r = GENERATE(values<row>({
      {"INBOX", "INBOX"},
      {"Sent Items/2024", "Sent Items/2024"},
      {"Entwürfe", "Entw&APw-rfe"},
      {"日本語", "&ZeVnLIqe-"},
      {"&", "&-"},
      {"A&B&&", "A&-B&-&-"},
      {"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
      {"Hi Mom -☺-", "Hi Mom -&Jjo--"},
      {"😀", "&2D3eAA-"},
      {"Grüße 😀 x", "Gr&APwA3w-e &2D3eAA- x"},
      {"a\tb", "a&AAk-b"},
      {"", ""},
  }));
  CAPTURE(r.utf8);
  CHECK(encode_mailbox(r.utf8) == r.wire);
  auto strict = try_encode_mailbox(r.utf8);
  REQUIRE(strict.ok());
  CHECK(*strict == r.wire);
  auto back = decode_mailbox(r.wire);
  REQUIRE(back.ok());
  CHECK(*back == r.utf8);
}

TEST_CASE("malformed modified UTF-7 is rejected with invalid_input", "[mutf7]") {
  auto wire = GENERATE(as<std::string>{},
                       "&",                   // unterminated shift
                       "&Jjo",                // unterminated run
                       "abc&ZeVnLIqe",        // unterminated at end
                       "&Jj!-",               // '!' is not base64
                       "&Jj/-",               // '/' is standard base64, not the modified alphabet
                       "Entw\xC3\xBCrfe",     // raw UTF-8 is not allowed on the wire
                       "tab\there",           // raw control character
                       "&AGE-",               // encoded printable ASCII 'a'
                       "&AAA-",               // encoded NUL
                       "&2D0-",               // lone high surrogate
                       "&2D3eAA2D0-",         // pair followed by a lone high surrogate
                       "&3gA-",               // lone low surrogate
                       "&APx-",               // non-zero padding bits
                       "&APwA-",              // a dangling partial unit
                       "&APw-rfe&ZeVnLIqe-x&" // trailing shift
  );
  CAPTURE(wire);
  auto decoded = decode_mailbox(wire);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().code == error_code::invalid_input);
  CHECK(decoded.error().full_message().rfind("invalid input: ", 0) == 0);
}

TEST_CASE("invalid UTF-8 is rejected by the strict encoder and replaced by the lenient one",
          "[mutf7]") {
  auto bad = GENERATE(as<std::string>{},
                      "\xFF",                   // never valid
                      "\xC0\xAF",               // overlong '/'
                      "\xE0\x80\xAF",           // overlong '/'
                      "\xED\xA0\x80",           // UTF-16 surrogate
                      "\xF4\x90\x80\x80",       // above U+10FFFF
                      "\xE6\x97",               // truncated sequence
                      "ok\x80",                 // lone continuation byte
                      std::string("nul\0", 4)); // valid UTF-8, but never in a mailbox name
  CAPTURE(bad);
  if (bad.find('\0') == std::string::npos)
    CHECK_FALSE(is_valid_utf8(bad));
  auto strict = try_encode_mailbox(bad);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.error().code == error_code::invalid_input);
  // The lenient encoder still yields a valid wire name that decodes to valid UTF-8.
  auto lenient = decode_mailbox(encode_mailbox(bad));
  REQUIRE(lenient.ok());
  CHECK(is_valid_utf8(*lenient));
  CHECK(lenient->find("\xEF\xBF\xBD") != std::string::npos); // U+FFFD
}

TEST_CASE("random Unicode names survive a round trip", "[mutf7]") {
  std::mt19937 rng(20240226);
  std::uniform_int_distribution<int> len_dist(0, 12);
  std::uniform_int_distribution<int> kind_dist(0, 3);
  std::uniform_int_distribution<char32_t> ascii(0x20, 0x7E);
  std::uniform_int_distribution<char32_t> bmp(0x80, 0xFFFD);
  std::uniform_int_distribution<char32_t> astral(0x10000, 0x10FFFF);
  for (int i = 0; i < 2000; ++i) {
    std::string name;
    int len = len_dist(rng);
    for (int k = 0; k < len; ++k) {
      char32_t cp;
      switch (kind_dist(rng)) {
      case 0:
        cp = ascii(rng);
        break;
      case 1:
        cp = '&';
        break;
      case 2:
        do
          cp = bmp(rng);
        while (cp >= 0xD800 && cp <= 0xDFFF);
        break;
      default:
        cp = astral(rng);
        break;
      }
      name += utf8_of(cp);
    }
    std::string wire = encode_mailbox(name);
    for (char c : wire)
      REQUIRE((c >= 0x20 && c <= 0x7E)); // wire names are printable ASCII
    auto back = decode_mailbox(wire);
    REQUIRE(back.ok());
    REQUIRE(*back == name);
  }
}

TEST_CASE("decoding arbitrary bytes never crashes and yields valid UTF-8 when it succeeds",
          "[mutf7]") {
  std::mt19937 rng(7);
  const std::string alphabet = "&-AZaz09+,/!~ \x01\x80\xFF";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> len_dist(0, 24);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    int len = len_dist(rng);
    for (int k = 0; k < len; ++k)
      s.push_back(alphabet[pick(rng)]);
    auto r = decode_mailbox(s);
    if (r.ok()) {
      ++accepted;
      REQUIRE(is_valid_utf8(*r));
    }
  }
  CHECK(accepted > 0);
}
