// Body selection and rendering (mime::render_body).

#include <algorithm>

#include "protocol/html/html.hpp"
#include "protocol/mime/mime.hpp"
#include "protocol/mime/text_util.hpp"
#include "protocol/mime/utf8.hpp"

namespace imap_mcp::mime {

namespace {

bool blank(std::string_view s) {
  for (unsigned char c : s)
    if (!is_lwsp(static_cast<char>(c)) && c != '\f' && c != '\v')
      return false;
  return true;
}

/// Plain text for the agent: CRLF and lone CR become LF, surrounding blank space goes, and
/// only as much of a huge body is touched as the cut needs.
std::string bounded_plain_text(std::string_view s, std::size_t max_chars, bool& truncated) {
  while (!s.empty() && (s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && is_lwsp(s.back()))
    s.remove_suffix(1);
  // A part fetched partially and decoded ends in U+FFFD where a character was cut; that mark
  // carries nothing for the reader (body_text_truncated says the text goes on).
  if (s.size() >= 3 && s.substr(s.size() - 3) == "\xEF\xBF\xBD")
    s.remove_suffix(3);
  while (!s.empty() && is_lwsp(s.back()))
    s.remove_suffix(1);
  std::string out;
  out.reserve(std::min(s.size(), max_chars * 4));
  std::size_t count = 0;
  truncated = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool starts_code_point = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_code_point) {
      if (count == max_chars) {
        truncated = true;
        break;
      }
      ++count;
    }
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n')
        ++i;
      out.push_back('\n');
    } else {
      out.push_back(c);
    }
  }
  if (!is_valid_utf8(out)) {
    // Callers hand over UTF-8; if a part slipped through unconverted, repair and re-cut.
    out = repair_utf8(out);
    if (truncate_utf8(out, max_chars))
      truncated = true;
  }
  return out;
}

} // namespace

rendered_body render_body(const std::vector<part>& text_parts, const render_options& opt) {
  rendered_body r;
  try {
    const part* plain = nullptr;
    const part* html_part = nullptr;
    for (const auto& p : text_parts) {
      if (p.is_attachment)
        continue;
      if (p.content_type == "text/plain") {
        if (plain == nullptr && !blank(p.body))
          plain = &p;
      } else if (p.content_type == "text/html") {
        if (html_part == nullptr)
          html_part = &p;
      }
    }
    const html::html_limits hl{};
    if (plain != nullptr) {
      r.body_text = bounded_plain_text(plain->body, opt.body_max_chars, r.body_text_truncated);
    } else if (html_part != nullptr) {
      r.body_text = html::to_text(html_part->body, hl);
      r.body_text_truncated =
          truncate_utf8(r.body_text, opt.body_max_chars) || html_part->body.size() > hl.max_bytes;
    }
    if (opt.include_html) {
      if (html_part != nullptr) {
        auto s = html::sanitize(html_part->body, hl, opt.body_max_chars);
        r.body_html = std::move(s.html);
        r.body_html_truncated = s.truncated;
      } else {
        r.body_html = std::string();
      }
    }
  } catch (...) {
    // Allocation failure: an empty body is better than an exception across the adapter.
  }
  return r;
}

} // namespace imap_mcp::mime
