#include <catch2/catch.hpp>

#include <string>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/utf8.hpp"

using namespace imap_mcp::mime;

TEST_CASE("RFC 2047 encoded words decode to UTF-8", "[mime][header]") {
  struct row {
    std::string raw;
    std::string decoded;
  };
  const row rows[] = {
      {"plain subject", "plain subject"},
      {"=?UTF-8?B?R3LDvMOfZQ==?=", "Grüße"},
      {"=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=", "Grüße aus München"},
      {"=?ISO-8859-1?Q?Gr=FC=DFe?=", "Grüße"},
      {"=?UTF-8?B?5pel5pys?=", "日本"},
      {"=?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=", "日本"},
      {"=?Shift_JIS?B?k/qWew==?=", "日本"},
      // Adjacent words: the white space between them (folding included) is not shown.
      {"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?Q?_und_?=\r\n =?UTF-8?B?5pel5pys?=", "Grüße und 日本"},
      // A multi-byte character split across two words of the same charset.
      {"=?UTF-8?B?5pc=?= =?UTF-8?B?peacrA==?=", "日本"},
      // Words next to plain text keep the space.
      {"Re: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= und mehr", "Re: Grüße und mehr"},
      {"Fwd: [list] =?utf-8?B?5pel5pys?=!", "Fwd: [list] 日本!"},
      // RFC 2231 language suffix in the charset.
      {"=?UTF-8*de?Q?Hallo?=", "Hallo"},
      // Malformed words stay as they are.
      {"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
      {"=?UTF-8?B?###?=", "=?UTF-8?B?###?="},
      {"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
      {"=??Q?abc?=", "=??Q?abc?="},
      {"a =? b ?= c", "a =? b ?= c"},
      // Unknown charset: bytes read as UTF-8 when valid, else Windows-1252.
      {"=?x-bogus?Q?caf=C3=A9?=", "café"},
      {"=?x-bogus?Q?caf=E9?=", "café"},
      // Folding and raw 8-bit text.
      {"a long\r\n subject\r\n\tline", "a long subject line"},
      {"Gr\xC3\xBC\xC3\x9F"
       "e raw",
       "Grüße raw"},
      {"Gr\xFC\xDF"
       "e raw",
       "Grüße raw"},
      // Decoded control characters never break the line.
      {"=?UTF-8?Q?line=0D=0Abreak?=", "line  break"},
      {"  padded  ", "padded"},
      {"", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.raw);
    const auto out = decode_header_value(r.raw);
    CHECK(out == r.decoded);
    CHECK(is_valid_utf8(out));
  }
}

TEST_CASE("a header block parses into decoded fields", "[mime][header]") {
  const std::string raw = "Received: from a\r\n\tby b; Mon, 26 Feb 2024 10:30:41 +0100\r\n"
                          "From: =?UTF-8?Q?J=C3=B6rg?= <j@example.org>\r\n"
                          "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n =?UTF-8?B?5pel5pys?=\r\n"
                          "not a header line\r\n"
                          "X-Empty:\r\n"
                          "Message-ID: <id@example.org>\r\n"
                          "\r\n"
                          "Subject: in the body, ignored\r\n";
  const auto fields = parse_header_block(raw);
  REQUIRE(fields.size() == 5);
  CHECK(fields[0].name == "Received");
  CHECK(fields[0].value == "from a by b; Mon, 26 Feb 2024 10:30:41 +0100");
  CHECK(fields[1].name == "From");
  CHECK(fields[1].value == "Jörg <j@example.org>");
  CHECK(fields[2].value == "Grüße日本");
  CHECK(fields[3].name == "X-Empty");
  CHECK(fields[3].value.empty());
  CHECK(fields[4].value == "<id@example.org>");

  const auto* subject = find_header(fields, "subject");
  REQUIRE(subject != nullptr);
  CHECK(subject->value == "Grüße日本");
  CHECK(find_header(fields, "Cc") == nullptr);
}

TEST_CASE("a header block is read up to max_fields fields", "[mime][header]") {
  std::string raw;
  for (int i = 0; i < 5000; ++i)
    raw += "X-F" + std::to_string(i) + ": v\r\n";
  CHECK(parse_header_block(raw).size() == 1000);
  CHECK(parse_header_block(raw, 10).size() == 10);
  CHECK(parse_header_block(raw, 0).empty());
  const auto fields = parse_header_block(raw, 3);
  REQUIRE(fields.size() == 3);
  CHECK(fields[2].name == "X-F2");
}

TEST_CASE("bare LF header blocks and junk parse without failing", "[mime][header]") {
  const auto fields = parse_header_block("From: a@b\nSubject: hi\n there\n\nbody");
  REQUIRE(fields.size() == 2);
  CHECK(fields[1].value == "hi there");
  CHECK(parse_header_block("").empty());
  CHECK(parse_header_block("\r\n\r\n").empty());
  CHECK(parse_header_block(std::string("\0\0:\xFF\xFE\r\n", 7)).size() <= 1);
}

TEST_CASE("content_value gives the lower-case main value", "[mime][header]") {
  CHECK(content_value("Text/HTML; charset=\"utf-8\"") == "text/html");
  CHECK(content_value(" multipart/mixed;\r\n\tboundary=x") == "multipart/mixed");
  CHECK(content_value("attachment; filename=a.pdf") == "attachment");
  CHECK(content_value("text/plain (plain text)") == "text/plain");
  CHECK(content_value("") == "");
}

TEST_CASE("content_param decodes RFC 2231 and RFC 2047 parameters", "[mime][header]") {
  struct row {
    std::string value;
    std::string name;
    std::string expected;
  };
  const row rows[] = {
      {"attachment; filename*=UTF-8''%E2%82%AC.pdf", "filename", "€.pdf"},
      {"attachment; filename*=utf-8'en'%E2%82%AC%20rates.pdf", "FILENAME", "€ rates.pdf"},
      // Continuations, extended and plain mixed; the space inside the quoted piece stays.
      {"attachment; filename*0*=UTF-8''%E2%82%AC; filename*1=\" rate\"; filename*2=\".pdf\"",
       "filename", "€ rate.pdf"},
      {"attachment; filename*1=\"name.txt\"; filename*0=\"long\"", "filename", "longname.txt"},
      {"attachment; filename*=iso-8859-1'de'%DCbersicht%20M%E4rz.xls", "filename",
       "Übersicht März.xls"},
      // The extended form wins over the plain fallback that some mailers add.
      {"attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.pdf", "filename",
       "日本.pdf"},
      {"attachment; filename=\"=?UTF-8?B?5pel5pys?=.txt\"", "filename", "日本.txt"},
      {"application/pdf; name=\"a \\\"quoted\\\" name.pdf\"", "name", "a \"quoted\" name.pdf"},
      {"text/plain; charset=ISO-8859-1; format=flowed", "charset", "ISO-8859-1"},
      {"text/plain; charset = \"utf-8\" ", "charset", "utf-8"},
      {"multipart/mixed;\r\n\tboundary=\"----=_Part_0_1\"", "boundary", "----=_Part_0_1"},
      {"attachment; filename=J\xC3\xB6rg.txt", "filename", "Jörg.txt"},
      {"attachment; filename=J\xF6rg.txt", "filename", "Jörg.txt"},
      {"attachment; filename=my file.pdf", "filename", "my file.pdf"},
      {"attachment; filename*=bogus''%FC.txt", "filename", "ü.txt"},
      {"attachment; filename*=UTF-8''%ZZ.txt", "filename", "%ZZ.txt"},
      {"attachment; size=12", "filename", ""},
      {"attachment; filename=\"unterminated", "filename", "unterminated"},
      {"inline", "filename", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.value, r.name);
    const auto out = content_param(r.value, r.name);
    CHECK(out == r.expected);
    CHECK(is_valid_utf8(out));
  }
}

TEST_CASE("address lists format for display", "[mime][header]") {
  struct row {
    std::string raw;
    std::string formatted;
  };
  const row rows[] = {
      {"Anna Schmidt <anna@example.com>", "Anna Schmidt <anna@example.com>"},
      {"=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <j@example.org>, c@d.example",
       "Jörg Müller <j@example.org>, c@d.example"},
      {"=?UTF-8?B?5pel5pys?= <jp@example.jp>", "日本 <jp@example.jp>"},
      {"\"Weber, Lukas\" <lukas@example.com>", "\"Weber, Lukas\" <lukas@example.com>"},
      {"=?ISO-8859-1?Q?Gr=FC=DFe=2C_Support?= <s@example.com>",
       "\"Grüße, Support\" <s@example.com>"},
      {"<bare@example.com>", "bare@example.com"},
      {"bare@example.com (a comment)", "bare@example.com"},
      {"Project Team: alice@example.com, \"Bob B.\" <bob@example.com>;, carol@example.com",
       "Project Team: alice@example.com, Bob B. <bob@example.com>;, carol@example.com"},
      {"undisclosed-recipients:;", "undisclosed-recipients:;"},
      {"J\xC3\xB6rg Raw <j@example.org>", "Jörg Raw <j@example.org>"},
      {"J\xF6rg Raw <j@example.org>", "Jörg Raw <j@example.org>"},
      {"A <a@example.com>,\r\n B <b@example.com>", "A <a@example.com>, B <b@example.com>"},
      {"", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.raw);
    CHECK(format_addresses(r.raw) == r.formatted);
  }
  // Garbage never throws and stays valid UTF-8.
  for (const char* junk : {"<<<>>>", "\"unterminated", "@@@,,,;;;:::", "a@", "\xFF\xFE\x80"}) {
    CAPTURE(junk);
    CHECK(is_valid_utf8(format_addresses(junk)));
  }
}

TEST_CASE("big header blocks and address lists stay cheap and complete", "[mime][header][limits]") {
  // 5,000 recipients: ~300 KB, beyond what vmime parses quickly; the plain splitter takes over.
  std::string to;
  for (int i = 0; i < 5000; ++i)
    to += (i ? ",\r\n " : "") + std::string("=?UTF-8?Q?M=C3=BCller_") + std::to_string(i) +
          "?= <m" + std::to_string(i) + "@example.com>";
  const std::string block = "From: a@example.com\r\nTo: " + to + "\r\nSubject: many\r\n\r\n";
  const auto fields = parse_header_block(block);
  REQUIRE(fields.size() == 3);
  CHECK(fields[1].name == "To");
  CHECK(fields[2].value == "many");
  CHECK(fields[1].value.rfind("Müller 0 <m0@example.com>, Müller 1 <m1@example.com>", 0) == 0);

  const auto shown = format_addresses(fields[1].raw);
  CHECK(shown.rfind("Müller 0 <m0@example.com>, Müller 1 <m1@example.com>", 0) == 0);
  CHECK(shown.size() < 70000);
  CHECK(shown.size() > 30000);
  const std::string ellipsis = ", \u2026";
  CHECK(shown.compare(shown.size() - ellipsis.size(), ellipsis.size(), ellipsis) == 0);
  CHECK(is_valid_utf8(shown));
}
