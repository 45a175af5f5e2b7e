#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "protocol/pdf/text.hpp"

using imap_mcp::pdf::count_code_points;
using imap_mcp::pdf::normalize_text;
using imap_mcp::pdf::prefix_bytes;

namespace {

std::u16string u16(std::initializer_list<char16_t> units) {
  return std::u16string(units);
}

} // namespace

TEST_CASE("normalize_text turns poppler's UTF-16 into clean UTF-8", "[pdf][text]") {
  const std::vector<std::pair<std::u16string, std::string>> cases = {
      {u"", ""},
      {u"Invoice 2024-117", "Invoice 2024-117"},
      // Physical layout pads columns with runs of spaces.
      {u"Widgets         1,234.56", "Widgets 1,234.56"},
      {u"  leading and trailing  ", "leading and trailing"},
      {u"tab\tseparated\t\tcells", "tab separated cells"},
      {u"no\u00A0break\u2009thin\u3000ideographic", "no break thin ideographic"},
      {u"one\r\ntwo\rthree\nfour", "one\ntwo\nthree\nfour"},
      {u"a\r\n\r\nb", "a\n\nb"},
      {u"page\fnext", "page\nnext"},
      {u"vertical\vtab", "vertical\ntab"},
      {u"line\u2028sep\u2029para\x85nel", "line\nsep\npara\nnel"},
      {u"many\n\n\n\n\nblank lines", "many\n\nblank lines"},
      {u"\n\n  text  \n\n\f", "text"},
      {u"spaces  \n   around \n\n   breaks", "spaces\naround\n\nbreaks"},
      {u"   \n \t \n  ", ""},
      {std::u16string(u"nul\0inside", 10), "nulinside"},
      {u"bell\x07 esc\x1B del\x7F c1\x90", "bell esc del c1"},
      {u"\uFEFFbom", "bom"},
      {u"Gr\u00FC\u00DFe", "Gr\xC3\xBC\xC3\x9F"
                           "e"},
      {u"\u65E5\u672C\u8A9E", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
      {u16({u'x', 0xD83D, 0xDE00, u'y'}), "x\xF0\x9F\x98\x80y"},
      // Unpaired surrogates cannot be encoded in UTF-8: replacement character.
      {u16({u'a', 0xD800, u'b'}), "a\xEF\xBF\xBD"
                                  "b"},
      {u16({u'a', 0xDC00}), "a\xEF\xBF\xBD"},
      {u16({0xDBFF}), "\xEF\xBF\xBD"},
      {u16({0xDE00, 0xD83D}), "\xEF\xBF\xBD\xEF\xBF\xBD"},
  };
  for (const auto& [input, expected] : cases) {
    CAPTURE(std::string(input.begin(), input.end()));
    CHECK(normalize_text(input) == expected);
  }
}

TEST_CASE("code points are counted and cut without splitting a sequence", "[pdf][text]") {
  const std::string gruesse = "Gr\xC3\xBC\xC3\x9F"
                              "e"; // Grüße: 5 code points, 7 bytes
  const std::string mixed = "\xD0\x9F\xE6\x97\xA5\xF0\x9F\x98\x80!"; // П日😀!: 2+3+4+1 bytes
  CHECK(count_code_points("") == 0);
  CHECK(count_code_points(gruesse) == 5);
  CHECK(count_code_points(mixed) == 4);

  struct row {
    const std::string* text;
    std::size_t max;
    std::size_t bytes;
  };
  const std::vector<row> rows = {
      {&gruesse, 0, 0},  {&gruesse, 2, 2}, {&gruesse, 3, 4}, {&gruesse, 4, 6}, {&gruesse, 5, 7},
      {&gruesse, 99, 7}, {&mixed, 1, 2},   {&mixed, 2, 5},   {&mixed, 3, 9},   {&mixed, 4, 10},
  };
  for (const auto& r : rows) {
    CAPTURE(*r.text, r.max);
    CHECK(prefix_bytes(*r.text, r.max) == r.bytes);
  }
}
