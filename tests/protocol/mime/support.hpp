#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

// Test helpers for the MIME adapter: the committed .eml corpus and the generated large files.
namespace imap_mcp::mime::test {

/// tests/fixtures/messages, located by CMake at configure time.
inline std::filesystem::path fixture_dir() {
  return IMAP_MCP_MESSAGE_FIXTURE_DIR;
}

/// Whole file as bytes; throws (failing the test) when it is missing.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A committed fixture by file name, e.g. "nested-rfc822.eml".
inline std::string fixture(const std::string& name) {
  return read_file(fixture_dir() / name);
}

/// A file made by tests/fixtures/generate-large.sh (not committed), generated on first use
/// into the build tree and reused by later test processes.
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

/// Occurrences of `needle` in `hay`.
inline std::size_t count_of(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1))
    ++n;
  return n;
}

} // namespace imap_mcp::mime::test
