// Every message of tests/fixtures/messages parses into the expected parts and text.

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/utf8.hpp"
#include "tests/protocol/mime/support.hpp"

using namespace imap_mcp::mime;
using namespace imap_mcp::mime::test;

namespace {

struct expected_part {
  std::string id;
  std::string content_type;
  std::string filename;
  bool attachment;
  /// Text the decoded body must contain (empty: not checked).
  std::string contains;
};

struct expected_message {
  std::string file;
  std::string subject;
  std::string from; // format_addresses of the raw From value
  std::vector<expected_part> parts;
};

parsed_message parse_fixture(const std::string& name) {
  const auto raw = fixture(name);
  auto r = parse_message(raw);
  if (!r)
    FAIL(name << ": " << r.error().full_message());
  return std::move(*r);
}

std::string header(const parsed_message& m, const char* name) {
  const auto* h = find_header(m.headers, name);
  return h ? h->value : std::string();
}

std::string addresses(const parsed_message& m, const char* name) {
  const auto* h = find_header(m.headers, name);
  return h ? format_addresses(h->raw) : std::string();
}

} // namespace

TEST_CASE("the message corpus parses into the expected parts", "[mime][corpus]") {
  const std::vector<expected_message> corpus = {
      {"multipart-alternative.eml",
       "Grüße aus München – Präsentation",
       "Jörg Müller <joerg.mueller@example.org>",
       {{"1", "text/plain", "", false,
         "viele Grüße aus München! Die Präsentation für Donnerstag ist fertig;"},
        {"2", "text/html", "", false, "<p>viele <b>Grüße</b> aus München!"}}},
      {"html-only.eml",
       "Februar-Newsletter",
       "Shop Example <newsletter@shop.example.com>",
       {{"1", "text/html", "", false, "unsere Frühjahrskollektion</a>"}}},
      {"base64-utf8.eml",
       "日本出張の件",
       "田中 太郎 <tanaka@example.jp>",
       {{"1", "text/plain", "", false, "日本語のテキストです。来週の会議は東京で行います。"}}},
      {"quoted-printable-1252.eml",
       "Zahlungserinnerung – Rechnung 2024-117",
       "Buchhaltung <buchhaltung@example.de>",
       {{"1", "text/plain", "", false,
         "die Rechnung über 1.250,00 € ist am 15. März fällig. Bitte beachten Sie die "
         "„Zahlungsbedingungen“ – danke!"}}},
      {"iso-8859-1.eml",
       "Übersicht für März",
       "Françoise Dupré <francoise@example.fr>",
       {{"1", "text/plain", "", false, "Hallo Jörg,\r\n\r\nanbei die Übersicht. Schöne Grüße"}}},
      {"windows-1252.eml",
       "Sonderangebot",
       "Angebote <angebote@example.de>",
       {{"1", "text/plain", "", false, "Preis: 49 € – „Sonderangebot“ … nur heute!"}}},
      {"shift-jis.eml",
       "日本の見積書",
       "鈴木 <suzuki@example.co.jp>",
       {{"1", "text/plain", "", false, "見積書を添付いたします。ご確認ください。"}}},
      {"utf8-no-charset.eml",
       "Grüße aus Köln",
       "Björn <koeln@example.de>",
       {{"1", "text/plain", "", false, "Grüße aus Köln und 日本!"}}},
      {"rfc2231-filenames.eml",
       "Dokumente",
       "Docs <docs@example.org>",
       {{"1", "text/plain", "", false, "Four files attached."},
        {"2", "application/pdf", "€ rates.pdf", true, "%PDF-1.4"},
        {"3", "text/plain", "Grüße aus München.txt", true, "Grüße"},
        {"4", "application/octet-stream", "日本.txt", true, ""},
        {"5", "application/vnd.ms-excel", "Übersicht März.xls", true, "xls"}}},
      {"nested-rfc822.eml",
       "Fwd: Einladung",
       "Jörg Müller <joerg.mueller@example.org>",
       {{"1", "text/plain", "", false, "Siehe unten, weitergeleitet."},
        {"2", "message/rfc822", "Einladung.eml", true, "Subject: =?UTF-8?B?"},
        {"2.1.1", "text/plain", "", false, "Wir laden euch herzlich zur Jahresfeier ein."},
        {"2.1.2", "text/html", "", false, "<b>herzlich</b>"},
        {"2.2", "text/calendar", "einladung.ics", true, "BEGIN:VCALENDAR"},
        {"3", "message/rfc822", "", true, "Subject: Kurze Notiz"},
        {"3.1", "text/plain", "", false, "Schöne Grüße"}}},
      {"related-inline-image.eml",
       "Logo",
       "Marketing <marketing@example.com>",
       {{"1", "text/html", "", false, "<img src=\"cid:logo@example.com\""},
        {"2", "image/png", "logo.png", true, "\x89PNG"}}},
      {"malicious-html.eml",
       "Your invoice",
       "Billing <billing@example.com>",
       {{"1", "text/html", "", false, "Dear customer"}}},
      {"address-groups.eml",
       "Grüße und 日本",
       "日本 太郎 <taro@example.jp>",
       {{"1", "text/plain", "", false, "Body."}}},
  };

  for (const auto& want : corpus) {
    SECTION(want.file) {
      const auto m = parse_fixture(want.file);
      CHECK(header(m, "Subject") == want.subject);
      CHECK(addresses(m, "From") == want.from);
      CHECK_FALSE(m.truncated);
      CHECK(m.warnings.empty());
      REQUIRE(m.parts.size() == want.parts.size());
      for (std::size_t i = 0; i < want.parts.size(); ++i) {
        const auto& got = m.parts[i];
        const auto& exp = want.parts[i];
        CAPTURE(i, exp.id);
        CHECK(got.part_id == exp.id);
        CHECK(got.content_type == exp.content_type);
        CHECK(got.filename == exp.filename);
        CHECK(got.is_attachment == exp.attachment);
        CHECK(got.decoded_size > 0);
        if (!exp.contains.empty())
          CHECK(got.body.find(exp.contains) != std::string::npos);
        if (got.content_type.rfind("text/", 0) == 0)
          CHECK(is_valid_utf8(got.body));
      }
    }
  }
}

TEST_CASE("corpus headers: charsets, groups and encoded names", "[mime][corpus]") {
  const auto groups = parse_fixture("address-groups.eml");
  CHECK(addresses(groups, "To") ==
        "Project Team: alice@example.com, Bob B. <bob@example.com>;, carol@example.com");
  CHECK(addresses(groups, "Cc") == "undisclosed-recipients:;");
  // The encoded name holds a comma: only the raw value keeps the address intact.
  CHECK(addresses(groups, "Reply-To") == "\"Grüße, Support\" <support@example.com>");
  CHECK(header(groups, "Reply-To") == "Grüße, Support <support@example.com>");

  const auto alt = parse_fixture("multipart-alternative.eml");
  CHECK(addresses(alt, "Cc") == "\"Weber, Lukas\" <lukas.weber@example.com>, team@example.com");
  CHECK(header(alt, "Message-ID") == "<20240226093040.4711@example.org>");
  CHECK(header(alt, "Received").find("by mx.example.com (Postfix)") != std::string::npos);
  CHECK(alt.parts[0].charset == "utf-8");
  CHECK(alt.parts[0].transfer_encoding == "quoted-printable");

  const auto sjis = parse_fixture("shift-jis.eml");
  CHECK(sjis.parts[0].charset == "shift_jis");
  const auto none = parse_fixture("utf8-no-charset.eml");
  CHECK(none.parts[0].charset.empty());
}

TEST_CASE("an encapsulated message's own header block decodes", "[mime][corpus]") {
  const auto m = parse_fixture("nested-rfc822.eml");
  REQUIRE(m.parts.size() > 1);
  const auto inner = parse_header_block(m.parts[1].body);
  const auto* subject = find_header(inner, "Subject");
  const auto* from = find_header(inner, "From");
  REQUIRE(subject != nullptr);
  REQUIRE(from != nullptr);
  CHECK(subject->value == "Einladung: Jahresfeier");
  CHECK(format_addresses(from->raw) == "Grüße Team <team@example.net>");
}

TEST_CASE("sixty attachments are listed with their names and sections", "[mime][corpus]") {
  const auto m = parse_fixture("attachments-60.eml");
  REQUIRE(m.parts.size() == 61);
  CHECK(m.parts[0].body == "The 60 daily reports are attached.");
  CHECK_FALSE(m.parts[0].is_attachment);
  for (int i = 1; i <= 60; ++i) {
    const auto& p = m.parts[static_cast<std::size_t>(i)];
    char name[32];
    std::snprintf(name, sizeof name, "report-%02d.txt", i);
    char text[64];
    std::snprintf(text, sizeof text, "Report %02d: all systems nominal.\n", i);
    CAPTURE(i);
    CHECK(p.part_id == std::to_string(i + 1));
    CHECK(p.filename == name);
    CHECK(p.is_attachment);
    CHECK(p.body == text);
  }
}

TEST_CASE("a PDF attachment decodes to a whole PDF", "[mime][corpus]") {
  // pdf-attachment.eml carries tests/fixtures/pdf/invoice.pdf as it was when generate.sh ran;
  // the PDF fixtures may be regenerated since, so the check is on the document's frame.
  const auto m = parse_fixture("pdf-attachment.eml");
  REQUIRE(m.parts.size() == 2);
  const auto& pdf = m.parts[1];
  CHECK(pdf.content_type == "application/pdf");
  CHECK(pdf.filename == "invoice.pdf");
  CHECK(pdf.is_attachment);
  CHECK(pdf.decoded_size == pdf.body.size());
  CHECK(pdf.body.rfind("%PDF-", 0) == 0);
  CHECK(pdf.body.find("%%EOF", pdf.body.size() > 64 ? pdf.body.size() - 64 : 0) !=
        std::string::npos);
}
