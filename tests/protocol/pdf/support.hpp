#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

// Test helpers for the PDF adapter: fixture access, the large-PDF generator, output invariants.
namespace imap_mcp::pdf::test {

/// The committed fixtures (tests/fixtures/pdf), located by CMake at configure time.
inline std::filesystem::path fixture_dir() {
  return IMAP_MCP_PDF_FIXTURE_DIR;
}

/// Whole file as bytes; throws (failing the test) when it is missing.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A committed fixture by file name, e.g. "invoice.pdf".
inline std::string fixture(const std::string& name) {
  return read_file(fixture_dir() / name);
}

/// Runs make-large.sh (the > 5 MB PDF is not committed) and returns the bytes of its output.
inline std::string make_large_pdf(int pages = 600) {
  auto out = std::filesystem::temp_directory_path() /
             ("imap-mcp-pdf-large-" + std::to_string(::getpid()) + ".pdf");
  std::string command = "bash '" + (fixture_dir() / "make-large.sh").string() + "' '" +
                        out.string() + "' " + std::to_string(pages);
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("make-large.sh failed: " + command);
  std::string bytes = read_file(out);
  std::filesystem::remove(out);
  return bytes;
}

/// The default large PDF (600 pages), generated once per test run.
inline const std::string& large_pdf() {
  static const std::string bytes = make_large_pdf();
  return bytes;
}

/// A well-formed PDF whose page N draws `page_contents[N]` (uncompressed; /F1 is Helvetica).
inline std::string build_pdf(const std::vector<std::string>& page_contents) {
  const std::size_t n = page_contents.size();
  std::vector<std::string> objects;
  std::string kids;
  for (std::size_t k = 0; k < n; ++k)
    kids += std::to_string(4 + 2 * k) + " 0 R ";
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("<< /Type /Pages /Kids [ " + kids + "] /Count " + std::to_string(n) + " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                    "/Encoding /WinAnsiEncoding >>");
  for (std::size_t k = 0; k < n; ++k) {
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents " +
                      std::to_string(5 + 2 * k) + " 0 R /Resources << /Font << /F1 3 0 R >> >> >>");
    objects.push_back("<< /Length " + std::to_string(page_contents[k].size()) + " >>\nstream\n" +
                      page_contents[k] + "\nendstream");
  }
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t off : offsets) {
    std::string digits = std::to_string(off);
    pdf += std::string(10 - digits.size(), '0') + digits + " 00000 n \n";
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

/// Content of a page that poppler needs minutes and gigabytes for: `bytes` worth of text strings
/// scattered over the page (1 MB: about 45 s and 100 MB on this project's machines).
inline std::string scattered_text_content(std::size_t bytes) {
  std::string content = "BT /F1 8 Tf\n";
  std::uint32_t seed = 117;
  while (content.size() < bytes) {
    seed = seed * 1103515245u + 12345u;
    const unsigned x = (seed >> 8) % 600;
    seed = seed * 1103515245u + 12345u;
    const unsigned y = (seed >> 8) % 790;
    content += "1 0 0 1 " + std::to_string(x) + " " + std::to_string(y) +
               " Tm (ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789) Tj\n";
  }
  return content + "ET";
}

/// Content of a page showing one line of (ASCII) text.
inline std::string text_content(const std::string& line) {
  return "BT /F1 14 Tf 72 720 Td (" + line + ") Tj ET";
}

/// Strict UTF-8 check: no overlong forms, no surrogates, nothing above U+10FFFF.
inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80           ? 1
                      : (b >> 5) == 0x6  ? 2
                      : (b >> 4) == 0xE  ? 3
                      : (b >> 3) == 0x1E ? 4
                                         : 0;
    if (len == 0 || i + len > s.size())
      return false;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

/// What every successful extraction promises about its text, whatever the input.
inline bool is_normalized(std::string_view s) {
  if (!is_valid_utf8(s))
    return false;
  for (char c : s)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7F)
      return false;
  return s.find("  ") == std::string_view::npos && s.find("\n\n\n") == std::string_view::npos &&
         s.find(" \n") == std::string_view::npos && s.find("\n ") == std::string_view::npos &&
         (s.empty() ||
          (s.front() != '\n' && s.front() != ' ' && s.back() != '\n' && s.back() != ' '));
}

/// Seconds elapsed since `start` (steady clock).
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Open descriptors of a process ("self" or a pid), from /proc/<pid>/fd.
inline std::size_t descriptors_of(const std::string& pid = "self") {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/" + pid + "/fd"))
    ++n;
  return n;
}

} // namespace imap_mcp::pdf::test
