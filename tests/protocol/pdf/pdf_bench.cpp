// Throughput of pdf::extract_text: documents/s and MB/s per file, single thread.
//
//   pdf_bench [--seconds S] [--large] [--isolated] [file.pdf ...]
//
// --isolated measures extract_text_isolated (one forked child per document) instead.
// Without files it measures every committed fixture; --large adds a > 5 MB PDF made by
// make-large.sh (600 pages; read with max_bytes raised to 10 MB, other limits at their defaults).
// Failing inputs (encrypted, corrupt) are measured too: refusing fast matters as well.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/pdf/isolated.hpp"
#include "protocol/pdf/pdf.hpp"
#include "tests/protocol/pdf/support.hpp"

namespace {

struct input {
  std::string name;
  std::string bytes;
};

} // namespace

int main(int argc, char** argv) {
  using namespace imap_mcp;
  using clock = std::chrono::steady_clock;
  double seconds = 1.0;
  bool large = false;
  bool isolated = false;
  std::vector<input> inputs;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--seconds" && i + 1 < argc)
        seconds = std::atof(argv[++i]);
      else if (arg == "--large")
        large = true;
      else if (arg == "--isolated")
        isolated = true;
      else if (arg == "--help" || arg == "-h") {
        std::printf("usage: pdf_bench [--seconds S] [--large] [--isolated] [file.pdf ...]\n");
        return 0;
      } else
        inputs.push_back(
            {std::filesystem::path(arg).filename().string(), pdf::test::read_file(arg)});
    }
    if (inputs.empty()) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(pdf::test::fixture_dir()))
        if (entry.path().extension() == ".pdf")
          files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files)
        inputs.push_back({f.filename().string(), pdf::test::read_file(f)});
    }
    if (large)
      inputs.push_back({"large (make-large.sh)", pdf::test::make_large_pdf()});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pdf_bench: %s\n", e.what());
    return 1;
  }

  pdf::pdf_limits limits;
  limits.max_bytes = 10'000'000;
  std::printf("mode: %s\n", isolated ? "isolated (forked child per document)" : "in-process");
  std::printf("%-24s %10s %8s %10s %10s %8s  %s\n", "file", "bytes", "runs", "docs/s", "MB/s",
              "pages", "outcome");
  double total_docs = 0, total_bytes = 0, total_time = 0;
  for (const auto& in : inputs) {
    long runs = 0;
    std::string outcome;
    int pages = 0;
    const auto start = clock::now();
    std::chrono::duration<double> elapsed{};
    do {
      auto r = isolated ? pdf::extract_text_isolated(in.bytes, limits, {})
                        : pdf::extract_text(in.bytes, limits);
      if (runs == 0) {
        outcome = r ? (r->truncated ? "ok (truncated)" : "ok") : "failure: " + r.error().message;
        pages = r ? r->pages_read : 0;
      }
      ++runs;
      elapsed = clock::now() - start;
    } while (elapsed.count() < seconds || runs < 3);
    const double t = elapsed.count();
    std::printf("%-24s %10zu %8ld %10.1f %10.2f %8d  %s\n", in.name.c_str(), in.bytes.size(), runs,
                runs / t, runs * static_cast<double>(in.bytes.size()) / t / 1e6, pages,
                outcome.c_str());
    total_docs += static_cast<double>(runs);
    total_bytes += static_cast<double>(runs) * static_cast<double>(in.bytes.size());
    total_time += t;
  }
  if (total_time > 0)
    std::printf("%-24s %10s %8.0f %10.1f %10.2f\n", "all", "", total_docs, total_docs / total_time,
                total_bytes / total_time / 1e6);
  return 0;
}
