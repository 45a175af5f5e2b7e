#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/utf8.hpp"

using namespace imap_mcp::mime;

TEST_CASE("to_utf8 converts the charsets mail uses", "[mime][charset]") {
  struct row {
    std::string bytes;
    std::string charset;
    std::string utf8;
  };
  const row rows[] = {
      {"Gr\xFC\xDF"
       "e",
       "ISO-8859-1", "Grüße"},
      {"Gr\xFC\xDF"
       "e",
       "latin1", "Grüße"},
      // ISO-8859-1 labels hold Windows-1252 quotes in practice (WHATWG behaviour).
      {"\x93Hi\x94 \x80", "iso-8859-1", "“Hi” €"},
      {"\x80 \x84"
       "Angebot\x93",
       "windows-1252", "€ „Angebot“"},
      {"\xA4", "iso-8859-15", "€"},
      {"\xB3\xF3\xE4\xB3\xE9", "iso-8859-2", "łóäłé"},
      {"\x93\xFA\x96\x7B", "Shift_JIS", "日本"},
      {"\x87\x40", "shift_jis", "①"}, // NEC extension, only in the Windows-31J superset
      {"\xC6\xFC\xCB\xDC", "EUC-JP", "日本"},
      {"\x1B$BF|K\\\x1B(B", "ISO-2022-JP", "日本"},
      {"\xC8\xD5\xB1\xBE", "gb2312", "日本"},
      {"\xD0\xD2\xC9\xD7\xC5\xD4", "koi8-r", "привет"},
      {"\xC7\xD1\xB1\xB9", "ks_c_5601-1987", "한국"},
      {"Gr\xC3\xBC\xC3\x9F"
       "e",
       "UTF-8", "Grüße"},
      {"Gr\xC3\xBC\xC3\x9F"
       "e",
       "\"utf-8\"", "Grüße"},
      {"Gr\xC3\xBC\xC3\x9F"
       "e",
       " Utf8 ", "Grüße"},
      {"+AGQAZQ-", "utf-7", "de"},
      // No charset or us-ascii: valid UTF-8 stays, anything else is Windows-1252.
      {"Gr\xC3\xBC\xC3\x9F"
       "e",
       "", "Grüße"},
      {"Gr\xFC\xDF"
       "e",
       "", "Grüße"},
      {"caf\xC3\xA9", "us-ascii", "café"},
      {"caf\xE9", "us-ascii", "café"},
      // Unknown or hostile charset names fall back the same way.
      {"caf\xC3\xA9", "x-no-such-charset", "café"},
      {"caf\xE9", "x-no-such-charset", "café"},
      {"caf\xE9", "../../etc/passwd", "café"},
      {"plain", "x-unknown", "plain"},
      {"", "utf-8", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.charset, r.bytes);
    CHECK(to_utf8(r.bytes, r.charset) == r.utf8);
  }
}

TEST_CASE("invalid sequences become U+FFFD", "[mime][charset]") {
  CHECK(to_utf8("ok\xFF"
                "end",
                "utf-8") == "ok\xEF\xBF\xBD"
                            "end");
  const auto sjis = to_utf8("\x93\xFA\xFF\xFF", "shift_jis");
  CHECK(is_valid_utf8(sjis));
  CHECK(sjis.rfind("日", 0) == 0);
  CHECK(sjis.find("\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("to_utf8 output is valid UTF-8 for random bytes in any charset", "[mime][charset]") {
  std::mt19937 rng(20240226);
  std::uniform_int_distribution<int> byte(0, 255);
  const char* charsets[] = {"",          "utf-8",  "us-ascii",    "iso-8859-1", "windows-1252",
                            "shift_jis", "euc-jp", "iso-2022-jp", "gb18030",    "big5",
                            "koi8-r",    "utf-16", "utf-7",       "x-bogus",    "euc-kr"};
  for (int round = 0; round < 300; ++round) {
    std::string bytes(static_cast<std::size_t>(byte(rng)) % 64 + 1, '\0');
    for (auto& c : bytes)
      c = static_cast<char>(byte(rng));
    for (const char* cs : charsets) {
      const auto out = to_utf8(bytes, cs);
      CAPTURE(cs, round);
      REQUIRE(is_valid_utf8(out));
    }
  }
}

TEST_CASE("converters are per thread: parallel conversions agree", "[mime][charset]") {
  const std::string sjis = "\x93\xFA\x96\x7B\x8C\xEA\x82\xCC\x83\x65\x83\x4C\x83\x58\x83\x67";
  const std::string expected = to_utf8(sjis, "shift_jis");
  REQUIRE(expected == "日本語のテキスト");
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (to_utf8(sjis, "shift_jis") != expected)
          ++mismatches[t];
        if (to_utf8("\xE4", "iso-8859-2") != "ä")
          ++mismatches[t];
      }
    });
  }
  for (auto& th : threads)
    th.join();
  for (int m : mismatches)
    CHECK(m == 0);
}
