// Fuzz target: the HTML sanitizer and text renderer (protocol/html).
//
// A property check, not only a crash check: the sanitized output is parsed again with gumbo,
// as a browser would, and must hold no script-capable element (script, style, iframe, object,
// embed, svg, math, forms...), no event handler (`on*`) or style attribute, and no URL
// attribute whose scheme is not http, https, mailto or cid (`javascript:`, `data:`...). The
// output must also be valid UTF-8, `<script` must not appear in it in any case, and the
// size-capped variant must respect its cap.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gumbo.h>

#include "protocol/html/html.hpp"
#include "protocol/mime/utf8.hpp"
#include "tests/fuzz/check.hpp"

using namespace imap_mcp;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The scheme of a URL as a browser resolves it (tabs and newlines removed, leading and
/// trailing controls and spaces stripped), or empty for a relative URL.
std::string url_scheme(std::string_view url) {
  std::string u;
  for (char c : url)
    if (c != '\t' && c != '\n' && c != '\r')
      u.push_back(c);
  std::size_t b = 0;
  while (b < u.size() && static_cast<unsigned char>(u[b]) <= 0x20)
    ++b;
  u.erase(0, b);
  const auto colon = u.find(':');
  if (colon == std::string::npos || colon == 0)
    return {};
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = u[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'))
      return {};
  }
  return lower(u.substr(0, colon));
}

bool forbidden_element(GumboTag tag) {
  switch (tag) {
  case GUMBO_TAG_SCRIPT:
  case GUMBO_TAG_STYLE:
  case GUMBO_TAG_IFRAME:
  case GUMBO_TAG_FRAME:
  case GUMBO_TAG_FRAMESET:
  case GUMBO_TAG_OBJECT:
  case GUMBO_TAG_EMBED:
  case GUMBO_TAG_APPLET:
  case GUMBO_TAG_SVG:
  case GUMBO_TAG_MATH:
  case GUMBO_TAG_FORM:
  case GUMBO_TAG_INPUT:
  case GUMBO_TAG_BUTTON:
  case GUMBO_TAG_TEXTAREA:
  case GUMBO_TAG_SELECT:
  case GUMBO_TAG_BASE:
  case GUMBO_TAG_LINK:
  case GUMBO_TAG_META:
  case GUMBO_TAG_NOSCRIPT:
  case GUMBO_TAG_TEMPLATE:
    return true;
  default:
    return false;
  }
}

/// Attributes a browser resolves as URLs (the ones that can run javascript: or load data:).
bool url_attribute(std::string_view name) {
  return name == "href" || name == "src" || name == "action" || name == "formaction" ||
         name == "background" || name == "poster" || name == "srcset" || name == "data" ||
         name == "xlink:href" || name == "lowsrc" || name == "dynsrc" || name == "longdesc" ||
         name == "cite" || name == "codebase" || name == "usemap";
}

void check_element(const GumboNode& node) {
  const auto& el = node.v.element;
  fuzz::check(!forbidden_element(el.tag), "a script-capable element survived sanitizing");
  if (el.tag == GUMBO_TAG_UNKNOWN)
    fuzz::check(false, "an unknown element survived sanitizing");
  for (unsigned i = 0; i < el.attributes.length; ++i) {
    const auto* attr = static_cast<const GumboAttribute*>(el.attributes.data[i]);
    const auto name = lower(attr->name);
    fuzz::check(name.rfind("on", 0) != 0, "an on* event attribute survived sanitizing");
    fuzz::check(name != "style", "a style attribute survived sanitizing");
    if (url_attribute(name)) {
      const auto scheme = url_scheme(attr->value); // gumbo has decoded the entities
      fuzz::check(scheme.empty() || scheme == "http" || scheme == "https" ||
                      scheme == "mailto" || scheme == "cid",
                  "a URL with a dangerous scheme survived sanitizing");
    }
  }
}

/// Parses sanitized output as a browser would and checks every element (iteratively: the
/// output may nest up to max_depth).
void check_sanitized(const std::string& out) {
  fuzz::check_utf8(out, "sanitized HTML is not UTF-8");
  fuzz::check(lower(out).find("<script") == std::string::npos, "sanitized HTML holds <script");
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;
  GumboOutput* doc = gumbo_parse_with_options(&options, out.data(), out.size());
  std::vector<const GumboNode*> todo{doc->root};
  while (!todo.empty()) {
    const auto* node = todo.back();
    todo.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE)
      continue;
    // html/head/body are implied by the browser's parser, not emitted by the sanitizer.
    const auto tag = node->v.element.tag;
    if (tag != GUMBO_TAG_HTML && tag != GUMBO_TAG_HEAD && tag != GUMBO_TAG_BODY)
      check_element(*node);
    const auto& kids = node->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i)
      todo.push_back(static_cast<const GumboNode*>(kids.data[i]));
  }
  gumbo_destroy_output(&options, doc);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::splitter split(input);

  html::html_limits lim;
  lim.max_bytes = 256 * 1024;
  lim.max_depth = 64;

  check_sanitized(html::sanitize(input, lim));

  const std::size_t max_chars = split.next(400);
  const auto capped = html::sanitize(input, lim, max_chars);
  fuzz::check(mime::count_code_points(capped.html) <= max_chars,
              "capped sanitized HTML is longer than max_chars");
  check_sanitized(capped.html);

  fuzz::check_utf8(html::to_text(input, lim), "to_text is not UTF-8");
  const auto preview = html::snippet(input, true, max_chars);
  fuzz::check_utf8(preview, "snippet is not UTF-8");
  fuzz::check(mime::count_code_points(preview) <= max_chars, "snippet is longer than max_chars");
  return 0;
}
