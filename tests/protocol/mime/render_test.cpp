#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/utf8.hpp"
#include "tests/protocol/mime/support.hpp"

using namespace imap_mcp::mime;
using namespace imap_mcp::mime::test;

namespace {

part text_part(std::string type, std::string body, bool attachment = false) {
  part p;
  p.content_type = std::move(type);
  p.body = std::move(body);
  p.is_attachment = attachment;
  return p;
}

render_options opts(std::size_t max_chars, bool html = false) {
  render_options o;
  o.body_max_chars = max_chars;
  o.include_html = html;
  return o;
}

} // namespace

TEST_CASE("the first meaningful text/plain part is the body", "[mime][render]") {
  const std::vector<part> parts = {
      text_part("text/plain", " \r\n\t\r\n"), // blank: skipped
      text_part("text/plain", "attached notes", true),
      text_part("text/html", "<p>html version</p>"),
      text_part("text/plain", "\r\nHello Anna,\r\n\r\nsee you.\r\n\r\n"),
  };
  const auto r = render_body(parts, opts(2000));
  CHECK(r.body_text == "Hello Anna,\n\nsee you.");
  CHECK_FALSE(r.body_text_truncated);
  CHECK_FALSE(r.body_html.has_value());
}

TEST_CASE("without a plain part the text comes from the sanitized HTML", "[mime][render]") {
  const std::vector<part> parts = {
      text_part("text/plain", "   "),
      text_part("text/html",
                "<html><head><style>p{}</style><script>alert(1)</script></head><body>"
                "<p>Hallo <b>Anna</b>,</p><p>viele Gr&uuml;&szlig;e</p></body></html>"),
  };
  const auto r = render_body(parts, opts(2000, true));
  CHECK(r.body_text == "Hallo Anna,\n\nviele Grüße");
  REQUIRE(r.body_html.has_value());
  CHECK(*r.body_html == "<p>Hallo <b>Anna</b>,</p><p>viele Grüße</p>");
  CHECK_FALSE(r.body_html_truncated);
}

TEST_CASE("body text is cut at code points, never inside a UTF-8 sequence", "[mime][render]") {
  const std::string body = "Grüße aus 日本 😀 und München";
  const auto total = count_code_points(body);
  for (std::size_t n = 0; n <= total + 1; ++n) {
    const auto r = render_body({text_part("text/plain", body)}, opts(n));
    CAPTURE(n);
    CHECK(is_valid_utf8(r.body_text));
    CHECK(count_code_points(r.body_text) == std::min(n, total));
    CHECK(r.body_text_truncated == (n < total));
    CHECK(body.compare(0, r.body_text.size(), r.body_text) == 0);
  }
}

TEST_CASE("a character cut by a partial fetch does not show as U+FFFD", "[mime][render]") {
  // The lead's partial BODY.PEEK[1]<0.N> may end inside a multi-byte character.
  const auto text = to_utf8("Gr\xC3\xBC\xC3\x9F"
                            "e \xE6\x97",
                            "utf-8");
  const auto r = render_body({text_part("text/plain", text)}, opts(100));
  CHECK(r.body_text == "Grüße");
}

TEST_CASE("cut HTML stays well-formed and within the budget", "[mime][render]") {
  const std::string html =
      "<div><p>Grüße <b>aus <i>München</i></b></p><ul><li>eins</li><li>zwei</li></ul></div>";
  for (std::size_t n : {0u, 5u, 12u, 20u, 33u, 50u, 80u, 200u}) {
    const auto r = render_body({text_part("text/html", html)}, opts(n, true));
    REQUIRE(r.body_html.has_value());
    const auto& out = *r.body_html;
    CAPTURE(n, out);
    CHECK(count_code_points(out) <= n);
    CHECK(is_valid_utf8(out));
    // Every opened tag is closed again, in order.
    CHECK(count_of(out, "<div>") == count_of(out, "</div>"));
    CHECK(count_of(out, "<p>") == count_of(out, "</p>"));
    CHECK(count_of(out, "<b>") == count_of(out, "</b>"));
    CHECK(count_of(out, "<li>") == count_of(out, "</li>"));
    CHECK(r.body_html_truncated == (n < 84));
  }
}

TEST_CASE("include_html without an HTML part gives an empty body_html", "[mime][render]") {
  const auto r = render_body({text_part("text/plain", "only text")}, opts(100, true));
  REQUIRE(r.body_html.has_value());
  CHECK(r.body_html->empty());
  CHECK(r.body_text == "only text");
}

TEST_CASE("no text parts at all render as empty", "[mime][render]") {
  const auto r = render_body({}, opts(100, true));
  CHECK(r.body_text.empty());
  CHECK_FALSE(r.body_text_truncated);
}

TEST_CASE("the malicious fixture renders without script or handler text", "[mime][render]") {
  auto m = parse_message(fixture("malicious-html.eml"));
  REQUIRE(m.ok());
  const auto r = render_body(m->parts, opts(20000, true));
  CHECK(r.body_text.find("Dear customer, your invoice is ready.") != std::string::npos);
  CHECK(r.body_text.find("Pay invoice (https://pay.example.com/invoice/42)") != std::string::npos);
  for (const char* bad : {"alert", "document.cookie", "javascript", "noscript content"}) {
    CAPTURE(bad);
    CHECK(r.body_text.find(bad) == std::string::npos);
    CHECK(r.body_html->find(bad) == std::string::npos);
  }
}
