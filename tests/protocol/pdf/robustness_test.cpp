#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "protocol/pdf/pdf.hpp"
#include "tests/protocol/pdf/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::pdf;
using imap_mcp::pdf::test::fixture;
using imap_mcp::pdf::test::is_normalized;

namespace {

/// Whatever the input: no crash, no exception, and either a failure that names the pdf stage
/// or a result that keeps every promise about its text and counts.
void check_any_input(const std::string& data) {
  pdf_limits limits;
  limits.max_chars = 2000;
  limits.deadline_ms = 5000;
  auto r = extract_text(data, limits);
  if (r) {
    CHECK(is_normalized(r->text));
    CHECK(r->pages_total >= 1);
    CHECK(r->pages_read >= 0);
    CHECK(r->pages_read <= r->pages_total);
  } else {
    CHECK(r.error().stage == "pdf");
    CHECK_FALSE(r.error().message.empty());
  }
}

} // namespace

TEST_CASE("truncations of valid PDFs never crash", "[pdf][robustness]") {
  int cases = 0;
  for (const char* name : {"invoice.pdf", "multipage.pdf", "latin1.pdf", "unicode.pdf"}) {
    const std::string data = fixture(name);
    // 60 evenly spaced cut points plus every cut in the last 40 bytes (xref and trailer).
    std::vector<std::size_t> cuts;
    for (std::size_t k = 0; k < 60; ++k)
      cuts.push_back(data.size() * k / 60);
    for (std::size_t k = 1; k <= 40 && k <= data.size(); ++k)
      cuts.push_back(data.size() - k);
    for (std::size_t cut : cuts) {
      CAPTURE(name, cut);
      check_any_input(data.substr(0, cut));
      ++cases;
    }
  }
  CHECK(cases == 400);
}

TEST_CASE("random bytes never crash, with or without a PDF header", "[pdf][robustness]") {
  std::mt19937 rng(20240117); // fixed seed: a failure is reproducible
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 4096);
  for (int i = 0; i < 200; ++i) {
    std::string data = i % 2 == 0 ? "%PDF-1.4\n" : "";
    std::size_t n = length(rng);
    for (std::size_t k = 0; k < n; ++k)
      data += static_cast<char>(byte(rng));
    CAPTURE(i, n);
    check_any_input(data);
  }
}

TEST_CASE("byte mutations of valid PDFs never crash", "[pdf][robustness]") {
  std::mt19937 rng(117);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> flips(1, 8);
  for (const char* name : {"invoice.pdf", "latin1.pdf", "unicode.pdf", "encrypted.pdf"}) {
    const std::string original = fixture(name);
    std::uniform_int_distribution<std::size_t> position(0, original.size() - 1);
    for (int i = 0; i < 75; ++i) {
      std::string data = original;
      int n = flips(rng);
      for (int k = 0; k < n; ++k)
        data[position(rng)] = static_cast<char>(byte(rng));
      CAPTURE(name, i);
      check_any_input(data);
    }
  }
}
