#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include "protocol/pdf/pdf.hpp"
#include "protocol/pdf/text.hpp"
#include "tests/protocol/pdf/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::pdf;
using imap_mcp::pdf::test::fixture;
using imap_mcp::pdf::test::is_normalized;
using imap_mcp::pdf::test::large_pdf;

namespace {

const std::string invoice_text = "ACME Supplies Ltd\n"
                                 "Invoice 2024-117 total 1,234.56 EUR\n"
                                 "Payable within 30 days\n"
                                 "\n"
                                 "Widgets, 3 pcs 1,234.56";
const std::string multipage_text = "Page 1\n\nPage 2\n\nPage 3\n\nPage 4\n\nPage 5";
// "Grüße aus Köln", "Straße à la crème, 12 × 3" (the € of the source has no glyph in Latin-1).
const std::string latin1_text = "Gr\xC3\xBC\xC3\x9F"
                                "e aus K\xC3\xB6ln\n"
                                "Stra\xC3\x9F"
                                "e \xC3\xA0 la cr\xC3\xA8me, 12 \xC3\x97 3";
// "Привет 日本語 😀": 2-, 3- and 4-byte UTF-8 sequences.
const std::string unicode_line = "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 "
                                 "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80";
const std::string unicode_text = unicode_line + "\n\nUnicode fixture";

pdf_text extract_ok(const std::string& data, const pdf_limits& limits = {}) {
  auto r = extract_text(data, limits);
  if (!r)
    FAIL("extraction failed: " << r.error().full_message());
  return std::move(r.value());
}

} // namespace

TEST_CASE("fixtures: exact text and page counts", "[pdf]") {
  struct row {
    const char* file;
    std::string text;
    int pages;
  };
  const std::vector<row> rows = {
      {"invoice.pdf", invoice_text, 1},
      {"multipage.pdf", multipage_text, 5},
      {"latin1.pdf", latin1_text, 1},
      {"unicode.pdf", unicode_text, 1},
      {"owner-only.pdf", "Confidential payroll 2024", 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.file);
    auto got = extract_ok(fixture(r.file));
    CHECK(got.text == r.text);
    CHECK(got.pages_total == r.pages);
    CHECK(got.pages_read == r.pages);
    CHECK_FALSE(got.truncated);
    CHECK(is_normalized(got.text));
  }
}

TEST_CASE("the invoice line a user searches for is found verbatim", "[pdf]") {
  auto got = extract_ok(fixture("invoice.pdf"));
  CHECK(got.text.find("Invoice 2024-117 total 1,234.56 EUR") != std::string::npos);
  // Two columns of one table row stay on one line.
  CHECK(got.text.find("Widgets, 3 pcs 1,234.56") != std::string::npos);
}

TEST_CASE("an encrypted PDF is a clear failure, not a crash", "[pdf]") {
  auto r = extract_text(fixture("encrypted.pdf"), {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == error_code::invalid_input);
  CHECK(r.error().stage == "pdf");
  CHECK(r.error().message == "PDF is encrypted");
  CHECK_FALSE(r.error().retryable);
}

TEST_CASE("data that is not a PDF or is damaged fails with stage pdf", "[pdf]") {
  const std::string not_pdf = "data is not a PDF (no %PDF- header)";
  const std::string damaged = "PDF is damaged and cannot be read";
  const std::string no_pages = "PDF has no readable pages";
  struct row {
    const char* name;
    std::string data;
    std::vector<std::string> accepted_messages;
  };
  const std::vector<row> rows = {
      {"empty", "", {not_pdf}},
      {"plain text", "Invoice 2024-117 total 1,234.56 EUR\n", {not_pdf}},
      {"html", "<html><body>%PDF-</body></html>" + std::string(2000, ' '), {damaged, no_pages}},
      {"header after the first KiB", std::string(1025, ' ') + fixture("invoice.pdf"), {not_pdf}},
      {"truncated fixture", fixture("corrupt-truncated.pdf"), {damaged, no_pages}},
      {"garbage fixture", fixture("corrupt-garbage.pdf"), {damaged, no_pages}},
      {"header only", "%PDF-1.7\n", {damaged, no_pages}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    auto got = extract_text(r.data, {});
    REQUIRE_FALSE(got);
    CHECK(got.error().stage == "pdf");
    CHECK(got.error().code == error_code::invalid_input);
    CHECK_THAT(r.accepted_messages, Catch::Matchers::VectorContains(got.error().message));
  }
}

TEST_CASE("junk before the header within the first KiB is tolerated", "[pdf]") {
  auto got = extract_ok("X-Junk: from a mail gateway\r\n" + fixture("invoice.pdf"));
  CHECK(got.text == invoice_text);
}

TEST_CASE("max_bytes: below, at and above the size of the document", "[pdf][limits]") {
  const std::string data = fixture("invoice.pdf");
  const std::size_t size = data.size();
  pdf_limits limits;

  limits.max_bytes = size - 1;
  auto refused = extract_text(data, limits);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == error_code::invalid_input);
  CHECK(refused.error().stage == "pdf");
  CHECK(refused.error().message ==
        "PDF is " + std::to_string(size) + " bytes; the limit is " + std::to_string(size - 1));

  limits.max_bytes = size;
  CHECK(extract_ok(data, limits).text == invoice_text);
  limits.max_bytes = size + 1;
  CHECK(extract_ok(data, limits).text == invoice_text);
}

TEST_CASE("max_pages stops after that many pages", "[pdf][limits]") {
  const std::string data = fixture("multipage.pdf");
  struct row {
    int max_pages;
    int read;
    bool truncated;
    std::string text;
  };
  const std::vector<row> rows = {
      {0, 0, true, ""},
      {1, 1, true, "Page 1"},
      {3, 3, true, "Page 1\n\nPage 2\n\nPage 3"},
      {4, 4, true, "Page 1\n\nPage 2\n\nPage 3\n\nPage 4"},
      {5, 5, false, multipage_text},
      {6, 5, false, multipage_text},
  };
  for (const auto& r : rows) {
    CAPTURE(r.max_pages);
    pdf_limits limits;
    limits.max_pages = r.max_pages;
    auto got = extract_ok(data, limits);
    CHECK(got.pages_total == 5);
    CHECK(got.pages_read == r.read);
    CHECK(got.truncated == r.truncated);
    CHECK(got.text == r.text);
  }
}

TEST_CASE("max_chars cuts on code point boundaries of multibyte text", "[pdf][limits]") {
  const std::string data = fixture("unicode.pdf");
  const std::size_t full = count_code_points(unicode_text);
  struct row {
    std::size_t max_chars;
    std::string text;
    bool truncated;
  };
  const std::vector<row> rows = {
      {0, "", true},
      {1, "\xD0\x9F", true},                                         // П (2 bytes)
      {6, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", true}, // Привет
      {7, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", true}, // the cut space is trimmed
      {8, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xE6\x97\xA5",
       true}, // ... 日 (3 bytes)
      {11, unicode_line.substr(0, unicode_line.size() - 5), true},
      {12, unicode_line, true}, // ... 😀 (4 bytes) complete
      {full - 1, unicode_line + "\n\nUnicode fixtur", true},
      {full, unicode_text, false},
      {full + 1, unicode_text, false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.max_chars);
    pdf_limits limits;
    limits.max_chars = r.max_chars;
    auto got = extract_ok(data, limits);
    CHECK(got.text == r.text);
    CHECK(got.truncated == r.truncated);
  }
  // Every cut in between: valid UTF-8, within the bound, a prefix of the full text.
  for (std::size_t max = 0; max <= full + 1; ++max) {
    CAPTURE(max);
    pdf_limits limits;
    limits.max_chars = max;
    auto got = extract_ok(data, limits);
    CHECK(is_normalized(got.text));
    CHECK(count_code_points(got.text) <= max);
    CHECK(unicode_text.compare(0, got.text.size(), got.text) == 0);
    CHECK(got.truncated == (max < full));
  }
}

TEST_CASE("max_chars across pages: the separator counts, a dangling one is dropped",
          "[pdf][limits]") {
  const std::string data = fixture("multipage.pdf");
  struct row {
    std::size_t max_chars;
    std::string text;
    int read;
  };
  const std::vector<row> rows = {
      {6, "Page 1", 1},
      {7, "Page 1", 1},
      {8, "Page 1", 1},
      {9, "Page 1\n\nP", 2},
      {14, "Page 1\n\nPage 2", 2},
  };
  for (const auto& r : rows) {
    CAPTURE(r.max_chars);
    pdf_limits limits;
    limits.max_chars = r.max_chars;
    auto got = extract_ok(data, limits);
    CHECK(got.text == r.text);
    CHECK(got.pages_read == r.read);
    CHECK(got.truncated);
    CHECK(got.pages_total == 5);
  }
}

TEST_CASE("an expired deadline returns the text so far, not a failure", "[pdf][limits]") {
  pdf_limits limits;
  limits.deadline_ms = 0;
  auto got = extract_ok(fixture("multipage.pdf"), limits);
  CHECK(got.pages_total == 5);
  CHECK(got.pages_read == 0);
  CHECK(got.truncated);
  CHECK(got.text.empty());
}

TEST_CASE("more than 5 MB is refused by default and readable with a higher limit", "[pdf][large]") {
  const std::string& data = large_pdf();
  REQUIRE(data.size() > 5'500'000);

  auto refused = extract_text(data, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "PDF is " + std::to_string(data.size()) + " bytes; the limit is 5000000");
  CHECK(refused.error().stage == "pdf");

  pdf_limits limits;
  limits.max_bytes = 10'000'000;
  auto got = extract_ok(data, limits);
  CHECK(got.pages_total == 600);
  CHECK(got.pages_read == 500); // the default page limit
  CHECK(got.truncated);
  CHECK(got.text.rfind("Large page 1 of 600\n\nLarge page 2 of 600\n\n", 0) == 0);
  CHECK(got.text.size() >= 20);
  CHECK(got.text.substr(got.text.size() - 21) == "Large page 500 of 600");
}

TEST_CASE("a short deadline stops a long document between pages", "[pdf][large]") {
  pdf_limits limits;
  limits.max_bytes = 10'000'000;
  limits.max_pages = 1000;
  limits.deadline_ms = 1;
  auto got = extract_ok(large_pdf(), limits);
  CHECK(got.pages_total == 600);
  CHECK(got.pages_read < 600);
  CHECK(got.truncated);
  CHECK(is_normalized(got.text));

  limits.deadline_ms = 60'000;
  auto all = extract_ok(large_pdf(), limits);
  CHECK(all.pages_read == 600);
  CHECK_FALSE(all.truncated);
}

TEST_CASE("hooks report progress per page and can stop the extraction", "[pdf]") {
  const std::string data = fixture("multipage.pdf");
  std::vector<std::pair<int, int>> seen;
  pdf_hooks hooks;
  hooks.on_page = [&](int done, int planned) { seen.emplace_back(done, planned); };
  auto all = extract_text(data, {}, hooks);
  REQUIRE(all);
  CHECK(seen == std::vector<std::pair<int, int>>{{1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}});

  seen.clear();
  pdf_limits limits;
  limits.max_pages = 3;
  REQUIRE(extract_text(data, limits, hooks));
  CHECK(seen == std::vector<std::pair<int, int>>{{1, 3}, {2, 3}, {3, 3}});

  hooks.on_page = {};
  int polls = 0;
  hooks.stop_requested = [&] { return ++polls > 2; };
  auto stopped = extract_text(data, {}, hooks);
  REQUIRE(stopped);
  CHECK(stopped->pages_read == 2);
  CHECK(stopped->truncated);
  CHECK(stopped->text == "Page 1\n\nPage 2");
}

TEST_CASE("a throwing hook becomes a failure, not an exception", "[pdf]") {
  pdf_hooks hooks;
  hooks.on_page = [](int, int) { throw std::runtime_error("observer broke"); };
  auto r = extract_text(fixture("invoice.pdf"), {}, hooks);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == error_code::internal);
  CHECK(r.error().stage == "pdf");
}

TEST_CASE("concurrent extractions on separate threads give the same text", "[pdf][threads]") {
  const std::vector<std::pair<std::string, std::string>> docs = {
      {fixture("invoice.pdf"), invoice_text},
      {fixture("multipage.pdf"), multipage_text},
      {fixture("latin1.pdf"), latin1_text},
      {fixture("unicode.pdf"), unicode_text},
  };
  std::atomic<int> mismatches{0};
  std::atomic<int> runs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const auto& [data, expected] = docs[static_cast<std::size_t>(t + i) % docs.size()];
        auto r = extract_text(data, {});
        if (!r || r->text != expected)
          ++mismatches;
        ++runs;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  CHECK(runs == 160);
  CHECK(mismatches == 0);
}

TEST_CASE("poppler's complaints about damaged files never reach stderr", "[pdf]") {
  // stderr is the server log: attacker-controlled parser chatter must not flood it.
  std::fflush(stderr);
  FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  const int saved = ::dup(STDERR_FILENO);
  REQUIRE(saved >= 0);
  ::dup2(::fileno(capture), STDERR_FILENO);
  int failures = 0;
  for (const char* name : {"corrupt-garbage.pdf", "corrupt-truncated.pdf", "encrypted.pdf"})
    failures += extract_text(fixture(name), {}) ? 0 : 1;
  std::string damaged = fixture("invoice.pdf");
  damaged.resize(damaged.size() - 200); // lost xref: poppler reconstructs it and complains
  failures += extract_text(damaged, {}) ? 0 : 1;
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  const off_t written = ::lseek(::fileno(capture), 0, SEEK_END);
  std::fclose(capture);
  CHECK(failures >= 3);
  CHECK(written == 0);
}
