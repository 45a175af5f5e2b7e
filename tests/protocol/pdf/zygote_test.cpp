#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol/pdf/isolated.hpp"
#include "protocol/pdf/pdf.hpp"
#include "protocol/pdf/zygote.hpp"
#include "tests/protocol/pdf/support.hpp"

using namespace imap_mcp;
using namespace imap_mcp::pdf;
using imap_mcp::pdf::test::build_pdf;
using imap_mcp::pdf::test::fixture;
using imap_mcp::pdf::test::scattered_text_content;
using imap_mcp::pdf::test::text_content;

namespace {

using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;
using imap_mcp::pdf::test::descriptors_of;
using imap_mcp::pdf::test::seconds_since;

/// Pids of the live or zombie children of `parent`, from /proc/<pid>/stat.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos)
      continue;
    std::istringstream fields(stat.substr(paren + 1));
    char state = 0;
    long ppid = 0;
    fields >> state >> ppid;
    if (ppid == parent)
      out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

/// False once `pid` has ended (gone, or a zombie waiting for whoever adopted it).
bool is_running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z' &&
         stat[paren + 2] != 'X';
}

/// Whether process `pid` holds a pipe: a reader writes its frames to one; a spare (a reader
/// forked in advance, still waiting for its document) holds only its socket.
bool holds_pipe(pid_t pid) {
  std::error_code ec;
  for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code link_ec;
    if (fs::read_symlink(it->path(), link_ec).string().rfind("pipe:", 0) == 0)
      return true;
  }
  return false;
}

/// The zygote's children that are reading a document (live, holding their frame pipe).
std::vector<pid_t> readers_of(pid_t zygote_pid) {
  std::vector<pid_t> out;
  for (pid_t child : children_of(zygote_pid))
    if (is_running(child) && holds_pipe(child))
      out.push_back(child);
  return out;
}

/// Whether `pid` is asleep (state S): a spare done with its warm-up waits for its document.
bool is_sleeping(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'S';
}

/// The zygote's children once it has settled (waits up to 10 s): exactly one spare per lane,
/// done with its warm-up (asleep in three samples 10 ms apart), every reader gone and reaped.
/// Empty if it does not settle.
std::vector<pid_t> settled_spares(pid_t zygote_pid, std::size_t lanes) {
  int asleep = 0;
  for (int i = 0; i < 1000; ++i) {
    auto children = children_of(zygote_pid);
    const bool spares_only =
        children.size() == lanes && std::all_of(children.begin(), children.end(), [](pid_t c) {
          return is_running(c) && !holds_pipe(c) && is_sleeping(c);
        });
    asleep = spares_only ? asleep + 1 : 0;
    if (asleep == 3)
      return children;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

/// Whether the writable memory of process `pid` contains `needle` (regions over 256 MB, such
/// as sanitizer shadow memory, are skipped).
bool writable_memory_holds(const std::string& pid, const std::string& needle) {
  std::ifstream maps("/proc/" + pid + "/maps");
  const int mem = ::open(("/proc/" + pid + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (mem < 0)
    return false;
  bool found = false;
  std::string line;
  while (!found && std::getline(maps, line)) {
    unsigned long from = 0, to = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &from, &to, perms) != 3 || perms[1] != 'w' ||
        to - from > (256ul << 20))
      continue;
    std::string bytes(to - from, '\0');
    const ssize_t n = ::pread(mem, bytes.data(), bytes.size(), static_cast<off_t>(from));
    if (n > 0 && bytes.substr(0, static_cast<std::size_t>(n)).find(needle) != std::string::npos)
      found = true;
  }
  ::close(mem);
  return found;
}

/// True when this process has no child that ended unreaped (a live zygote is allowed).
bool no_zombie_children() {
  errno = 0;
  const pid_t r = ::waitpid(-1, nullptr, WNOHANG);
  return r == 0 || (r == -1 && errno == ECHILD);
}

std::unique_ptr<zygote> start_zygote() {
  auto z = zygote::start();
  if (!z)
    FAIL("zygote did not start: " << z.error().message);
  return std::move(*z);
}

zygote_channel* open(zygote& z) {
  auto c = z.open_channel();
  if (!c)
    FAIL("no channel: " << c.error().message);
  return *c;
}

/// A document whose page 1 reads at once and whose page 2 takes poppler about 45 s.
std::string slow_document(std::size_t slow_bytes = 1'000'000) {
  return build_pdf({text_content("Before the slow page"), scattered_text_content(slow_bytes)});
}

pdf_limits slow_limits(int deadline_ms) {
  pdf_limits limits;
  limits.max_bytes = 10'000'000;
  limits.deadline_ms = deadline_ms;
  return limits;
}

} // namespace

TEST_CASE("zygote: same results as in-process extraction", "[pdf][zygote]") {
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  pdf_limits three_pages;
  three_pages.max_pages = 3;
  pdf_limits nine_chars;
  nine_chars.max_chars = 9;
  const std::vector<std::pair<const char*, pdf_limits>> rows = {
      {"invoice.pdf", {}},         {"multipage.pdf", {}},         {"latin1.pdf", {}},
      {"unicode.pdf", {}},         {"owner-only.pdf", {}},        {"multipage.pdf", three_pages},
      {"unicode.pdf", nine_chars}, {"multipage.pdf", nine_chars}, {"encrypted.pdf", {}},
      {"corrupt-garbage.pdf", {}}, {"corrupt-truncated.pdf", {}},
  };
  for (const auto& [file, limits] : rows) {
    CAPTURE(file, limits.max_pages, limits.max_chars);
    const std::string data = fixture(file);
    auto direct = extract_text(data, limits);
    auto got = extract_text_isolated(data, limits, {}, {}, channel);
    REQUIRE(direct.ok() == got.ok());
    if (direct) {
      CHECK(got->text == direct->text);
      CHECK(got->pages_total == direct->pages_total);
      CHECK(got->pages_read == direct->pages_read);
      CHECK(got->truncated == direct->truncated);
    } else {
      CHECK(got.error().code == direct.error().code);
      CHECK(got.error().message == direct.error().message);
      CHECK(got.error().stage == "pdf");
    }
  }
  // The input checks answer before anything is sent to the zygote.
  auto text = extract_text_isolated("plain text", {}, {}, {}, channel);
  REQUIRE_FALSE(text);
  CHECK(text.error().message == "data is not a PDF (no %PDF- header)");

  // Progress is streamed from the reader as with a direct fork.
  std::vector<std::pair<int, int>> pages;
  std::string streamed;
  pdf_hooks hooks;
  hooks.on_page = [&](int done, int planned) { pages.emplace_back(done, planned); };
  hooks.on_text = [&](std::string_view piece) { streamed += piece; };
  auto all = extract_text_isolated(fixture("multipage.pdf"), {}, {}, hooks, channel);
  REQUIRE(all);
  CHECK(pages == std::vector<std::pair<int, int>>{{1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}});
  CHECK(streamed == all->text);
  CHECK(settled_spares(z->pid(), 1).size() == 1); // every reader reaped, a spare waiting
}

TEST_CASE("zygote: a slow page is cut at the deadline and the next document is served",
          "[pdf][zygote]") {
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  const auto start = clock_type::now();
  auto got = extract_text_isolated(slow_document(), slow_limits(700), {}, {}, channel);
  const double elapsed = seconds_since(start);
  REQUIRE(got);
  CHECK(got->text == "Before the slow page");
  CHECK(got->pages_total == 2);
  CHECK(got->pages_read == 1);
  CHECK(got->truncated);
  CHECK(elapsed < 3.0);
  CHECK(settled_spares(z->pid(), 1).size() == 1); // the killed reader was reaped by the zygote

  auto zero = extract_text_isolated(fixture("invoice.pdf"), slow_limits(0), {}, {}, channel);
  REQUIRE_FALSE(zero);
  CHECK(zero.error().code == error_code::timeout);
  CHECK(zero.error().message == "PDF extraction did not finish within 0 ms");

  auto next = extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel);
  REQUIRE(next);
  CHECK(next->text == extract_text(fixture("invoice.pdf"), {})->text);
}

TEST_CASE("zygote: a reader that crashes is reported with its signal", "[pdf][zygote]") {
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  const pid_t zygote_pid = z->pid();
  // The crash is simulated: a SIGSEGV to the reader while poppler chews on a slow page.
  std::atomic<bool> done{false};
  std::thread crasher([&] {
    while (!done) {
      auto readers = readers_of(zygote_pid);
      if (!readers.empty()) {
        ::kill(readers.front(), SIGSEGV);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const auto start = clock_type::now();
  auto got = extract_text_isolated(build_pdf({scattered_text_content(1'000'000)}),
                                   slow_limits(20'000), {}, {}, channel);
  const double elapsed = seconds_since(start);
  done = true;
  crasher.join();
  REQUIRE_FALSE(got);
  CHECK(got.error().code == error_code::internal);
  CHECK(got.error().message == "the PDF reader ended unexpectedly (signal 11)");
  CHECK(elapsed < 5.0);
  CHECK(settled_spares(zygote_pid, 1).size() == 1);

  auto next = extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel);
  CHECK(next.ok());
}

TEST_CASE("zygote: the memory cap ends a greedy reader with a failure", "[pdf][zygote]") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("not checked: AddressSanitizer maps its heap up front, so RLIMIT_AS cannot cap it");
  return;
#endif
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  isolation_limits isolation;
  isolation.max_memory_bytes = 32'000'000;
  const auto start = clock_type::now();
  auto got = extract_text_isolated(build_pdf({scattered_text_content(4'000'000)}),
                                   slow_limits(30'000), isolation, {}, channel);
  const double elapsed = seconds_since(start);
  REQUIRE_FALSE(got);
  CHECK(got.error().code == error_code::internal);
  CHECK(elapsed < 15.0);
  CHECK(settled_spares(z->pid(), 1).size() == 1);
}

TEST_CASE("zygote: killed mid-document, the caller gets its text and later documents fork "
          "directly",
          "[pdf][zygote]") {
  auto z = start_zygote();
  zygote_channel* first = open(*z);
  zygote_channel* second = open(*z);
  const pid_t zygote_pid = z->pid();
  std::vector<pid_t> readers_at_kill;
  pdf_hooks hooks;
  hooks.on_page = [&](int, int) {
    readers_at_kill = readers_of(zygote_pid);
    ::kill(zygote_pid, SIGKILL); // page 1 is in; page 2 would take the reader ~45 s
  };
  const auto start = clock_type::now();
  auto got = extract_text_isolated(slow_document(), slow_limits(20'000), {}, hooks, first);
  const double elapsed = seconds_since(start);
  REQUIRE(got);
  CHECK(got->text == "Before the slow page");
  CHECK(got->truncated);
  CHECK(elapsed < 5.0);
  REQUIRE(readers_at_kill.size() == 1);
  // The reader died with the zygote (PR_SET_PDEATHSIG); init reaps it, whenever it does.
  bool reader_dead = false;
  for (int i = 0; i < 100 && !reader_dead; ++i) {
    reader_dead = !is_running(readers_at_kill.front());
    if (!reader_dead)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(reader_dead);
  CHECK(::waitpid(zygote_pid, nullptr, WNOHANG) == -1);

  const std::string invoice = fixture("invoice.pdf");
  const std::string expected = extract_text(invoice, {})->text;
  for (zygote_channel* channel : {first, second}) {
    auto fallback = extract_text_isolated(invoice, {}, {}, {}, channel);
    REQUIRE(fallback);
    CHECK(fallback->text == expected);
  }
  CHECK_FALSE(z->open_channel().ok());
  CHECK(no_zombie_children());
}

TEST_CASE("zygote: killed while idle, the next document forks directly", "[pdf][zygote]") {
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  REQUIRE(extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel).ok());
  ::kill(z->pid(), SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(z->pid(), &status, 0) == z->pid()); // gone for sure before the next call
  auto got = extract_text_isolated(fixture("multipage.pdf"), {}, {}, {}, channel);
  REQUIRE(got);
  CHECK(got->text == extract_text(fixture("multipage.pdf"), {})->text);
  CHECK(no_zombie_children());
}

TEST_CASE("zygote: a zygote that stops answering is given up within deadline plus grace",
          "[pdf][zygote]") {
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  REQUIRE(extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel).ok());
  ::kill(z->pid(), SIGSTOP); // takes the request, forks nothing, reports nothing
  isolation_limits isolation;
  isolation.zygote_grace_ms = 200;
  const auto start = clock_type::now();
  auto got = extract_text_isolated(fixture("invoice.pdf"), slow_limits(300), isolation, {},
                                   channel);
  const double elapsed = seconds_since(start);
  REQUIRE_FALSE(got);
  CHECK(got.error().code == error_code::timeout);
  CHECK(got.error().retryable);
  CHECK(elapsed < 1.5);
  CHECK(::waitpid(z->pid(), nullptr, WNOHANG) == -1); // killed and reaped

  auto next = extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel);
  CHECK(next.ok());
}

TEST_CASE("zygote: many documents leak no descriptors, leave no zombies, leave stdout alone",
          "[pdf][zygote]") {
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  const std::string zygote_pid = std::to_string(z->pid());
  const std::string slow = slow_document(300'000);
  REQUIRE(extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel).ok()); // warm

  // A reader must not flush a copy of our unwritten stdout buffer (MCP stdio would see a
  // message twice): park stdout on a file, leave one byte in its buffer, run readers.
  std::fflush(stdout);
  FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  const int saved_stdout = ::dup(STDOUT_FILENO);
  ::dup2(::fileno(capture), STDOUT_FILENO);
  std::fputs("x", stdout);

  REQUIRE(settled_spares(z->pid(), 1).size() == 1);
  const std::size_t fds_before = descriptors_of();
  const std::size_t zygote_fds_before = descriptors_of(zygote_pid);
  int successes = 0;
  for (int i = 0; i < 20; ++i) {
    successes += extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel) ? 1 : 0;
    // 300 ms for page 1: under AddressSanitizer on two busy cores, the previous reader's
    // teardown and the next spare's warm-up run alongside and cost tens of ms each.
    successes += extract_text_isolated(slow, slow_limits(300), {}, {}, channel) ? 1 : 0;
    successes += extract_text_isolated(fixture("encrypted.pdf"), {}, {}, {}, channel) ? 0 : 1;
  }
  REQUIRE(settled_spares(z->pid(), 1).size() == 1);
  const std::size_t fds_after = descriptors_of();
  const std::size_t zygote_fds_after = descriptors_of(zygote_pid);

  std::fflush(stdout);
  ::dup2(saved_stdout, STDOUT_FILENO);
  ::close(saved_stdout);
  const off_t stdout_bytes = ::lseek(::fileno(capture), 0, SEEK_END);
  std::fclose(capture);

  CHECK(successes == 60);
  CHECK(fds_after == fds_before);
  CHECK(zygote_fds_after == zygote_fds_before);
  CHECK(no_zombie_children());
  CHECK(stdout_bytes == 1);
}

TEST_CASE("zygote: two channels carry documents at the same time", "[pdf][zygote]") {
  auto z = start_zygote();
  zygote_channel* channels[2] = {open(*z), open(*z)};
  const std::string slow = slow_document();
  // Two documents that each run into a 1.5 s deadline: together they take ~1.5 s, not 3 s.
  std::vector<result<pdf_text>> got(2, failure{});
  const auto start = clock_type::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w)
    workers.emplace_back([&, w] {
      got[w] = extract_text_isolated(slow, slow_limits(1'500), {}, {}, channels[w]);
    });
  for (auto& t : workers)
    t.join();
  const double elapsed = seconds_since(start);
  for (const auto& r : got) {
    REQUIRE(r);
    CHECK(r->text == "Before the slow page");
    CHECK(r->truncated);
  }
  CHECK(elapsed < 2.6);

  // Many small documents on both channels at once, each answer the right one.
  const std::string a = fixture("multipage.pdf"), b = fixture("unicode.pdf");
  const std::string expected_a = extract_text(a, {})->text, expected_b = extract_text(b, {})->text;
  std::atomic<int> right{0};
  workers.clear();
  for (int w = 0; w < 2; ++w)
    workers.emplace_back([&, w] {
      for (int i = 0; i < 25; ++i) {
        auto r = extract_text_isolated(w == 0 ? a : b, {}, {}, {}, channels[w]);
        if (r && r->text == (w == 0 ? expected_a : expected_b))
          ++right;
      }
    });
  for (auto& t : workers)
    t.join();
  CHECK(right == 50);
  CHECK(settled_spares(z->pid(), 2).size() == 2);
}

TEST_CASE("zygote: holds none of our descriptors and writes nowhere", "[pdf][zygote]") {
  FILE* ours = std::tmpfile(); // a descriptor the zygote must not keep
  REQUIRE(ours != nullptr);
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  open(*z);
  // Served a document: its set-up is done.
  REQUIRE(extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel).ok());
  REQUIRE(settled_spares(z->pid(), 2).size() == 2);
  const std::string dir = "/proc/" + std::to_string(z->pid()) + "/fd";
  std::vector<std::string> targets;
  for (const auto& entry : fs::directory_iterator(dir))
    targets.push_back(fs::read_symlink(entry.path()).string());
  std::fclose(ours);
  // stdin, stdout, stderr -> /dev/null; control socket, signalfd, two channels, the sockets
  // of the two spares.
  CHECK(targets.size() == 9);
  for (int fd = 0; fd <= 2; ++fd)
    CHECK(fs::read_symlink(dir + "/" + std::to_string(fd)) == "/dev/null");
  const auto sockets = std::count_if(targets.begin(), targets.end(), [](const std::string& t) {
    return t.rfind("socket:", 0) == 0;
  });
  CHECK(sockets == 5);
  // A spare holds only its socket besides stdin, stdout and stderr on /dev/null.
  for (pid_t spare : children_of(z->pid())) {
    std::vector<std::string> held;
    for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(spare) + "/fd"))
      held.push_back(fs::read_symlink(entry.path()).string());
    std::sort(held.begin(), held.end());
    CAPTURE(held);
    REQUIRE(held.size() == 4);
    CHECK(held[0] == "/dev/null");
    CHECK(held[2] == "/dev/null");
    CHECK(held[3].rfind("socket:", 0) == 0);
  }
}

TEST_CASE("zygote: each document is read by a spare forked before it, used once",
          "[pdf][zygote]") {
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  const pid_t zygote_pid = z->pid();
  std::vector<pid_t> spares = settled_spares(zygote_pid, 1);
  REQUIRE(spares.size() == 1);
  // Page 1 arrives while the reader is still busy with page 2 (cut at the deadline): the
  // process reading it can be seen then.
  const std::string slow = slow_document();
  std::vector<pid_t> used;
  for (int i = 0; i < 3; ++i) {
    std::vector<pid_t> reading;
    pdf_hooks hooks;
    hooks.on_page = [&](int, int) { reading = readers_of(zygote_pid); };
    auto got = extract_text_isolated(slow, slow_limits(300), {}, hooks, channel);
    REQUIRE(got);
    CHECK(got->text == "Before the slow page");
    CHECK(reading == spares); // the spare that waited before the call read the document
    used.push_back(spares.front());
    spares = settled_spares(zygote_pid, 1);
    REQUIRE(spares.size() == 1);
    CHECK(std::find(used.begin(), used.end(), spares.front()) == used.end()); // a fresh one
  }

  // A spare that died while it waited (and was reaped) is replaced when the next document
  // comes. (One killed at the very moment its document is handed over ends like a reader
  // killed mid-document: the caller gets an internal error.)
  const std::string multipage = fixture("multipage.pdf");
  const std::string expected = extract_text(multipage, {})->text;
  ::kill(spares.front(), SIGKILL);
  for (int i = 0; i < 500 && !children_of(zygote_pid).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(children_of(zygote_pid).empty());
  auto after = extract_text_isolated(multipage, {}, {}, {}, channel);
  REQUIRE(after);
  CHECK(after->text == expected);
  CHECK(settled_spares(zygote_pid, 1).size() == 1);
  CHECK(::waitpid(zygote_pid, nullptr, WNOHANG) == 0); // the zygote carries on
}

TEST_CASE("zygote: text read before a slow page reaches the caller when the reader is killed",
          "[pdf][zygote]") {
  // Forty quick pages, then one that takes poppler about 45 s: the reader sends its frames in
  // batches, and the batch with the quick pages must be out before the kill at the deadline.
  std::vector<std::string> pages;
  std::string expected;
  for (int i = 1; i <= 40; ++i) {
    pages.push_back(text_content("Quick page " + std::to_string(i)));
    expected += (i > 1 ? "\n\n" : "") + std::string("Quick page ") + std::to_string(i);
  }
  pages.push_back(scattered_text_content(1'000'000));
  const std::string document = build_pdf(pages);
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  std::vector<int> progress;
  pdf_hooks hooks;
  hooks.on_page = [&](int done, int) { progress.push_back(done); };
  for (int deadline_ms : {300, 1'000}) {
    CAPTURE(deadline_ms);
    progress.clear();
    auto got = extract_text_isolated(document, slow_limits(deadline_ms), {}, hooks, channel);
    REQUIRE(got);
    CHECK(got->text == expected);
    CHECK(got->pages_read == 40);
    CHECK(got->pages_total == 41);
    CHECK(got->truncated);
    CHECK(progress.size() == 40);
  }
  // Without the zygote (a direct fork), the same.
  auto direct = extract_text_isolated(document, slow_limits(300), {}, {});
  REQUIRE(direct);
  CHECK(direct->text == expected);
}

TEST_CASE("zygote: blanks the server's configuration values in its environment",
          "[pdf][zygote]") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("not checked: the sanitizer runtime keeps its own copy of the start-up environment");
  return;
#endif
  // The value must sit where the server's does, in the environment a process starts with:
  // a copy of this test binary runs the check below with it.
  char value[24];
  unsigned s = static_cast<unsigned>(::getpid()) * 2654435761u;
  for (int i = 0; i < 23; ++i) {
    s = s * 1103515245u + 12345u;
    value[i] = static_cast<char>('a' + (s >> 16) % 26);
  }
  value[23] = '\0';
  std::fflush(nullptr);
  const pid_t helper = ::fork();
  REQUIRE(helper >= 0);
  if (helper == 0) {
    ::dup2(STDERR_FILENO, STDOUT_FILENO); // Catch's report of the copy goes to our stderr
    ::setenv("MAIL_IMAP_ZYGOTE_TEST_PASS", value, 1);
    char* argv[] = {const_cast<char*>("test_pdf"), const_cast<char*>("[zygote-env-helper]"),
                    nullptr};
    ::execv("/proc/self/exe", argv);
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(helper, &status, 0) == helper);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("zygote: (helper) the value is not in the zygote's memory", "[.][zygote-env-helper]") {
  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  REQUIRE(extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel).ok()); // set up
  const char* value = std::getenv("MAIL_IMAP_ZYGOTE_TEST_PASS");
  REQUIRE(value != nullptr);
  REQUIRE(std::strlen(value) == 23);
  const std::string zygote_pid = std::to_string(z->pid());
  CHECK(writable_memory_holds(zygote_pid, "MAIL_IMAP_ZYGOTE_TEST_PASS=")); // the search works
  CHECK_FALSE(writable_memory_holds(zygote_pid, value));
}

TEST_CASE("zygote: start refuses a process with other threads, stop ends it", "[pdf][zygote]") {
  std::atomic<bool> release{false};
  std::thread other([&] {
    while (!release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  auto refused = zygote::start();
  release = true;
  other.join();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "the PDF zygote must be started while the process has a single thread");

  auto z = start_zygote();
  zygote_channel* channel = open(*z);
  REQUIRE(extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel).ok());
  const pid_t pid = z->pid();
  z->stop();
  CHECK(::waitpid(pid, nullptr, WNOHANG) == -1); // reaped by stop
  CHECK(::kill(pid, 0) == -1);
  auto after = extract_text_isolated(fixture("invoice.pdf"), {}, {}, {}, channel);
  CHECK(after.ok()); // forked directly
  z->stop();          // idempotent
  CHECK(no_zombie_children());
}
