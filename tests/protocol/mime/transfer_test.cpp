#include <catch2/catch.hpp>

#include <string>

#include "protocol/mime/mime.hpp"

using namespace imap_mcp::mime;

namespace {

std::string decoded(std::string_view bytes, std::string_view encoding) {
  auto r = decode_transfer(bytes, encoding);
  REQUIRE(r.ok());
  return *r;
}

} // namespace

TEST_CASE("base64 decoding tolerates line breaks, junk and missing padding", "[mime][transfer]") {
  struct row {
    std::string in;
    std::string out;
  };
  const row rows[] = {
      {"SGVsbG8gV29ybGQ=", "Hello World"},
      {"SGVs\r\nbG8g\r\nV29y\r\nbGQ=\r\n", "Hello World"},
      {"  SGVsbG8g V29ybGQ=  ", "Hello World"},
      {"SGVsbG8gV29ybGQ", "Hello World"},     // padding missing
      {"SGVs*bG8g!V29y~bGQ=", "Hello World"}, // junk skipped
      {"SGk=SGk=", "HiHi"},                   // concatenated padded chunks
      {"R3LDvMOfZQ==", "Grüße"},
      {"", ""},
      {"=", ""},
      {"S", ""}, // a lone sextet carries no byte
  };
  for (const auto& r : rows) {
    CAPTURE(r.in);
    CHECK(decoded(r.in, "base64") == r.out);
    CHECK(decoded(r.in, "BASE64") == r.out);
  }
}

TEST_CASE("quoted-printable decoding", "[mime][transfer]") {
  struct row {
    std::string in;
    std::string out;
  };
  const row rows[] = {
      {"Gr=C3=BC=C3=9Fe", "Grüße"},
      {"Gr=c3=bc=c3=9fe", "Grüße"},                      // lower-case hex
      {"long line=\r\ncontinued", "long linecontinued"}, // soft break
      {"soft=\ncontinued", "softcontinued"},             // soft break, bare LF
      {"soft=  \r\nbreak", "softbreak"},                 // white space after '='
      {"keep\r\nlines\r\n", "keep\r\nlines\r\n"},        // hard breaks kept
      {"trailing   \r\nspace", "trailing\r\nspace"},     // transport padding dropped
      {"a=3Db", "a=b"},
      {"bad =ZZ escape", "bad =ZZ escape"}, // invalid escape kept
      {"end=", "end"},
      {"end=4", "end=4"},
      {"=E2=82=AC 5", "€ 5"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.in);
    CHECK(decoded(r.in, "quoted-printable") == r.out);
    CHECK(decoded(r.in, " Quoted-Printable ") == r.out);
  }
}

TEST_CASE("identity encodings and unknown encodings return the bytes", "[mime][transfer]") {
  const std::string bytes = "raw =C3 bytes\r\n\x80\x01";
  for (const char* enc : {"7bit", "8bit", "binary", "", "x-uuencode", "x-whatever"}) {
    CAPTURE(enc);
    CHECK(decoded(bytes, enc) == bytes);
  }
}
