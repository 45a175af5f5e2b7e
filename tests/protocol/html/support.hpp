#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// Test helpers for the HTML adapter: fixtures and an independent check of sanitizer output.
namespace imap_mcp::html::test {

/// Whole file as bytes; throws (failing the test) when it is missing.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A committed message from tests/fixtures/messages.
inline std::string message_fixture(const std::string& name) {
  return read_file(std::filesystem::path(IMAP_MCP_MESSAGE_FIXTURE_DIR) / name);
}

/// A file made by tests/fixtures/generate-large.sh, generated on first use into the build tree.
inline std::string large_fixture(const std::string& name) {
  const std::filesystem::path dir = IMAP_MCP_LARGE_FIXTURE_DIR;
  const auto path = dir / name;
  if (!std::filesystem::exists(path)) {
    const std::string command = "bash '" IMAP_MCP_GENERATE_LARGE "' '" + dir.string() + "' " + name;
    if (std::system(command.c_str()) != 0)
      throw std::runtime_error("generate-large.sh failed: " + command);
  }
  return read_file(path);
}

/// ASCII lower-case copy, for case-insensitive "must not contain" checks.
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Structure of sanitizer output as checked by well_formed().
struct shape {
  bool ok = false;
  std::size_t max_depth = 0;
  std::size_t elements = 0;
  /// Names of all attributes seen, in order.
  std::vector<std::string> attributes;
  std::string problem;
};

/// Checks what the sanitizer promises, independently of gumbo: text never holds a raw '<' or
/// '>', tags are `<name attr="value">` with escaped values, and end tags close the innermost
/// open element (void elements have none).
inline shape well_formed(std::string_view s) {
  static const std::vector<std::string> voids = {"br", "hr", "img", "wbr", "col"};
  auto is_void = [](std::string_view n) {
    for (const auto& v : voids)
      if (v == n)
        return true;
    return false;
  };
  shape r;
  std::vector<std::string> open;
  std::size_t i = 0;
  auto fail = [&](std::string why) {
    r.problem = why + " at " + std::to_string(i);
    return r;
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == '>')
      return fail("raw '>' in text");
    if (c != '<') {
      ++i;
      continue;
    }
    const bool end = i + 1 < s.size() && s[i + 1] == '/';
    std::size_t p = i + (end ? 2 : 1);
    std::string name;
    while (p < s.size() && ((s[p] >= 'a' && s[p] <= 'z') || (s[p] >= '0' && s[p] <= '9')))
      name.push_back(s[p++]);
    if (name.empty())
      return fail("'<' without a tag name");
    if (end) {
      if (p >= s.size() || s[p] != '>')
        return fail("malformed end tag");
      if (open.empty() || open.back() != name)
        return fail("end tag </" + name + "> does not match");
      open.pop_back();
      i = p + 1;
      continue;
    }
    // attributes: ( ' ' name '="' value '"' )*
    while (p < s.size() && s[p] == ' ') {
      ++p;
      std::size_t a = p;
      while (p < s.size() && ((s[p] >= 'a' && s[p] <= 'z') || s[p] == '-'))
        ++p;
      if (p == a || p + 1 >= s.size() || s[p] != '=' || s[p + 1] != '"')
        return fail("malformed attribute");
      r.attributes.emplace_back(s.substr(a, p - a));
      p += 2;
      while (p < s.size() && s[p] != '"') {
        if (s[p] == '<' || s[p] == '>')
          return fail("unescaped '<' or '>' in attribute");
        ++p;
      }
      if (p >= s.size())
        return fail("unterminated attribute");
      ++p;
    }
    if (p >= s.size() || s[p] != '>')
      return fail("malformed start tag");
    ++r.elements;
    if (!is_void(name)) {
      open.push_back(name);
      if (open.size() > r.max_depth)
        r.max_depth = open.size();
    }
    i = p + 1;
  }
  if (!open.empty())
    return fail("unclosed <" + open.back() + ">");
  r.ok = true;
  return r;
}

} // namespace imap_mcp::html::test
