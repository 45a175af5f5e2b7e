#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "protocol/util/utf8.hpp"

namespace utf8 = imap_mcp::utf8;

TEST_CASE("utf8::decode reads one sequence or the maximal ill-formed subpart", "[utf8]") {
  struct row {
    std::string bytes;
    bool valid;
    char32_t code_point; // U+FFFD when ill-formed
    std::size_t length;
  };
  const char32_t bad = utf8::replacement_character;
  const row rows[] = {
      // well-formed: ASCII, 2-, 3- and 4-byte forms with their boundaries
      {"A", true, 0x41, 1},
      {std::string("\0", 1), true, 0x00, 1},
      {"\x7F", true, 0x7F, 1},
      {"\xC2\x80", true, 0x80, 2},
      {"\xC3\xA9", true, 0xE9, 2}, // é
      {"\xDF\xBF", true, 0x7FF, 2},
      {"\xE0\xA0\x80", true, 0x800, 3},
      {"\xE2\x82\xAC", true, 0x20AC, 3}, // €
      {"\xED\x9F\xBF", true, 0xD7FF, 3}, // last before the surrogates
      {"\xEE\x80\x80", true, 0xE000, 3}, // first after them
      {"\xEF\xBF\xBF", true, 0xFFFF, 3},
      {"\xF0\x90\x80\x80", true, 0x10000, 4},
      {"\xF0\x9F\x98\x80", true, 0x1F600, 4}, // 😀
      {"\xF4\x8F\xBF\xBF", true, 0x10FFFF, 4},
      {"\xC3\xA9rest", true, 0xE9, 2}, // only the first sequence is read
      // overlong forms
      {"\xC0\xAF", false, bad, 1},
      {"\xC1\xBF", false, bad, 1},
      {"\xE0\x80\xAF", false, bad, 1},
      {"\xE0\x9F\xBF", false, bad, 1},
      {"\xF0\x8F\xBF\xBF", false, bad, 1},
      // UTF-16 surrogates
      {"\xED\xA0\x80", false, bad, 1},
      {"\xED\xBF\xBF", false, bad, 1},
      // beyond U+10FFFF
      {"\xF4\x90\x80\x80", false, bad, 1},
      {"\xF5\x80\x80\x80", false, bad, 1},
      {"\xF7\xBF\xBF\xBF", false, bad, 1},
      // truncated: the bytes that did fit form one ill-formed subpart
      {"\xC3", false, bad, 1},
      {"\xE2\x82", false, bad, 2},
      {"\xF0\x9F\x98", false, bad, 3},
      {"\xE2\x82"
       "A",
       false, bad, 2},
      {"\xF0\x9F"
       "\xC3\xA9",
       false, bad, 2},
      // lone continuation bytes and bytes that never occur
      {"\x80", false, bad, 1},
      {"\xBF", false, bad, 1},
      {"\xFE", false, bad, 1},
      {"\xFF", false, bad, 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.bytes);
    const auto d = utf8::decode(r.bytes, 0);
    CHECK(d.valid == r.valid);
    CHECK(d.code_point == r.code_point);
    CHECK(d.length == r.length);
  }
}

TEST_CASE("utf8::decode starts at the given offset and reports nothing past the end", "[utf8]") {
  const std::string s = "a\xE2\x82\xAC";
  const auto euro = utf8::decode(s, 1);
  CHECK(euro.valid);
  CHECK(euro.code_point == 0x20AC);
  CHECK(euro.length == 3);
  const auto inside = utf8::decode(s, 2); // a continuation byte in the middle
  CHECK_FALSE(inside.valid);
  CHECK(inside.length == 1);
  const auto end = utf8::decode(s, s.size());
  CHECK_FALSE(end.valid);
  CHECK(end.length == 0);
}

TEST_CASE("utf8::is_valid and utf8::length agree on well-formedness", "[utf8]") {
  struct row {
    std::string bytes;
    std::optional<std::size_t> length; // nullopt: ill-formed
  };
  const row rows[] = {
      {"", 0},
      {"plain ascii", 11},
      {"Gr\xC3\xBC\xC3\x9F"
       "e",
       5},                                          // Grüße
      {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 3},  // 日本語
      {"a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 4}, // a é € 😀
      {std::string("nul\0inside", 10), 10},         // NUL is valid UTF-8
      {"\xC0\xAF", std::nullopt},                   // overlong '/'
      {"\xE0\x80\xAF", std::nullopt},               // overlong '/'
      {"\xED\xA0\x80", std::nullopt},               // surrogate
      {"\xED\xA0\xBD\xED\xB8\x80", std::nullopt},   // CESU-8 pair
      {"\xF4\x90\x80\x80", std::nullopt},           // beyond U+10FFFF
      {"ok\xE6\x97", std::nullopt},                 // truncated at the end
      {"ok\x80", std::nullopt},                     // lone continuation
      {"\xC3\xA9\xA9", std::nullopt},               // one continuation too many
      {"\xFF", std::nullopt},
  };
  for (const auto& r : rows) {
    CAPTURE(r.bytes);
    CHECK(utf8::is_valid(r.bytes) == r.length.has_value());
    CHECK(utf8::length(r.bytes) == r.length);
  }
}

TEST_CASE("utf8::append encodes code points and replaces impossible ones", "[utf8]") {
  struct row {
    char32_t cp;
    std::string bytes;
  };
  const std::string fffd{utf8::replacement_bytes};
  const row rows[] = {
      {0x00, std::string("\0", 1)},
      {0x41, "A"},
      {0x7F, "\x7F"},
      {0x80, "\xC2\x80"},
      {0x7FF, "\xDF\xBF"},
      {0x800, "\xE0\xA0\x80"},
      {0x20AC, "\xE2\x82\xAC"},
      {0xFFFF, "\xEF\xBF\xBF"},
      {0x10000, "\xF0\x90\x80\x80"},
      {0x10FFFF, "\xF4\x8F\xBF\xBF"},
      {0xD800, fffd},
      {0xDFFF, fffd},
      {0x110000, fffd},
      {0xFFFFFFFF, fffd},
  };
  for (const auto& r : rows) {
    CAPTURE(static_cast<std::uint32_t>(r.cp));
    std::string out = "x";
    utf8::append(out, r.cp);
    CHECK(out == "x" + r.bytes);
  }
}

TEST_CASE("utf8::append and utf8::decode round-trip every scalar value", "[utf8]") {
  std::size_t failures = 0;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF)
      continue;
    std::string s;
    utf8::append(s, cp);
    const auto d = utf8::decode(s, 0);
    if (!d.valid || d.code_point != cp || d.length != s.size())
      ++failures;
  }
  CHECK(failures == 0);
}
