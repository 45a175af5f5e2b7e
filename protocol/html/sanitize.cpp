// Allow-list sanitizer over gumbo's tree (html::sanitize).

#include <limits>
#include <vector>

#include "protocol/html/detail.hpp"
#include "protocol/mime/utf8.hpp"

namespace imap_mcp::html {

namespace {

using namespace detail;

/// Longest attribute value kept; longer ones are junk or abuse in mail.
constexpr std::size_t max_attribute_bytes = 2048;

std::size_t code_points(std::string_view s) {
  return mime::count_code_points(s);
}

void append_attr_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    default:
      out.push_back(c);
    }
  }
}

/// Writes well-formed HTML within a code-point budget that always leaves room for the end
/// tags of every open element.
class writer {
public:
  explicit writer(std::size_t max_chars) : max_(max_chars) {}

  bool stopped() const { return stopped_; }
  std::size_t depth() const { return open_.size(); }

  /// Emits a start tag (`tag` holds "<name ...>"); false (and stopped) when over budget.
  bool start(std::string_view name, const std::string& tag, bool is_void) {
    const std::size_t cost = code_points(tag);
    const std::size_t close_cost = is_void ? 0 : name.size() + 3;
    if (!fits(cost + close_cost))
      return stop();
    out_ += tag;
    used_ += cost;
    if (!is_void) {
      open_.push_back(name);
      reserved_ += close_cost;
    }
    return true;
  }

  void end() {
    const auto name = open_.back();
    open_.pop_back();
    reserved_ -= name.size() + 3;
    out_ += "</";
    out_ += name;
    out_ += ">";
    used_ += name.size() + 3;
  }

  /// Emits escaped text, as much as fits.
  bool text(std::string_view t) {
    if (max_ == unlimited) {
      for (char c : t)
        append_text_char(c);
      return true;
    }
    std::size_t i = 0;
    while (i < t.size()) {
      std::size_t len = 1;
      const auto b = static_cast<unsigned char>(t[i]);
      if (b >= 0xF0)
        len = 4;
      else if (b >= 0xE0)
        len = 3;
      else if (b >= 0xC0)
        len = 2;
      if (i + len > t.size())
        len = t.size() - i;
      const char c = t[i];
      const std::size_t cost = c == '&' ? 5 : (c == '<' || c == '>') ? 4 : 1;
      if (!fits(cost))
        return stop();
      if (len == 1)
        append_text_char(c);
      else
        out_.append(t.substr(i, len));
      used_ += cost;
      i += len;
    }
    return true;
  }

  std::string finish() {
    while (!open_.empty())
      end();
    return std::move(out_);
  }

  static constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

private:
  bool fits(std::size_t cost) const {
    if (max_ == unlimited)
      return true;
    return used_ + reserved_ + cost <= max_;
  }

  bool stop() {
    stopped_ = true;
    return false;
  }

  void append_text_char(char c) {
    switch (c) {
    case '&':
      out_ += "&amp;";
      break;
    case '<':
      out_ += "&lt;";
      break;
    case '>':
      out_ += "&gt;";
      break;
    default:
      out_.push_back(c);
    }
  }

  std::size_t max_;
  std::size_t used_ = 0;
  std::size_t reserved_ = 0;
  bool stopped_ = false;
  std::string out_;
  std::vector<std::string_view> open_;
};

/// Builds "<name attr="v"...>" from the allowed attributes; nullopt when the element must go
/// (an image without an acceptable source).
std::optional<std::string> start_tag(const GumboNode& node) {
  const auto& el = node.v.element;
  const auto name = tag_name(node);
  std::string tag = "<";
  tag += name;
  bool has_src = false, has_href = false;
  for (unsigned i = 0; i < el.attributes.length; ++i) {
    const auto* attr = static_cast<const GumboAttribute*>(el.attributes.data[i]);
    const std::string_view an = attr->name;
    if (!attribute_allowed(el.tag, an))
      continue;
    std::string repaired;
    std::string_view value = well_formed(attr->value, repaired);
    std::optional<std::string> url;
    if (is_url_attribute(an)) {
      url = safe_url(value, an == "src");
      if (!url)
        continue;
      value = *url;
      (an == "src" ? has_src : has_href) = true;
    }
    if (value.size() > max_attribute_bytes)
      continue;
    tag += ' ';
    tag += an;
    tag += "=\"";
    append_attr_escaped(tag, value);
    tag += '"';
  }
  if (el.tag == GUMBO_TAG_IMG && !has_src)
    return std::nullopt;
  if (el.tag == GUMBO_TAG_A && has_href)
    tag += " rel=\"noopener noreferrer\"";
  tag += '>';
  return tag;
}

sanitized run(std::string_view html, const html_limits& lim, std::size_t max_chars) {
  sanitized result;
  const auto norm = normalize(html, lim);
  result.truncated = norm.cut;
  document doc(norm.html);
  if (doc.root() == nullptr)
    return result;

  writer w(max_chars);
  const std::size_t max_depth = lim.max_depth < 1 ? 1 : static_cast<std::size_t>(lim.max_depth);
  struct frame {
    const GumboNode* node;
    bool leaving;
    bool emitted;
  };
  std::vector<frame> stack{{doc.root(), false, false}};
  auto push_children = [&stack](const GumboVector& children) {
    for (unsigned i = children.length; i-- > 0;)
      stack.push_back({static_cast<const GumboNode*>(children.data[i]), false, false});
  };

  while (!stack.empty() && !w.stopped()) {
    const frame f = stack.back();
    stack.pop_back();
    if (f.leaving) {
      if (f.emitted)
        w.end();
      continue;
    }
    const GumboNode& node = *f.node;
    switch (node.type) {
    case GUMBO_NODE_DOCUMENT:
      push_children(node.v.document.children);
      break;
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_WHITESPACE:
    case GUMBO_NODE_CDATA: {
      std::string repaired;
      w.text(well_formed(node.v.text.text, repaired));
      break;
    }
    case GUMBO_NODE_COMMENT:
    case GUMBO_NODE_TEMPLATE:
      break;
    case GUMBO_NODE_ELEMENT: {
      const auto act = classify(node);
      if (act == action::drop)
        break;
      bool emitted = false;
      // Beyond max_depth elements are flattened: their tags go, their content stays.
      if (act == action::keep && w.depth() < max_depth) {
        const auto tag = start_tag(node);
        if (!tag)
          break;
        const bool is_void_el = is_void(node.v.element.tag);
        if (!w.start(tag_name(node), *tag, is_void_el))
          break;
        if (is_void_el)
          break;
        emitted = true;
      }
      stack.push_back({f.node, true, emitted});
      push_children(node.v.element.children);
      break;
    }
    }
  }
  if (w.stopped())
    result.truncated = true;
  result.html = w.finish();
  return result;
}

} // namespace

std::string sanitize(std::string_view html, const html_limits& lim) {
  try {
    return run(html, lim, writer::unlimited).html;
  } catch (...) {
    return {};
  }
}

sanitized sanitize(std::string_view html, const html_limits& lim, std::size_t max_chars) {
  try {
    return run(html, lim, max_chars);
  } catch (...) {
    return {std::string(), true};
  }
}

} // namespace imap_mcp::html
