#include <catch2/catch.hpp>

#include <string>

#include "protocol/html/html.hpp"
#include "protocol/mime/mime.hpp"
#include "protocol/mime/utf8.hpp"
#include "tests/protocol/html/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::html;
using namespace imap_mcp::html::test;

TEST_CASE("HTML renders as readable text", "[html][text]") {
  struct row {
    std::string html;
    std::string text;
  };
  const row rows[] = {
      {"<p>one</p><p>two</p>", "one\n\ntwo"},
      {"line<br>break<br><br>gap", "line\nbreak\n\ngap"},
      {"<div>a</div><div>b</div>", "a\nb"},
      {"<h1>Title</h1>text", "Title\n\ntext"},
      {"<ul><li>eins</li><li>zwei</li></ul>", "- eins\n- zwei"},
      {"<ol><li>a<ul><li>nested</li></ul></li></ol>", "- a\n  - nested"},
      {"<a href=\"https://example.com/x\">the site</a>", "the site (https://example.com/x)"},
      {"<a href=\"https://example.com/\">https://example.com</a>", "https://example.com"},
      {"<a href=\"mailto:info@example.com\">info@example.com</a>", "info@example.com"},
      {"<a href=\"javascript:alert(1)\">click</a>", "click"},
      {"<a href=\"#top\">top</a>", "top"},
      {"<a href=\"https://example.com/img\"><img src=\"x.png\" alt=\"\"></a>",
       "https://example.com/img"},
      {"<img src=\"cid:logo\" alt=\"Logo\"> text", "[Logo] text"},
      {"Gr&uuml;&szlig;e &amp; &lt;tags&gt; &#x65E5;&#26412;", "Grüße & <tags> 日本"},
      {"  lots   of\n\n  white\tspace  ", "lots of white space"},
      {"a&nbsp;&nbsp;b", "a b"},
      {"<pre>  keep\n    indent</pre>", "keep\n    indent"},
      {"<blockquote>quoted<br>lines</blockquote>reply", "> quoted\n> lines\n\nreply"},
      {"<table><tr><td>Artikel</td><td>Preis</td></tr><tr><td>Jacke</td><td>89 €</td></tr></table>",
       "Artikel Preis\nJacke 89 €"},
      {"<script>var x = 1;</script><style>p {}</style>visible", "visible"},
      {"<head><title>T</title></head><body>b</body>", "b"},
      {"<form><input value=v>form text</form>after", "after"},
      {"pre&#x200B;header&zwnj;&#xFEFF;text", "preheadertext"},
      {"", ""},
  };
  for (const auto& r : rows) {
    CAPTURE(r.html);
    const auto out = to_text(r.html);
    CHECK(out == r.text);
    CHECK(mime::is_valid_utf8(out));
  }
}

TEST_CASE("the newsletter fixture renders to text", "[html][text]") {
  auto m = mime::parse_message(message_fixture("html-only.eml"));
  REQUIRE(m.ok());
  const auto text = to_text(m->parts[0].body);
  CHECK(text == "Februar-Newsletter\n\n"
                "Neu im Shop: unsere Frühjahrskollektion (https://shop.example.com/neu).\n\n"
                "- Jacken & Mäntel\n"
                "- Schuhe\n\n"
                "> Zitat des Monats: Weniger ist mehr.\n\n"
                "Artikel Preis\n"
                "Jacke 89,00 €\n\n"
                "[Logo] info@example.com");
}

TEST_CASE("snippets are one collapsed line cut at code points", "[html][snippet]") {
  CHECK(snippet("<p>Hello</p><p>World</p>", true, 200) == "Hello World");
  CHECK(snippet("  Hello\r\n\r\n  World  ", false, 200) == "Hello World");
  CHECK(snippet("<script>x()</script><b>bold</b> text", true, 200) == "bold text");
  CHECK(snippet("Grüße aus 日本", false, 7) == "Grüße a");
  CHECK(snippet("Grüße aus 日本", false, 11) == "Grüße aus 日");
  CHECK(snippet("a  b", false, 2) == "a");
  CHECK(snippet("\xE2\x80\x8B\xE2\x80\x8C padded \xC2\xA0 preview", false, 100) ==
        "padded preview");
  CHECK(snippet("", false, 10).empty());
  CHECK(snippet("text", false, 0).empty());
  // A body cut by a partial fetch may end inside a character: that tail is dropped.
  CHECK(snippet("Gr\xC3\xBC\xC3", false, 10) == "Grü");
  CHECK(snippet("日本\xE8\xAA", false, 10) == "日本");
  // ... or was already converted to U+FFFD by to_utf8.
  CHECK(snippet("Gr\xC3\xBC\xEF\xBF\xBD", false, 10) == "Grü");
  for (std::size_t n = 0; n < 20; ++n) {
    const auto s = snippet("Grüße 日本 😀 Grüße", false, n);
    CAPTURE(n);
    CHECK(mime::is_valid_utf8(s));
    CHECK(mime::count_code_points(s) <= n);
  }
}
