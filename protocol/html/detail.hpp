#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <gumbo.h>

#include "protocol/html/html.hpp"

/// Internals shared by the sanitizer and the text renderer (not part of the public API).
namespace imap_mcp::html::detail {

/// Output of normalize().
struct normalized {
  std::string html;
  /// The input was longer than html_limits::max_bytes and was cut.
  bool cut = false;
};

/// Rewrites arbitrary HTML into a stream gumbo parses cheaply and predictably:
/// - input cut at max_bytes (on a UTF-8 boundary);
/// - comments, doctypes and processing instructions removed;
/// - raw-text elements (script, style, iframe, noscript, noembed, noframes, textarea, title)
///   and foreign content (svg, math) removed with their content, so gumbo never switches
///   tokenizer state on them; xmp and plaintext content becomes escaped text;
/// - every element explicitly closed in LIFO order (HTML's implicit closes of p, li, dd, dt,
///   td, th, tr, option, headings and links are made explicit; stray end tags dropped);
/// - elements nested deeper than max_depth dropped (their text stays).
/// Linear time; the tokenizer follows the HTML tag and attribute states, so what gumbo sees
/// is exactly the structure this function decided.
normalized normalize(std::string_view html, const html_limits& lim);

/// Owns one gumbo parse (max_errors = 0: recording errors copies the open-element stack each
/// time, which is what makes gumbo quadratic on deep input). `html` must outlive it.
class document {
public:
  explicit document(std::string_view html);
  ~document();
  document(const document&) = delete;
  document& operator=(const document&) = delete;

  /// The document node, or nullptr when gumbo failed.
  const GumboNode* root() const { return output_ ? output_->document : nullptr; }

private:
  GumboOptions options_;
  GumboOutput* output_ = nullptr;
};

/// What the allow-list does with an element.
enum class action {
  /// Element and its allowed attributes are kept.
  keep,
  /// The tag goes, its content stays.
  unwrap,
  /// Element and content go.
  drop,
};

/// Policy for one element node (foreign-namespace elements are dropped).
action classify(const GumboNode& element);

/// True for elements without content or end tag.
bool is_void(GumboTag tag);

/// True for elements rendered as their own block in text (line breaks around them).
bool is_block(GumboTag tag);

/// True when `name` may stay on element `tag` (URL attributes are checked with safe_url).
bool attribute_allowed(GumboTag tag, std::string_view name);

/// True for attributes that hold a URL.
bool is_url_attribute(std::string_view name);

/// The URL cleaned for output when it is allowed: ASCII tab/CR/LF removed anywhere (browsers
/// ignore them, attackers use them), leading/trailing controls and spaces trimmed, scheme
/// required and one of http, https, mailto, cid (for src: http, https, cid); a fragment-only
/// href ("#top") is allowed. Anything else, including relative and protocol-relative URLs,
/// control characters and `javascript:`/`data:`, is refused.
std::optional<std::string> safe_url(std::string_view url, bool for_src);

/// The element's tag name as written in output (lower case).
std::string_view tag_name(const GumboNode& element);

/// Text or an attribute value as gumbo decoded it, made well-formed UTF-8. Gumbo's decoding of
/// a numeric character reference whose number overflows (`&#12851128514;`) emits a lone lead
/// byte; every other path yields valid UTF-8, so the copy is only made when needed.
std::string_view well_formed(const char* gumbo_text, std::string& storage);

} // namespace imap_mcp::html::detail
