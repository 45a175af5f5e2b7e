#include "protocol/imap/sequence_set.hpp"

#include <algorithm>
#include <charconv>

namespace imap_mcp::imap {

sequence_set sequence_set::from_numbers(std::span<const std::uint32_t> numbers) {
  std::vector<std::uint32_t> sorted(numbers.begin(), numbers.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  sequence_set out;
  std::size_t i = sorted.empty() || sorted[0] != 0 ? 0 : 1;
  while (i < sorted.size()) {
    std::size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1)
      ++j;
    if (!out.text_.empty())
      out.text_.push_back(',');
    out.text_ += std::to_string(sorted[i]);
    if (j > i) {
      out.text_.push_back(':');
      out.text_ += std::to_string(sorted[j]);
    }
    i = j + 1;
  }
  return out;
}

sequence_set sequence_set::range(std::uint32_t first, std::optional<std::uint32_t> last) {
  sequence_set out;
  if (first == 0 || (last && *last == 0))
    return out;
  out.text_ = std::to_string(first);
  if (!last) {
    out.text_ += ":*";
  } else if (*last != first) {
    out.text_.push_back(':');
    out.text_ += std::to_string(*last);
  }
  return out;
}

namespace {

bool parse_nz(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s[0] == '0')
    return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

} // namespace

result<std::vector<std::uint32_t>> decode_sequence_set(std::string_view text,
                                                       std::size_t max_count) {
  auto bad = [](std::string what) {
    return make_failure(error_code::invalid_input, "malformed sequence set: " + what);
  };
  std::vector<std::uint32_t> out;
  if (text.empty())
    return bad("empty");
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos)
      comma = text.size();
    std::string_view item = text.substr(pos, comma - pos);
    std::size_t colon = item.find(':');
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    if (colon == std::string_view::npos) {
      if (!parse_nz(item, a))
        return bad("bad number");
      b = a;
    } else if (!parse_nz(item.substr(0, colon), a) || !parse_nz(item.substr(colon + 1), b)) {
      return bad("bad range");
    }
    std::uint64_t n = (a <= b ? std::uint64_t(b) - a : std::uint64_t(a) - b) + 1;
    if (n > max_count || out.size() + n > max_count)
      return bad("more than " + std::to_string(max_count) + " numbers");
    if (a <= b) {
      for (std::uint64_t v = a; v <= b; ++v)
        out.push_back(static_cast<std::uint32_t>(v));
    } else {
      for (std::uint64_t v = a; v >= b; --v)
        out.push_back(static_cast<std::uint32_t>(v));
    }
    pos = comma + 1;
  }
  return out;
}

} // namespace imap_mcp::imap
