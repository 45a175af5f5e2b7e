#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "protocol/pdf/isolated.hpp"
#include "protocol/pdf/pdf.hpp"
#include "tests/protocol/pdf/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::pdf;
using imap_mcp::pdf::test::build_pdf;
using imap_mcp::pdf::test::fixture;
using imap_mcp::pdf::test::scattered_text_content;
using imap_mcp::pdf::test::text_content;

namespace {

using clock_type = std::chrono::steady_clock;
using imap_mcp::pdf::test::descriptors_of;
using imap_mcp::pdf::test::seconds_since;

bool no_unreaped_children() {
  errno = 0;
  return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

} // namespace

TEST_CASE("isolated: same results as in-process extraction", "[pdf][isolated]") {
  const isolation_limits isolation;
  struct row {
    const char* file;
    pdf_limits limits;
  };
  pdf_limits three_pages;
  three_pages.max_pages = 3;
  pdf_limits nine_chars;
  nine_chars.max_chars = 9;
  const std::vector<row> rows = {
      {"invoice.pdf", {}},         {"multipage.pdf", {}},         {"latin1.pdf", {}},
      {"unicode.pdf", {}},         {"owner-only.pdf", {}},        {"multipage.pdf", three_pages},
      {"unicode.pdf", nine_chars}, {"multipage.pdf", nine_chars}, {"encrypted.pdf", {}},
      {"corrupt-garbage.pdf", {}}, {"corrupt-truncated.pdf", {}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.file, r.limits.max_pages, r.limits.max_chars);
    const std::string data = fixture(r.file);
    auto direct = extract_text(data, r.limits);
    auto isolated = extract_text_isolated(data, r.limits, isolation);
    REQUIRE(direct.ok() == isolated.ok());
    if (direct) {
      CHECK(isolated->text == direct->text);
      CHECK(isolated->pages_total == direct->pages_total);
      CHECK(isolated->pages_read == direct->pages_read);
      CHECK(isolated->truncated == direct->truncated);
    } else {
      CHECK(isolated.error().code == direct.error().code);
      CHECK(isolated.error().message == direct.error().message);
      CHECK(isolated.error().stage == "pdf");
    }
  }
}

TEST_CASE("isolated: input checks fail without starting a child", "[pdf][isolated]") {
  pdf_limits limits;
  limits.max_bytes = 10;
  auto big = extract_text_isolated(fixture("invoice.pdf"), limits, {});
  REQUIRE_FALSE(big);
  CHECK(big.error().message.rfind("PDF is ", 0) == 0);
  auto text = extract_text_isolated("plain text", {}, {});
  REQUIRE_FALSE(text);
  CHECK(text.error().message == "data is not a PDF (no %PDF- header)");
}

TEST_CASE("isolated: a page poppler would chew on for a minute is cut at the deadline",
          "[pdf][isolated][slow-page]") {
  // Page 2 takes poppler about 45 s in-process (measured), and extract_text cannot stop inside
  // a page. Isolated, the caller gets page 1 back at the deadline.
  const std::string data =
      build_pdf({text_content("Before the slow page"), scattered_text_content(1'000'000)});
  pdf_limits limits;
  limits.max_bytes = 10'000'000;
  limits.deadline_ms = 700;
  const auto start = clock_type::now();
  auto got = extract_text_isolated(data, limits, {});
  const double elapsed = seconds_since(start);
  REQUIRE(got);
  CHECK(got->text == "Before the slow page");
  CHECK(got->pages_total == 2);
  CHECK(got->pages_read == 1);
  CHECK(got->truncated);
  CHECK(elapsed < 3.0);
  CHECK(no_unreaped_children());
}

TEST_CASE("isolated: a deadline before the document is open is a retryable timeout",
          "[pdf][isolated]") {
  pdf_limits limits;
  limits.deadline_ms = 0;
  auto got = extract_text_isolated(fixture("invoice.pdf"), limits, {});
  REQUIRE_FALSE(got);
  CHECK(got.error().code == error_code::timeout);
  CHECK(got.error().retryable);
  CHECK(got.error().stage == "pdf");
  CHECK(got.error().message == "PDF extraction did not finish within 0 ms");
}

TEST_CASE("isolated: the memory cap ends a greedy child with a failure", "[pdf][isolated]") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("not checked: AddressSanitizer maps its heap up front, so RLIMIT_AS cannot cap it");
  return;
#endif
  // The cap is approximate (free memory inside the inherited heap comes on top of it), so the
  // page is one that needs far more: about 300 MB within its first seconds. Allow 32 MB.
  const std::string data = build_pdf({scattered_text_content(4'000'000)});
  pdf_limits limits;
  limits.max_bytes = 10'000'000;
  limits.deadline_ms = 30'000;
  isolation_limits isolation;
  isolation.max_memory_bytes = 32'000'000;
  const auto start = clock_type::now();
  auto got = extract_text_isolated(data, limits, isolation);
  const double elapsed = seconds_since(start);
  if (got)
    FAIL("unexpected success after " << elapsed << " s: " << got->pages_read << " of "
                                     << got->pages_total << " page(s), " << got->text.size()
                                     << " bytes, truncated=" << got->truncated);
  CHECK(got.error().code == error_code::internal);
  CHECK(got.error().stage == "pdf");
  CHECK(elapsed < 15.0);
  CHECK(no_unreaped_children());
}

TEST_CASE("isolated: hooks see progress from the child and can stop it", "[pdf][isolated]") {
  const std::string data = fixture("multipage.pdf");
  std::vector<int> opened;
  std::vector<std::pair<int, int>> pages;
  std::string streamed;
  pdf_hooks hooks;
  hooks.on_open = [&](int total) { opened.push_back(total); };
  hooks.on_page = [&](int done, int planned) { pages.emplace_back(done, planned); };
  hooks.on_text = [&](std::string_view text) { streamed += text; };
  auto all = extract_text_isolated(data, {}, {}, hooks);
  REQUIRE(all);
  CHECK(opened == std::vector<int>{5});
  CHECK(pages == std::vector<std::pair<int, int>>{{1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}});
  CHECK(streamed == all->text);

  hooks = {};
  hooks.stop_requested = [&] { return true; }; // polled when the first page arrives
  auto stopped = extract_text_isolated(data, {}, {}, hooks);
  REQUIRE(stopped);
  CHECK(stopped->truncated);
  CHECK(stopped->pages_read >= 1);
  CHECK(stopped->text.rfind("Page 1", 0) == 0);
  CHECK(no_unreaped_children());
}

TEST_CASE("isolated: no descriptor leaks, no zombies, stdout left alone", "[pdf][isolated]") {
  const std::string slow =
      build_pdf({text_content("Before the slow page"), scattered_text_content(300'000)});
  pdf_limits quick;
  quick.max_bytes = 10'000'000;
  quick.deadline_ms = 100;

  // The child must not flush a copy of our unwritten stdout buffer (MCP stdio would see a
  // message twice): park stdout on a file, leave one byte in its buffer, run children.
  std::fflush(stdout);
  FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  const int saved_stdout = ::dup(STDOUT_FILENO);
  ::dup2(::fileno(capture), STDOUT_FILENO);
  std::fputs("x", stdout);

  const std::size_t fds_before = descriptors_of();
  int successes = 0;
  for (int i = 0; i < 10; ++i) {
    successes += extract_text_isolated(fixture("invoice.pdf"), {}, {}) ? 1 : 0;
    successes += extract_text_isolated(slow, quick, {}) ? 1 : 0; // killed at the deadline
    successes += extract_text_isolated(fixture("encrypted.pdf"), {}, {}) ? 0 : 1;
  }
  const std::size_t fds_after = descriptors_of();

  std::fflush(stdout);
  ::dup2(saved_stdout, STDOUT_FILENO);
  ::close(saved_stdout);
  const off_t stdout_bytes = ::lseek(::fileno(capture), 0, SEEK_END);
  std::fclose(capture);

  CHECK(successes == 30);
  CHECK(fds_after == fds_before);
  CHECK(no_unreaped_children());
  CHECK(stdout_bytes == 1);
}
