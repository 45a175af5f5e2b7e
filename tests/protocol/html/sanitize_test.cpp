#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol/html/html.hpp"
#include "protocol/mime/mime.hpp"
#include "protocol/mime/utf8.hpp"
#include "tests/protocol/html/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::html;
using namespace imap_mcp::html::test;

namespace {

std::string malicious_html() {
  auto m = mime::parse_message(message_fixture("malicious-html.eml"));
  REQUIRE(m.ok());
  REQUIRE(m->parts.size() == 1);
  return m->parts[0].body;
}

} // namespace

TEST_CASE("nothing dangerous of the malicious fixture survives", "[html][sanitize]") {
  const auto out = sanitize(malicious_html());
  const auto low = lower(out);
  INFO(out);
  for (const char* bad :
       {"<script",  "</script", "alert",         "document.cookie", "javascript",  "vbscript",
        "data:",    "onload",   "onerror",       "onclick",         "onmouseover", "style=",
        "<style",   "<iframe",  "<object",       "<embed",          "<form",       "<input",
        "<button",  "password", "<svg",          "<math",           "<meta",       "<base",
        "<link",    "refresh",  "evil.example",  "noscript",        "<template",   "target=",
        "behavior", "<title",   "invoice</title"}) {
    CAPTURE(bad);
    CHECK(low.find(bad) == std::string::npos);
  }
  const auto s = well_formed(out);
  CHECK(s.ok);
  CHECK(s.problem == "");
}

TEST_CASE("safe content of the malicious fixture survives", "[html][sanitize]") {
  const auto out = sanitize(malicious_html());
  INFO(out);
  for (const char* good : {
           "<p>Dear customer, your <b>invoice</b> is ready.</p>",
           "<img src=\"https://img.example.com/logo.png\" alt=\"Company logo\">",
           "<a href=\"https://pay.example.com/invoice/42\" rel=\"noopener noreferrer\">Pay "
           "invoice</a>",
           "<div>Styled div</div>",
           "<a href=\"mailto:billing@example.com\" rel=\"noopener "
           "noreferrer\">billing@example.com</a>",
           // Dangerous links lose their href but keep their text.
           "<a>Click me</a>",
           "<a>Tab</a>",
           "<a>Entities</a>",
           "<a>Data link</a>",
       }) {
    CAPTURE(good);
    CHECK(out.find(good) != std::string::npos);
  }
  // The data: image and the src-less image are dropped entirely.
  CHECK(out.find("data image") == std::string::npos);
  CHECK(out.find("<img src=\"x\"") == std::string::npos);
}

TEST_CASE("URL filtering: only http, https, mailto and cid", "[html][sanitize][url]") {
  struct row {
    std::string href;
    bool kept;
  };
  const row rows[] = {
      {"https://example.com/a?b=1&c=2", true},
      {"HTTP://EXAMPLE.COM", true},
      {"mailto:someone@example.com", true},
      {"cid:part1@example.com", true},
      {"#section-2", true},
      {"javascript:alert(1)", false},
      {"JAVASCRIPT:alert(1)", false},
      {" javascript:alert(1)", false},
      {"java\tscript:alert(1)", false},
      {"java&#x09;script:alert(1)", false},
      {"java&#x0A;script:alert(1)", false},
      {"java&#13;script:alert(1)", false},
      {"&#x6A;avascript:alert(1)", false},
      {"&#0000106avascript:alert(1)", false},
      {"jav&Tab;ascript:alert(1)", false},
      {"\x01javascript:alert(1)", false},
      {"javascript&colon;alert(1)", false},
      {"vbscript:msgbox", false},
      {"data:text/html,<script>alert(1)</script>", false},
      {"DATA:text/html;base64,PHNjcmlwdD4=", false},
      {"file:///etc/passwd", false},
      {"ftp://example.com/file", false},
      {"//evil.example/path", false},
      {"/relative/path", false},
      {"relative.html", false},
      {"ｊavascript:alert(1)", false},
      {"", false},
  };
  for (const auto& r : rows) {
    const auto html = "<a href=\"" + r.href + "\">x</a>";
    const auto out = sanitize(html);
    CAPTURE(r.href, out);
    CHECK((out.find("href=") != std::string::npos) == r.kept);
    CHECK(lower(out).find("javascript") == std::string::npos);
    CHECK(well_formed(out).ok);
  }
  // Images accept no mailto: and no fragment.
  CHECK(sanitize("<img src=\"mailto:a@b\">").empty());
  CHECK(sanitize("<img src=\"#x\">").empty());
  CHECK(sanitize("<img src=\"cid:logo@x\" alt=\"L\">") == "<img src=\"cid:logo@x\" alt=\"L\">");
}

TEST_CASE("attribute allow-list", "[html][sanitize]") {
  struct row {
    std::string in;
    std::string out;
  };
  const row rows[] = {
      {"<p onclick=\"x()\" style=\"color:red\" class=\"c\" id=\"i\" align=\"center\">t</p>",
       "<p align=\"center\">t</p>"},
      {"<table><tr><td colspan=2 rowspan=\"3\" onmouseover=x background=\"javascript:x\">c</td>"
       "</tr></table>",
       "<table><tbody><tr><td colspan=\"2\" rowspan=\"3\">c</td></tr></tbody></table>"},
      {"<img src=\"https://x.example/i.png\" width=\"10\" height=10 srcset=\"a 1x\" "
       "onerror=\"e\" alt='a \"quoted\" <alt>'>",
       "<img src=\"https://x.example/i.png\" width=\"10\" height=\"10\" alt=\"a &quot;quoted&quot; "
       "&lt;alt&gt;\">"},
      {"<a href=\"https://x.example/?a=1&amp;b=2\" title=\"T\" target=\"_blank\" name=\"n\">l</a>",
       "<a href=\"https://x.example/?a=1&amp;b=2\" title=\"T\" rel=\"noopener noreferrer\">l</a>"},
      {"<font color=\"red\" face=\"Arial\" style=\"x\">f</font>",
       "<font color=\"red\" face=\"Arial\">f</font>"},
      {"<ol start=\"3\" onclick=\"x\"><li value=\"4\">i</li></ol>",
       "<ol start=\"3\"><li value=\"4\">i</li></ol>"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.in);
    CHECK(sanitize(r.in) == r.out);
  }
}

TEST_CASE("elements: kept, unwrapped or dropped with content", "[html][sanitize]") {
  struct row {
    std::string in;
    std::string out;
  };
  const row rows[] = {
      {"<b>bold</b> <i>it</i> <u>u</u> <em>e</em> <strong>s</strong>",
       "<b>bold</b> <i>it</i> <u>u</u> <em>e</em> <strong>s</strong>"},
      {"<h1>T</h1><blockquote>q</blockquote><pre>  x\n  y</pre><code>c</code><hr>",
       "<h1>T</h1><blockquote>q</blockquote><pre>  x\n  y</pre><code>c</code><hr>"},
      {"<ul><li>a</li><li>b</li></ul>", "<ul><li>a</li><li>b</li></ul>"},
      {"<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>",
       "<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>"},
      {"a<br>b<br/>c</br>d", "a<br>b<br>c<br>d"},
      // Unknown and structural tags are unwrapped: their text stays.
      {"<o:p>office</o:p><custom-el>custom</custom-el><label>lab</label>", "officecustomlab"},
      {"<html><body><p>x</p></body></html>", "<p>x</p>"},
      // Dropped with content.
      {"a<script>alert(1)</script>b", "ab"},
      {"a<style>p{}</style>b", "ab"},
      {"a<iframe src=x>frame text</iframe>b", "ab"},
      {"a<form><p>in form</p></form>b", "ab"},
      {"a<select><option>o</option></select>b", "ab"},
      {"a<textarea>t</textarea>b", "ab"},
      {"a<button>press</button>b", "ab"},
      {"a<noscript>n</noscript>b", "ab"},
      {"a<template><p>t</p></template>b", "ab"},
      {"a<svg><text>s</text></svg>b", "ab"},
      {"a<math><mi>m</mi></math>b", "ab"},
      {"a<object><p>fallback</p></object>b", "ab"},
      {"<head><title>t</title></head><body>b</body>", "b"},
      {"a<!-- comment <script>x</script> -->b", "ab"},
      {"a<![CDATA[x]]>b", "ab"},
      {"<!DOCTYPE html>a", "a"},
      // Text is always escaped.
      {"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"},
      {"1 < 2 && 3 > 2", "1 &lt; 2 &amp;&amp; 3 &gt; 2"},
      {"<xmp><b>shown</b></xmp>", "&lt;b&gt;shown&lt;/b&gt;"},
      {"&eacute;&nbsp;&#x65E5;", "é\xC2\xA0日"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.in);
    const auto out = sanitize(r.in);
    CHECK(out == r.out);
    CHECK(well_formed(out).ok);
  }
}

TEST_CASE("misnested and unclosed markup comes out balanced", "[html][sanitize]") {
  struct row {
    std::string in;
    std::string out;
  };
  const row rows[] = {
      {"<p>one<p>two", "<p>one</p><p>two</p>"},
      {"<ul><li>a<li>b</ul>", "<ul><li>a</li><li>b</li></ul>"},
      {"<b><i>x</b>y</i>", "<b><i>x</i></b>y"},
      {"<div><span>x</div>y", "<div><span>x</span></div>y"},
      {"<table><tr><td>a<td>b<tr><td>c</table>",
       "<table><tbody><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></tbody></table>"},
      {"<a href=\"https://a.example\">a<a href=\"https://b.example\">b</a>",
       "<a href=\"https://a.example\" rel=\"noopener noreferrer\">a</a>"
       "<a href=\"https://b.example\" rel=\"noopener noreferrer\">b</a>"},
      {"<p>unclosed <b>bold", "<p>unclosed <b>bold</b></p>"},
      {"</div></span>stray ends</p>", "stray ends"},
      {"<div title=\"a>b\">quoted gt</div>", "<div title=\"a&gt;b\">quoted gt</div>"},
      {"<div", ""},
      {"text <", "text &lt;"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.in);
    const auto out = sanitize(r.in);
    CHECK(out == r.out);
    CHECK(well_formed(out).ok);
  }
}

TEST_CASE("the bounded sanitizer keeps within max_chars and stays well-formed",
          "[html][sanitize]") {
  const auto html = malicious_html();
  const auto full = sanitize(html);
  const auto full_len = mime::count_code_points(full);
  for (std::size_t n = 0; n < full_len + 10; n += 7) {
    const auto r = sanitize(html, html_limits{}, n);
    CAPTURE(n, r.html);
    CHECK(mime::count_code_points(r.html) <= n);
    CHECK(r.truncated == (n < full_len));
    const auto s = well_formed(r.html);
    CHECK(s.ok);
    CHECK(s.problem == "");
    if (!r.truncated)
      CHECK(r.html == full);
  }
}

TEST_CASE("oversized input is cut at max_bytes and flagged", "[html][sanitize][limits]") {
  std::string html = "<p>";
  while (html.size() < 5000)
    html += "Grüße ";
  html += "</p>";
  html_limits lim;
  lim.max_bytes = 1001; // inside a two-byte 'ü'
  const auto r = sanitize(html, lim, 100000);
  CHECK(r.truncated);
  CHECK(mime::is_valid_utf8(r.html));
  CHECK(r.html.size() < 1100);
  CHECK(well_formed(r.html).ok);
}
