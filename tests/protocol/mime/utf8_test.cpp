#include <catch2/catch.hpp>

#include <string>

#include "protocol/mime/utf8.hpp"

using namespace imap_mcp::mime;

TEST_CASE("UTF-8 validity follows the Unicode well-formedness table", "[mime][utf8]") {
  struct row {
    std::string bytes;
    bool valid;
  };
  const row rows[] = {
      {"", true},
      {"plain ascii", true},
      {"Gr\xC3\xBC\xC3\x9F"
       "e",
       true},                             // Grüße
      {"\xE6\x97\xA5\xE6\x9C\xAC", true}, // 日本
      {"\xF0\x9F\x98\x80", true},         // U+1F600
      {"\xC3", false},                    // truncated
      {"\xC0\xAF", false},                // overlong '/'
      {"\xE0\x80\xAF", false},            // overlong
      {"\xED\xA0\x80", false},            // surrogate D800
      {"\xF4\x90\x80\x80", false},        // beyond U+10FFFF
      {"\x80", false},                    // lone continuation
      {"\xFF", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.bytes);
    CHECK(is_valid_utf8(r.bytes) == r.valid);
  }
}

TEST_CASE("repair replaces each maximal ill-formed subpart by one U+FFFD", "[mime][utf8]") {
  const std::string fffd = "\xEF\xBF\xBD";
  struct row {
    std::string in, out;
  };
  const row rows[] = {
      {"ok", "ok"},
      {"a\xFF"
       "b",
       "a" + fffd + "b"},
      {"\xE2\x82"
       "A",
       fffd + "A"},                         // truncated 3-byte sequence, then ASCII
      {"\xE2\x82\xAC", "\xE2\x82\xAC"},     // euro sign untouched
      {"\xC0\xAF", fffd + fffd},            // C0 is never a lead byte
      {"\xED\xA0\x80", fffd + fffd + fffd}, // surrogate: ED then two stray continuations
      {"tail\xF0\x9F\x98", "tail" + fffd},
  };
  for (const auto& r : rows) {
    CAPTURE(r.in);
    const auto out = repair_utf8(r.in);
    CHECK(out == r.out);
    CHECK(is_valid_utf8(out));
  }
}

TEST_CASE("cutting at code points never splits a UTF-8 sequence", "[mime][utf8]") {
  const std::string text = "a\xC3\xBC\xE6\x97\xA5\xF0\x9F\x98\x80z"; // a ü 日 😀 z
  REQUIRE(count_code_points(text) == 5);
  for (std::size_t n = 0; n <= 6; ++n) {
    std::string s = text;
    const bool cut = truncate_utf8(s, n);
    CAPTURE(n);
    CHECK(is_valid_utf8(s));
    CHECK(count_code_points(s) == std::min<std::size_t>(n, 5));
    CHECK(cut == (n < 5));
  }
  CHECK(utf8_prefix_length(text, 2) == 3);
  CHECK(utf8_prefix_length(text, 3) == 6);
}

TEST_CASE("Windows-1252 maps the C1 range to its printable characters", "[mime][utf8]") {
  std::string out;
  append_windows_1252(out, "\x80 \x93quoted\x94 \x96 \xE9 \x81");
  CHECK(out == "\xE2\x82\xAC \xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x80\x93 \xC3\xA9 \xEF\xBF\xBD");
}
