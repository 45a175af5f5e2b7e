#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// HTML adapter on gumbo: an allow-list sanitizer and a text renderer for mail bodies.
/// Pure functions, thread-safe, never throw. Input is UTF-8 (mime::to_utf8 output); invalid
/// bytes become U+FFFD.
namespace imap_mcp::html {

/// Work caps applied before gumbo sees anything.
struct html_limits {
  /// Input beyond this many bytes is cut (at a UTF-8 boundary) before parsing.
  std::size_t max_bytes = 2u << 20;
  /// Element nesting deeper than this is flattened: the extra tags go, their text stays.
  int max_depth = 256;
};

/// Allow-list sanitizer. Keeps safe formatting and structure elements (p, br, div, span, a, b,
/// i, u, em, strong, lists, tables, h1-h6, blockquote, pre, code, img, hr...), drops script,
/// style, iframe, object, embed, forms and form controls, noscript, template, svg, math and the
/// document head together with their content, and unwraps anything else (its content stays).
/// Attributes: only harmless ones (href, src, alt, title, colspan, rowspan, width, height...),
/// never `on*` or `style`; URLs only http, https, mailto and cid (src: http, https, cid), after
/// entity decoding and with tab/newline obfuscation removed, so `java&#x09;script:` and
/// `data:` never pass. Links get rel="noopener noreferrer". Output is well-formed HTML with all
/// text escaped.
std::string sanitize(std::string_view html, const html_limits& lim = {});

/// Sanitized HTML cut to a size budget.
struct sanitized {
  std::string html;
  /// True when the input was over max_bytes or the output was cut at max_chars.
  bool truncated = false;
};

/// Like sanitize(), but the output holds at most `max_chars` code points, counting tags; when
/// content has to go, every open element is still closed, so the cut output is well-formed.
sanitized sanitize(std::string_view html, const html_limits& lim, std::size_t max_chars);

/// Readable text of an HTML body, as the sanitizer would keep it: block elements become line
/// breaks (paragraphs and headings blank lines), list items start with "- ", table cells are
/// separated by spaces, blockquotes are prefixed with "> ", links read `text (url)` when the
/// url differs from the text, images show their alt text in brackets; entities are decoded,
/// whitespace collapsed (kept inside pre), script and style content dropped.
std::string to_text(std::string_view html, const html_limits& lim = {});

/// A one-line preview: HTML stripped (when is_html) via to_text(), all whitespace collapsed to
/// single spaces, invisible padding characters removed, cut at max_chars code points.
std::string snippet(std::string_view text_or_html, bool is_html, std::size_t max_chars);

} // namespace imap_mcp::html
