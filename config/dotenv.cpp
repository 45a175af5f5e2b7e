// .env parsing and the merge of the real environment with it.
//
// Failures name the source and the line number but never quote the line: a .env file
// usually holds passwords, and a malformed line may be one.

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include <openssl/crypto.h>

#include "config/settings.hpp"

namespace imap_mcp {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back()))
    s.remove_suffix(1);
  return s;
}

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

/// Builds the failure for one line; `what` must never contain text of the line.
failure line_failure(const std::string& source, std::size_t line_no, const std::string& what) {
  return make_failure(error_code::invalid_input,
                      source + ": line " + std::to_string(line_no) + ": " + what, "config");
}

/// Everything after a closing quote may only be blanks and an optional `#` comment.
bool only_trailing_comment(std::string_view rest) {
  rest = trim(rest);
  return rest.empty() || rest.front() == '#';
}

/// Parses the value part of a line (after `=`); false with `error` set on bad syntax.
bool parse_value(std::string_view raw, std::string& out, std::string& error) {
  const bool blank_before = !raw.empty() && is_blank(raw.front());
  while (!raw.empty() && is_blank(raw.front()))
    raw.remove_prefix(1);
  if (raw.empty()) {
    out.clear();
    return true;
  }
  if (raw.front() == '\'') {
    // Single quotes: literal up to the next single quote, no escapes.
    auto close = raw.find('\'', 1);
    if (close == std::string_view::npos) {
      error = "unterminated single-quoted value";
      return false;
    }
    out.assign(raw.substr(1, close - 1));
    if (!only_trailing_comment(raw.substr(close + 1))) {
      error = "unexpected text after the closing quote";
      return false;
    }
    return true;
  }
  if (raw.front() == '"') {
    out.clear();
    for (std::size_t i = 1; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '"') {
        if (!only_trailing_comment(raw.substr(i + 1))) {
          error = "unexpected text after the closing quote";
          return false;
        }
        return true;
      }
      if (c == '\\' && i + 1 < raw.size()) {
        char n = raw[++i];
        switch (n) {
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        default:
          // Unknown escapes stay as written, so Windows paths and regexes survive.
          out.push_back('\\');
          out.push_back(n);
        }
        continue;
      }
      out.push_back(c);
    }
    error = "unterminated double-quoted value";
    return false;
  }
  // Unquoted: an inline comment starts at a `#` preceded by a blank; `a#b` and `=#b`
  // stay whole, `= #b` is an empty value.
  if (raw.front() == '#' && blank_before) {
    out.clear();
    return true;
  }
  std::size_t end = raw.size();
  for (std::size_t i = 1; i < raw.size(); ++i) {
    if (raw[i] == '#' && is_blank(raw[i - 1])) {
      end = i;
      break;
    }
  }
  out.assign(trim(raw.substr(0, end)));
  return true;
}

} // namespace

result<env_map> parse_dotenv(const std::string& text, const std::string& source_name) {
  env_map out;
  std::string_view rest{text};
  // A UTF-8 byte order mark from Windows editors is not part of the first name.
  if (rest.substr(0, 3) == "\xEF\xBB\xBF")
    rest.remove_prefix(3);
  std::size_t line_no = 0;
  while (!rest.empty()) {
    ++line_no;
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);

    line = trim(line);
    if (line.empty() || line.front() == '#')
      continue;
    if (line.substr(0, 6) == "export" && line.size() > 6 && is_blank(line[6]))
      line = trim(line.substr(7));

    std::size_t name_end = 0;
    if (line.empty() || !is_name_start(line[0]))
      return line_failure(source_name, line_no,
                          "expected NAME=VALUE with a name of letters, digits and _");
    while (name_end < line.size() && is_name_char(line[name_end]))
      ++name_end;
    std::string name{line.substr(0, name_end)};
    std::string_view after = trim(line.substr(name_end));
    if (after.empty() || after.front() != '=')
      return line_failure(source_name, line_no, "expected NAME=VALUE");

    std::string value, error;
    if (!parse_value(after.substr(1), value, error))
      return line_failure(source_name, line_no, error + " for " + name);
    // Later lines win, as with shell `source`.
    out[name] = std::move(value);
  }
  return out;
}

result<env_map> parse_dotenv(const std::string& text) {
  return parse_dotenv(text, ".env");
}

result<env_map> read_environment(char** envp, const std::string& dotenv_path) {
  env_map env;
  for (char** p = envp; p != nullptr && *p != nullptr; ++p) {
    const char* entry = *p;
    const char* eq = std::strchr(entry, '=');
    if (eq == nullptr || eq == entry)
      continue;
    env.emplace(std::string(entry, eq), std::string(eq + 1));
  }
  if (dotenv_path.empty())
    return env;

  std::error_code ec;
  auto st = std::filesystem::status(dotenv_path, ec);
  if (st.type() == std::filesystem::file_type::not_found)
    return env;
  if (ec || !std::filesystem::is_regular_file(st))
    return make_failure(error_code::invalid_input, dotenv_path + ": not a readable file", "config");
  auto size = std::filesystem::file_size(dotenv_path, ec);
  std::ifstream in{dotenv_path, std::ios::binary};
  if (ec || !in)
    return make_failure(error_code::invalid_input, dotenv_path + ": cannot be read", "config");
  // Read straight into one buffer we can wipe: the raw text holds passwords.
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto parsed = parse_dotenv(text, dotenv_path);
  OPENSSL_cleanse(text.data(), text.size());
  if (!parsed)
    return parsed.error();
  for (auto& [name, value] : *parsed)
    env.emplace(name, value); // emplace: real env wins
  return env;
}

} // namespace imap_mcp
