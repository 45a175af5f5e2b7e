#include "protocol/mime/prescan.hpp"

#include <cstring>
#include <vector>

#include "protocol/mime/text_util.hpp"

namespace imap_mcp::mime {

namespace {

/// Length of the field name when `line` starts like a header field vmime would read (name
/// without white space or ':', optional blanks, ':'); 0 otherwise.
std::size_t field_name_length(std::string_view line) {
  if (line.empty() || is_lwsp(line.front()))
    return 0;
  std::size_t i = 0;
  while (i < line.size() && line[i] != ':' && !is_lwsp(line[i]))
    ++i;
  const auto name_end = i;
  while (i < line.size() && is_wsp(line[i]))
    ++i;
  if (i >= line.size() || line[i] != ':')
    return 0;
  return name_end;
}

/// The boundary parameter of a Content-Type value, or empty when it cannot be read simply
/// (RFC 2231 encoded, missing: vmime then guesses one, which the scan treats as unknown).
std::string boundary_of(std::string_view value) {
  std::size_t from = 0;
  while (true) {
    std::size_t at = std::string_view::npos;
    for (std::size_t i = from; i + 8 <= value.size(); ++i) {
      if (istarts_with(value.substr(i), "boundary")) {
        at = i;
        break;
      }
    }
    if (at == std::string_view::npos)
      return {};
    std::size_t i = at + 8;
    while (i < value.size() && is_lwsp(value[i]))
      ++i;
    if (i >= value.size() || value[i] != '=') {
      from = at + 8;
      continue;
    }
    ++i;
    while (i < value.size() && is_lwsp(value[i]))
      ++i;
    std::string b;
    if (i < value.size() && value[i] == '"') {
      ++i;
      while (i < value.size() && value[i] != '"') {
        if (value[i] == '\\' && i + 1 < value.size())
          ++i;
        b.push_back(value[i++]);
      }
    } else {
      while (i < value.size() && value[i] != ';' && !is_lwsp(value[i]))
        b.push_back(value[i++]);
    }
    return b;
  }
}

bool contains_multipart(std::string_view value) {
  for (std::size_t i = 0; i + 9 <= value.size(); ++i)
    if (istarts_with(value.substr(i), "multipart"))
      return true;
  return false;
}

} // namespace

scan_result prescan(std::string_view raw, int max_depth, scan_budget& budget) {
  scan_result r;
  // Open multiparts, innermost last; an empty boundary is one the scan cannot match, so that
  // level only closes with an enclosing one.
  std::vector<std::string> open;
  std::size_t pos = 0;
  const char* const base = raw.data();
  bool in_field = false; // the previous line was a field or one of its continuations
  auto charge = [&budget](std::size_t bytes) {
    if (bytes > budget.header_bytes)
      return false;
    budget.header_bytes -= bytes;
    return true;
  };
  while (pos < raw.size()) {
    const void* nl = std::memchr(base + pos, '\n', raw.size() - pos);
    const std::size_t line_end =
        nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - base) : raw.size();
    const std::size_t next = nl ? line_end + 1 : raw.size();
    const std::string_view line = raw.substr(pos, line_end - pos);

    if (in_field && !line.empty() && is_wsp(line.front()) &&
        line.find_first_not_of(" \t\r") != std::string_view::npos) {
      // A continuation line: part of the field vmime will parse. (A blank line ends the
      // header block, for vmime too.)
      if (!charge(next - pos)) {
        r.cut = pos;
        return r;
      }
      pos = next;
      continue;
    }
    in_field = false;
    if (line.size() >= 2 && line[0] == '-' && line[1] == '-') {
      if (budget.boundary_lines == 0) {
        r.cut = pos;
        return r;
      }
      --budget.boundary_lines;
      for (std::size_t k = open.size(); k-- > 0;) {
        const auto& b = open[k];
        if (b.empty() || line.size() < 2 + b.size() || line.compare(2, b.size(), b) != 0)
          continue;
        // vmime accepts a delimiter only when CR, LF or '-' follows the boundary.
        const std::size_t after_at = 2 + b.size();
        const char after = after_at < line.size() ? line[after_at] : (nl ? '\n' : '\0');
        if (after != '\r' && after != '\n' && after != '-')
          continue;
        const bool closing = line.compare(after_at, 2, "--") == 0;
        open.resize(closing ? k : k + 1);
        break;
      }
    } else if (const auto name_len = field_name_length(line); name_len != 0) {
      if (budget.header_lines == 0 || !charge(next - pos)) {
        r.cut = pos;
        return r;
      }
      --budget.header_lines;
      in_field = true;
      if (name_len == 12 && istarts_with(line, "content-type")) {
        // Gather the folded value; continuation lines are scanned again as plain lines later,
        // which is harmless since they start with white space.
        std::string value(line.substr(line.find(':') + 1));
        std::size_t p = next;
        while (p < raw.size() && is_wsp(raw[p]) && value.size() < 16384) {
          const auto e = raw.find('\n', p);
          const auto stop = e == std::string_view::npos ? raw.size() : e;
          value.append(raw.substr(p, stop - p));
          p = e == std::string_view::npos ? raw.size() : e + 1;
        }
        if (contains_multipart(value)) {
          open.push_back(boundary_of(value));
          if (static_cast<int>(open.size()) > r.depth)
            r.depth = static_cast<int>(open.size());
          if (r.depth > max_depth) {
            r.too_deep = true;
            return r;
          }
        }
      }
    }
    pos = next;
  }
  return r;
}

} // namespace imap_mcp::mime
