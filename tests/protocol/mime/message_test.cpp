#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/utf8.hpp"
#include "tests/protocol/mime/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::mime;
using namespace imap_mcp::mime::test;

namespace {

/// LF source text to the CRLF of the wire.
std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n')
      out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

parsed_message parse_ok(const std::string& raw, const limits& lim = {}) {
  auto r = parse_message(raw, lim);
  if (!r)
    FAIL("parse failed: " << r.error().full_message());
  return std::move(*r);
}

std::vector<std::string> ids(const parsed_message& m) {
  std::vector<std::string> out;
  for (const auto& p : m.parts)
    out.push_back(p.part_id);
  return out;
}

/// `levels` nested multipart/mixed around one text part.
std::string nested_multipart(int levels) {
  std::string s =
      "From: a@example.com\nSubject: deep\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n";
  for (int i = 1; i < levels; ++i)
    s += "--b" + std::to_string(i - 1) + "\nContent-Type: multipart/mixed; boundary=\"b" +
         std::to_string(i) + "\"\n\n";
  s += "--b" + std::to_string(levels - 1) + "\nContent-Type: text/plain\n\nbottom\n";
  for (int i = levels - 1; i >= 0; --i)
    s += "--b" + std::to_string(i) + "--\n";
  return crlf(s);
}

} // namespace

TEST_CASE("a non-multipart message's body is part 1", "[mime][message]") {
  const auto m = parse_ok(crlf("From: a@example.com\nSubject: hi\n\nHello\n"));
  REQUIRE(m.parts.size() == 1);
  const auto& p = m.parts[0];
  CHECK(p.part_id == "1");
  CHECK(p.content_type == "text/plain");
  CHECK(p.charset.empty());
  CHECK(p.body == "Hello\r\n");
  CHECK_FALSE(p.is_attachment);
  REQUIRE(m.headers.size() == 2);
  CHECK(m.headers[1].name == "Subject");
  CHECK(m.headers[1].value == "hi");
  CHECK_FALSE(m.truncated);
}

TEST_CASE("section numbers follow IMAP for nested multiparts and encapsulated messages",
          "[mime][message]") {
  const auto raw = crlf(
      "Content-Type: multipart/mixed; boundary=OUT\n\n"
      "--OUT\nContent-Type: multipart/alternative; boundary=ALT\n\n"
      "--ALT\nContent-Type: text/plain; charset=utf-8\n\nplain\n"
      "--ALT\nContent-Type: text/html; charset=utf-8\n\n<p>html</p>\n"
      "--ALT--\n"
      "--OUT\nContent-Type: message/rfc822\n\n"
      "Subject: inner multipart\nContent-Type: multipart/mixed; boundary=IN\n\n"
      "--IN\nContent-Type: text/plain\n\ninner text\n"
      "--IN\nContent-Type: image/gif; name=x.gif\nContent-Transfer-Encoding: base64\n\nR0lGODlh\n"
      "--IN--\n"
      "--OUT\nContent-Type: message/rfc822\n\n"
      "Subject: inner simple\n\nsimple inner body\n"
      "--OUT\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n"
      "Content-Transfer-Encoding: base64\n\nJVBERi0=\n"
      "--OUT--\n");
  const auto m = parse_ok(raw);
  CHECK(ids(m) == std::vector<std::string>{"1.1", "1.2", "2", "2.1", "2.2", "3", "3.1", "4"});
  CHECK(m.parts[0].body == "plain");
  CHECK(m.parts[1].content_type == "text/html");
  CHECK(m.parts[2].content_type == "message/rfc822");
  CHECK(m.parts[2].is_attachment);
  CHECK(m.parts[3].body == "inner text");
  CHECK(m.parts[4].filename == "x.gif");
  CHECK(m.parts[4].body == "GIF89a");
  CHECK(m.parts[4].decoded_size == 6);
  CHECK(m.parts[6].body == "simple inner body");
  CHECK(m.parts[7].filename == "a.pdf");
  CHECK(m.parts[7].body == "%PDF-");
  CHECK(m.parts[7].is_attachment);
}

TEST_CASE("a base64-encoded message/rfc822 part is decoded before it is parsed",
          "[mime][message]") {
  const std::string inner =
      "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGr\xC3\xBC\xC3\x9F"
      "e\r\n";
  // base64 of `inner`
  const auto raw =
      crlf("Content-Type: multipart/mixed; boundary=B\n\n"
           "--B\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
           "U3ViamVjdDogeA0KQ29udGVudC1UeXBlOiB0ZXh0L3BsYWluOyBjaGFyc2V0PXV0Zi04DQoNCkdy\n"
           "w7zDn2UNCg==\n--B--\n");
  const auto m = parse_ok(raw);
  REQUIRE(ids(m) == std::vector<std::string>{"1", "1.1"});
  CHECK(m.parts[0].body == inner);
  CHECK(m.parts[1].body == "Grüße\r\n");
}

TEST_CASE("multipart/digest parts default to message/rfc822", "[mime][message]") {
  const auto raw = crlf("Content-Type: multipart/digest; boundary=D\n\n"
                        "--D\n\nSubject: one\n\nfirst\n"
                        "--D\n\nSubject: two\n\nsecond\n"
                        "--D--\n");
  const auto m = parse_ok(raw);
  REQUIRE(ids(m) == std::vector<std::string>{"1", "1.1", "2", "2.1"});
  CHECK(m.parts[0].content_type == "message/rfc822");
  CHECK(m.parts[1].body == "first");
  CHECK(m.parts[3].body == "second");
}

TEST_CASE("attachment classification", "[mime][message]") {
  const auto raw =
      crlf("Content-Type: multipart/mixed; boundary=B\n\n"
           "--B\nContent-Type: text/plain\n\nbody\n"
           "--B\nContent-Type: text/html\n\n<p>body</p>\n"
           "--B\nContent-Type: text/plain\nContent-Disposition: attachment\n\nattached text\n"
           "--B\nContent-Type: text/plain; name=notes.txt\n\nnamed text\n"
           "--B\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\n"
           "--B\nContent-Type: image/png\nContent-Disposition: inline\n\npng\n"
           "--B--\n");
  const auto m = parse_ok(raw);
  REQUIRE(m.parts.size() == 6);
  const bool expected[] = {false, false, true, true, true, true};
  for (std::size_t i = 0; i < 6; ++i) {
    CAPTURE(i, m.parts[i].content_type);
    CHECK(m.parts[i].is_attachment == expected[i]);
  }
  CHECK(m.parts[2].disposition == "attachment");
  CHECK(m.parts[3].filename == "notes.txt");
  CHECK(m.parts[5].disposition == "inline");
}

TEST_CASE("text parts are decoded and converted to UTF-8", "[mime][message]") {
  const auto raw =
      crlf("Content-Type: multipart/mixed; boundary=B\n\n"
           "--B\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: "
           "quoted-printable\n\n"
           "Gr=FC=DFe\n"
           "--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
           "/wAB\n"
           "--B--\n");
  const auto m = parse_ok(raw);
  REQUIRE(m.parts.size() == 2);
  CHECK(m.parts[0].charset == "iso-8859-1");
  CHECK(m.parts[0].transfer_encoding == "quoted-printable");
  CHECK(m.parts[0].body == "Grüße");
  CHECK(m.parts[0].decoded_size == 5);
  CHECK(m.parts[1].body == std::string("\xFF\x00\x01", 3));
}

TEST_CASE("messages over the size limit are refused", "[mime][message][limits]") {
  limits lim;
  lim.max_message_bytes = 100;
  const auto r = parse_message(std::string(101, 'a'), lim);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == error_code::invalid_input);
  CHECK(r.error().stage == "mime");
  CHECK(r.error().message.find("101 bytes") != std::string::npos);
  CHECK(parse_message(std::string(100, 'a'), lim).ok());
}

TEST_CASE("nesting up to max_depth parses, deeper is refused with a clear error",
          "[mime][message][limits]") {
  const auto ok = parse_ok(nested_multipart(10));
  REQUIRE(ok.parts.size() == 1);
  CHECK(ok.parts[0].part_id == "1.1.1.1.1.1.1.1.1.1");
  CHECK(ok.parts[0].body == "bottom");

  limits lim;
  lim.max_depth = 10;
  CHECK(parse_message(nested_multipart(10), lim).ok());
  const auto r = parse_message(nested_multipart(11), lim);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == error_code::invalid_input);
  CHECK(
      r.error().full_message() ==
      "invalid input: MIME structure is nested deeper than 10 levels; the message was not parsed");
}

TEST_CASE("the 1,000-level nested multipart is refused", "[mime][message][limits][large]") {
  const auto raw = large_fixture("nested-1000.eml");
  const auto r = parse_message(raw);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("nested deeper than 32 levels") != std::string::npos);
}

TEST_CASE("encapsulated messages share the depth budget", "[mime][message][limits]") {
  // Five levels of forwarded messages, each one multipart: depth 10 in total.
  std::string inner = "Subject: bottom\r\n\r\nbottom text\r\n";
  for (int i = 0; i < 5; ++i) {
    const std::string b = "F" + std::to_string(i);
    inner = "Subject: level " + std::to_string(i) +
            "\r\nContent-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b +
            "\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n--" + b + "--\r\n";
  }
  const auto all = parse_ok(inner);
  CHECK(all.parts.back().body == "bottom text\r\n");
  CHECK(all.parts.back().part_id == "1.1.1.1.1.1");
  CHECK(all.warnings.empty());

  limits lim;
  lim.max_depth = 6;
  const auto cut = parse_ok(inner, lim);
  CHECK(cut.parts.size() < all.parts.size());
  REQUIRE_FALSE(cut.warnings.empty());
  CHECK(cut.warnings[0].find("nested") != std::string::npos);
}

TEST_CASE("parts beyond max_parts are left out and reported", "[mime][message][limits]") {
  std::string s = "Content-Type: multipart/mixed; boundary=B\r\n\r\n";
  for (int i = 0; i < 30; ++i)
    s += "--B\r\nContent-Type: text/plain\r\n\r\npart " + std::to_string(i) + "\r\n";
  s += "--B--\r\n";
  limits lim;
  lim.max_parts = 12;
  const auto m = parse_ok(s, lim);
  CHECK(m.parts.size() == 12);
  CHECK(m.parts.back().part_id == "12");
  CHECK(m.truncated);
  REQUIRE(m.warnings.size() == 1);
  CHECK(m.warnings[0].find("more than 12 parts") != std::string::npos);
}

TEST_CASE("millions of tiny header fields or parts are cut before vmime sees them",
          "[mime][message][limits]") {
  // Without the line caps vmime needs ~9 s and ~900 MB for 10 MB of one-letter fields.
  std::string fields;
  fields.reserve(10u << 20);
  while (fields.size() < (10u << 20))
    fields += "X:a\r\n";
  fields += "\r\nbody\r\n";
  const auto m = parse_ok(fields);
  CHECK(m.truncated);
  CHECK(m.headers.size() <= 1000);

  std::string parts = "Content-Type: multipart/mixed; boundary=B\r\n\r\n";
  parts.reserve(10u << 20);
  while (parts.size() < (10u << 20))
    parts += "--B\r\n\r\n";
  const auto p = parse_ok(parts);
  CHECK(p.truncated);
  CHECK(p.parts.size() == 500);
}

TEST_CASE("a huge folded header field is cut before vmime parses it", "[mime][message][limits]") {
  // vmime parses address lists at ~3 MB/s: 5 MB of To: would cost it seconds.
  std::string raw = "From: a@example.com\r\nTo: first@example.com";
  while (raw.size() < (5u << 20))
    raw += ",\r\n someone.with.a.long.name@example.com";
  raw += "\r\nSubject: x\r\n\r\nbody\r\n";
  const auto m = parse_ok(raw);
  CHECK(m.truncated);
  REQUIRE_FALSE(m.warnings.empty());
  CHECK(m.warnings[0].find("too many header or boundary lines") != std::string::npos);
  REQUIRE_FALSE(m.headers.empty());
  CHECK(m.headers[0].value == "a@example.com");
}

TEST_CASE("a 20 MB message parses with its attachment decoded", "[mime][message][large]") {
  const auto raw = large_fixture("big-20mb.eml");
  REQUIRE(raw.size() > 20'000'000);
  const auto m = parse_ok(raw);
  REQUIRE(m.parts.size() == 2);
  CHECK(m.parts[0].body == "Backup attached.");
  CHECK(m.parts[1].filename == "backup.bin");
  CHECK(m.parts[1].decoded_size == 15'000'000);
  CHECK(m.parts[1].body.compare(0, 45, "The quick brown fox jumps over the lazy dog. ") == 0);
}

TEST_CASE("mutated messages never throw and always give valid UTF-8 text",
          "[mime][message][robustness]") {
  const auto seed = fixture("nested-rfc822.eml");
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  const char specials[] = {'\r', '\n', '-', ':', ';', '=', '"', '\0', ' '};
  for (int round = 0; round < 400; ++round) {
    std::string m = seed;
    const int edits = 1 + round % 12;
    for (int e = 0; e < edits; ++e) {
      const auto pos = static_cast<std::size_t>(byte(rng)) * m.size() / 256;
      switch (byte(rng) % 4) {
      case 0:
        m[pos] = static_cast<char>(byte(rng));
        break;
      case 1:
        m[pos] = specials[static_cast<std::size_t>(byte(rng)) % sizeof(specials)];
        break;
      case 2:
        m.erase(pos, static_cast<std::size_t>(byte(rng)) % 40);
        break;
      default:
        m.insert(pos, m.substr(static_cast<std::size_t>(byte(rng)) * m.size() / 256, 30));
      }
    }
    const auto r = parse_message(m);
    if (!r)
      continue;
    for (const auto& h : r->headers)
      REQUIRE(is_valid_utf8(h.value));
    for (const auto& p : r->parts) {
      CAPTURE(round, p.part_id);
      REQUIRE_FALSE(p.part_id.empty());
      if (p.content_type.rfind("text/", 0) == 0)
        REQUIRE(is_valid_utf8(p.body));
    }
  }
}

TEST_CASE("parsing on several threads at once gives the same results", "[mime][message][threads]") {
  // The lead's MIME parser pool calls parse_message from several threads; vmime and the
  // converter caches must not share state between them.
  const char* files[] = {"multipart-alternative.eml", "shift-jis.eml",  "nested-rfc822.eml",
                         "rfc2231-filenames.eml",     "iso-8859-1.eml", "attachments-60.eml"};
  std::vector<std::string> raw;
  std::vector<parsed_message> baseline;
  for (const char* f : files) {
    raw.push_back(fixture(f));
    baseline.push_back(parse_ok(raw.back()));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 25; ++round) {
        const auto i = static_cast<std::size_t>(round + t) % raw.size();
        auto r = parse_message(raw[i]);
        if (!r || r->parts.size() != baseline[i].parts.size()) {
          ++mismatches;
          continue;
        }
        for (std::size_t k = 0; k < r->parts.size(); ++k)
          if (r->parts[k].part_id != baseline[i].parts[k].part_id ||
              r->parts[k].body != baseline[i].parts[k].body ||
              r->parts[k].filename != baseline[i].parts[k].filename)
            ++mismatches;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  CHECK(mismatches.load() == 0);
}
