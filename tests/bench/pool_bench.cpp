// pool_bench: throughput of the MIME PARSER POOL's and PDF EXTRACTOR POOL's work with 1 and 2
// workers. Each worker is a thread running the same pure functions the pool actors run
// (mime::parse_message + render_body, pdf::extract_text_isolated), over the fixture corpora,
// for a fixed time. PDF runs twice: readers forked by the zygote (one channel per worker, as
// the server does) and readers forked directly from this process (the fallback). Prints one
// JSON line per (pool, workers), with the mean wall time per document.
//
//   pool_bench <fixtures-dir> [seconds-per-run]

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "protocol/mime/mime.hpp"
#include "protocol/pdf/isolated.hpp"
#include "protocol/pdf/pdf.hpp"
#include "protocol/pdf/zygote.hpp"

namespace fs = std::filesystem;
using namespace imap_mcp;

namespace {

std::vector<std::string> load(const fs::path& dir, const std::string& ext) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ext) continue;
    if (e.path().filename().string().find("corrupt") != std::string::npos) continue;
    if (e.path().filename().string().find("encrypted") != std::string::npos) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

/// Runs `work(document, worker index)` on `workers` threads for `seconds`.
template <class Work>
void run(const char* pool, const std::vector<std::string>& docs, int workers, double seconds, Work work) {
  std::atomic<long long> done{0}, bytes{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int w = 0; w < workers; ++w)
    threads.emplace_back([&, w] {
      std::size_t i = static_cast<std::size_t>(w);
      while (!stop.load()) {
        const auto& d = docs[i++ % docs.size()];
        work(d, w);
        done++;
        bytes += static_cast<long long>(d.size());
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"pool\":\"%s\",\"workers\":%d,\"docs_per_s\":%.1f,\"mb_per_s\":%.2f,\"docs\":%lld,"
              "\"ms_per_doc_per_worker\":%.3f}\n",
              pool, workers, done / elapsed, bytes / elapsed / 1e6, done.load(),
              done > 0 ? elapsed * 1e3 * workers / static_cast<double>(done) : 0.0);
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pool_bench <fixtures-dir> [seconds]\n");
    return 2;
  }
  // Forked first, while this process has one thread (as the server does in main).
  auto zygote = pdf::zygote::start();
  if (!zygote) {
    std::fprintf(stderr, "pool_bench: %s\n", zygote.error().message.c_str());
    return 1;
  }
  std::vector<pdf::zygote_channel*> channels;
  for (int w = 0; w < 2; ++w) {
    auto channel = (*zygote)->open_channel();
    if (!channel) {
      std::fprintf(stderr, "pool_bench: %s\n", channel.error().message.c_str());
      return 1;
    }
    channels.push_back(*channel);
  }
  const fs::path fixtures = argv[1];
  const double seconds = argc > 2 ? std::stod(argv[2]) : 3.0;
  auto messages = load(fixtures / "messages", ".eml");
  auto pdfs = load(fixtures / "pdf", ".pdf");
  for (int workers : {1, 2}) {
    run("mime", messages, workers, seconds, [](const std::string& raw, int) {
      auto parsed = mime::parse_message(raw);
      if (!parsed) return;
      std::vector<mime::part> text;
      for (const auto& p : parsed->parts)
        if (!p.is_attachment) text.push_back(p);
      mime::render_options opts;
      opts.include_html = true;
      (void)mime::render_body(text, opts);
    });
  }
  for (int workers : {1, 2}) {
    run("pdf-zygote", pdfs, workers, seconds, [&](const std::string& data, int w) {
      (void)pdf::extract_text_isolated(data, pdf::pdf_limits{}, pdf::isolation_limits{}, {},
                                       channels[static_cast<std::size_t>(w)]);
    });
  }
  for (int workers : {1, 2}) {
    run("pdf-direct-fork", pdfs, workers, seconds, [](const std::string& data, int) {
      (void)pdf::extract_text_isolated(data, pdf::pdf_limits{}, pdf::isolation_limits{});
    });
  }
  for (int workers : {1, 2}) {
    run("pdf-in-process", pdfs, workers, seconds, [](const std::string& data, int) {
      (void)pdf::extract_text(data, pdf::pdf_limits{});
    });
  }
  return 0;
}
