// Hostile shapes: deep nesting, parser-state tricks, random tag soup. The point is that every
// call completes with bounded, well-formed output; none of these asserts a duration.

#include <catch2/catch.hpp>

#include <functional>
#include <random>
#include <string>

#include "protocol/html/html.hpp"
#include "protocol/mime/utf8.hpp"
#include "tests/protocol/html/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::html;
using namespace imap_mcp::html::test;

namespace {

std::string repeat(const std::string& unit, int n) {
  std::string s;
  s.reserve(unit.size() * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    s += unit;
  return s;
}

std::string numbered(const std::function<std::string(int)>& unit, int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += unit(i);
  return s;
}

void check_bounded(const std::string& html, const html_limits& lim = {}) {
  const auto out = sanitize(html, lim);
  const auto s = well_formed(out);
  INFO("problem: " << s.problem);
  CHECK(s.ok);
  CHECK(s.max_depth <= static_cast<std::size_t>(lim.max_depth));
  CHECK(mime::is_valid_utf8(out));
  // Output stays proportional to the input: every tag in it came from one in the input (a
  // link can grow by its rel attribute and quoting).
  CHECK(out.size() <= 8 * html.size() + 64);
  const auto text = to_text(html, lim);
  CHECK(mime::is_valid_utf8(text));
  CHECK(text.size() <= html.size() + 64);
}

} // namespace

TEST_CASE("100,000 nested tags sanitize completely with bounded depth", "[html][hostile][large]") {
  const auto html = large_fixture("nested-tags-100k.html");
  REQUIRE(html.size() > 500000);
  const auto out = sanitize(html);
  const auto s = well_formed(out);
  CHECK(s.ok);
  // 256 elements deep, less the html and body elements the sanitizer unwraps.
  CHECK(s.max_depth <= 256);
  CHECK(s.max_depth >= 250);
  CHECK(out.find("before") != std::string::npos);
  CHECK(out.find("deep text") != std::string::npos);
  CHECK(out.size() < 4000);
  const auto text = to_text(html);
  CHECK(text.find("before") != std::string::npos);
  CHECK(text.find("deep text") != std::string::npos);
  CHECK(snippet(html, true, 50) == "before deep text");
}

TEST_CASE("a smaller max_depth flattens deeper elements but keeps their text", "[html][hostile]") {
  html_limits lim;
  lim.max_depth = 3;
  const auto out = sanitize("<div><div><div><div><b>deep</b></div></div></div></div>after", lim);
  CHECK(out == "<div><div><div>deep</div></div></div>after");
}

TEST_CASE("hostile shapes complete with bounded, well-formed output", "[html][hostile]") {
  SECTION("nested formatting elements") {
    check_bounded(repeat("<b>", 100000) + "x");
  }
  SECTION("formatting reconstruction (quadratic in plain gumbo)") {
    check_bounded(numbered([](int i) { return "<p><b x=" + std::to_string(i) + "></p>x"; }, 50000));
  }
  SECTION("formatting kept open across tables") {
    check_bounded(numbered(
        [](int i) { return "<b id=" + std::to_string(i) + "><table></b></table>"; }, 40000));
  }
  SECTION("misnested formatting (adoption agency)") {
    check_bounded(repeat("<a href=#><b><i><div>x</a></b></i>", 30000));
  }
  SECTION("unclosed list items and cells") {
    check_bounded("<ul>" + repeat("<li>item", 100000));
    check_bounded("<table>" + repeat("<tr><td>c", 50000));
  }
  SECTION("nested tables") {
    check_bounded(repeat("<table><tr><td>", 30000));
  }
  SECTION("stray end tags over a deep stack") {
    check_bounded(repeat("<div>", 20000) + repeat("</li>", 200000));
  }
  SECTION("unknown elements") {
    check_bounded(repeat("<x-a><y:b>", 50000));
  }
  SECTION("block starts under a deep stack (scope walks)") {
    check_bounded(repeat("<span>", 255) + repeat("<div></div>", 150000));
  }
  SECTION("nested svg and math") {
    check_bounded(repeat("<svg>", 50000) + "text");
    check_bounded(repeat("<math><mtext>", 30000) + "text");
  }
  SECTION("unterminated constructs") {
    check_bounded("<p>a<!-- never closed" + repeat("<div>", 1000));
    check_bounded("<p>a<script>" + repeat("<div>", 1000));
    check_bounded("<div title=\"" + repeat("<div>", 1000));
    check_bounded("<div title='x' " + repeat("a", 100000));
  }
  SECTION("self-closing non-void elements nest") {
    check_bounded(repeat("<div/>", 100000));
  }
  SECTION("many attributes") {
    check_bounded("<p " + numbered([](int i) { return "a" + std::to_string(i) + "=1 "; }, 50000) +
                  ">x</p>");
  }
}

TEST_CASE("random tag soup never breaks the output contract", "[html][hostile]") {
  const char* pieces[] = {"<div>",
                          "</div>",
                          "<p>",
                          "</p>",
                          "<b>",
                          "</b>",
                          "<i>",
                          "</a>",
                          "<a href=\"https://e.example\">",
                          "<li>",
                          "<ul>",
                          "</ul>",
                          "<table>",
                          "<tr>",
                          "<td>",
                          "</td>",
                          "</table>",
                          "<svg>",
                          "</svg>",
                          "<script>",
                          "</script>",
                          "<style>",
                          "<!--",
                          "-->",
                          "<![CDATA[",
                          "]]>",
                          "<br>",
                          "<img src=x onerror=alert(1)>",
                          "\"",
                          "'",
                          "=",
                          "<",
                          ">",
                          "&amp;",
                          "&#x6A;",
                          "text ",
                          "Grüße ",
                          "日本",
                          "<select>",
                          "<option>",
                          "<template>",
                          "</template>",
                          "<plaintext>",
                          "<xmp>",
                          "</xmp>",
                          "<title>",
                          "</title>",
                          "<textarea>",
                          "<form>",
                          "<math>",
                          "<mtext>",
                          "</math>",
                          "<table><td>",
                          "</br>",
                          "</p>"};
  std::mt19937 rng(424242);
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(pieces) / sizeof(pieces[0]) - 1);
  html_limits lim;
  lim.max_depth = 16;
  for (int round = 0; round < 1500; ++round) {
    std::string html;
    const int n = 1 + round % 120;
    for (int i = 0; i < n; ++i)
      html += pieces[pick(rng)];
    const auto out = sanitize(html, lim);
    const auto s = well_formed(out);
    CAPTURE(round, html, out, s.problem);
    REQUIRE(s.ok);
    REQUIRE(s.max_depth <= 16);
    const auto low = lower(out);
    REQUIRE(low.find("<script") == std::string::npos);
    for (const auto& a : s.attributes) {
      CAPTURE(a);
      REQUIRE(a.rfind("on", 0) != 0);
      REQUIRE(a != "style");
    }
    REQUIRE(low.find("<svg") == std::string::npos);
    REQUIRE(mime::is_valid_utf8(to_text(html, lim)));
    const auto cut = sanitize(html, lim, 40);
    REQUIRE(mime::count_code_points(cut.html) <= 40);
    REQUIRE(well_formed(cut.html).ok);
  }
}

TEST_CASE("invalid UTF-8 input gives valid UTF-8 output", "[html][hostile]") {
  const std::string html = "<p>ok \xFF\xFE broken \xE2\x82 tail</p>";
  const auto out = sanitize(html);
  CHECK(mime::is_valid_utf8(out));
  CHECK(out.find("ok") != std::string::npos);
  CHECK(mime::is_valid_utf8(to_text(html)));
  CHECK(mime::is_valid_utf8(snippet(html, true, 100)));
  CHECK(mime::is_valid_utf8(snippet(html, false, 100)));
}

TEST_CASE("character references whose number overflows give valid UTF-8", "[html][hostile]") {
  // Gumbo decodes these into a lone lead byte (found by fuzz_html); the output is repaired.
  const std::vector<std::string> refs = {"&#12851128514;", "&#99999999999999999999;", "&#x2FE0A4B42;",
                                         "&#1114112;", "&#x110000;", "&#4294967296;"};
  for (const auto& ref : refs) {
    INFO(ref);
    const std::string html = "<p>a " + ref + " b</p><a href=\"https://example.org/?q=" + ref + "\" title=\"" +
                              ref + "\">link</a>";
    const auto out = sanitize(html);
    CHECK(mime::is_valid_utf8(out));
    CHECK(out.find("</a>") != std::string::npos);
    CHECK(mime::is_valid_utf8(sanitize(html, html_limits{}, 12).html));
    const auto text = to_text(html);
    CHECK(mime::is_valid_utf8(text));
    CHECK(text.find("link") != std::string::npos);
    CHECK(mime::is_valid_utf8(snippet(html, true, 100)));
  }
  // The one fuzz_html found: the text keeps its neighbours and gets U+FFFD in between.
  CHECK(to_text("<p>a &#12851128514; b</p>").find("a \xEF\xBF\xBD b") != std::string::npos);
}
