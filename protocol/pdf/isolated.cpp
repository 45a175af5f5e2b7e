#include "protocol/pdf/isolated.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <new>
#include <optional>
#include <string>

#include "protocol/pdf/poppler_init.hpp"
#include "protocol/pdf/reader_child.hpp"
#include "protocol/pdf/text.hpp"
#include "protocol/pdf/zygote_link.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp::pdf {

namespace {

using clock = std::chrono::steady_clock;

constexpr const char* stage = "pdf";

// Child-to-parent frames: one type byte, a 4-byte payload length (host order: both ends are the
// same binary on the same machine), then the payload.
constexpr char open_frame = 'O';    // int32 pages_total
constexpr char text_frame = 'X';    // text appended to the result
constexpr char page_frame = 'D';    // int32 pages done, int32 pages planned
constexpr char result_frame = 'R';  // int32 pages_total, int32 pages_read, int32 truncated
constexpr char failure_frame = 'F'; // int32 error_code, int32 retryable, message
constexpr std::size_t frame_header = 5;

std::string ints(std::initializer_list<std::int32_t> values) {
  std::string out;
  for (std::int32_t v : values)
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  return out;
}

std::int32_t int_at(std::string_view payload, std::size_t index) {
  std::int32_t v = 0;
  if (payload.size() >= (index + 1) * sizeof v)
    std::memcpy(&v, payload.data() + index * sizeof v, sizeof v);
  return v;
}

// ---- child ---------------------------------------------------------------------------------

/// Writes all of [data, data + size) or ends the child: a parent that stopped reading has given up
/// on it. Async-signal-safe.
void write_all(int fd, const char* data, std::size_t size) noexcept {
  std::size_t done = 0;
  while (done < size) {
    ssize_t w = ::write(fd, data + done, size - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      ::_exit(3);
    done += static_cast<std::size_t>(w);
  }
}

/// The child's frames, written in batches. Every write wakes the worker thread that reads them;
/// a write per frame made a short document cost a context switch per page, as much as the
/// extraction itself. Batching must not hold back text where a kill at the deadline would lose
/// it, so the batch is written
/// - before a page, when it is older than batch_age or the deadline is less than deadline_margin
///   away (the worker kills the child at the deadline; the child is then inside a page);
/// - while a page runs longer than page_grace, by the handler of a periodic timer signal (every
///   tick interval; the batch is untouched while a page runs, so the handler may write it; it
///   only reads the clock and calls write and _exit);
/// - with the result or failure, at the end.
/// So text extracted before a page that outlives page_grace + tick < deadline_margin is out
/// before that page can be killed. The child is single-threaded; this state is its own.
namespace batch {
constexpr auto batch_age = std::chrono::milliseconds(20);
constexpr auto deadline_margin = std::chrono::milliseconds(5);
constexpr auto page_grace = std::chrono::milliseconds(2);
constexpr auto tick = std::chrono::milliseconds(2);

int fd = -1;
char* data = nullptr;
std::size_t capacity = 0;
volatile std::size_t size = 0; // written by the handler while a page runs, by the child otherwise
volatile std::int64_t page_start_ns = 0; // of the running page; 0 between pages
clock::time_point last_write;
clock::time_point deadline;

std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts); // async-signal-safe
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void write_out() noexcept {
  const std::size_t n = size;
  if (n == 0)
    return;
  write_all(fd, data, n);
  size = 0;
}

extern "C" void on_tick(int) {
  const std::int64_t started = page_start_ns;
  if (started == 0 ||
      monotonic_ns() - started < std::chrono::nanoseconds(page_grace).count())
    return;
  const int saved = errno;
  write_out();
  errno = saved;
}

void start(int out_fd, clock::time_point until) {
  fd = out_fd;
  deadline = until;
  last_write = clock::now();
  struct sigaction sa {};
  sa.sa_handler = on_tick;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGALRM, &sa, nullptr);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(tick).count();
  itimerval t{};
  t.it_interval.tv_usec = static_cast<suseconds_t>(us);
  t.it_value.tv_usec = static_cast<suseconds_t>(us);
  ::setitimer(ITIMER_REAL, &t, nullptr);
}

/// Before a page: writes the batch when it is due, then hands it to the handler.
void before_page() {
  const auto now = clock::now();
  if (now - last_write >= batch_age || deadline - now <= deadline_margin) {
    write_out();
    last_write = now;
  }
  std::atomic_signal_fence(std::memory_order_seq_cst);
  page_start_ns = monotonic_ns();
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

/// After a page (the first hook that runs after it): the batch is the child's again.
void after_page() {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  page_start_ns = 0;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

void append(char type, std::string_view payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  const std::size_t needed = size + 1 + sizeof n + payload.size();
  if (needed > capacity) {
    const std::size_t grown = std::max<std::size_t>({needed, capacity * 2, 65'536});
    char* bigger = static_cast<char*>(std::realloc(data, grown));
    if (bigger == nullptr)
      throw std::bad_alloc();
    data = bigger;
    capacity = grown;
  }
  char* at = data + size;
  *at = type;
  std::memcpy(at + 1, &n, sizeof n);
  std::memcpy(at + 1 + sizeof n, payload.data(), payload.size());
  size = needed;
}
} // namespace batch

void child_main(int fd, std::string_view data, const pdf_limits& limits,
                std::size_t address_space_cap) {
  // Default dispositions and no blocked signals: the parent's handlers (crash reporters, test
  // frameworks) must not run in here, and a parent that ignores SIGPIPE must not keep a child
  // writing to nobody.
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP)
      ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Other threads' locks were copied mid-air; logging could wait on one forever.
  log::set_level(log::level::off);
  // Only the pipe stays open: sockets and files of the parent must not outlive it in here.
  if (fd != 3) {
    ::dup2(fd, 3);
    fd = 3;
  }
  ::close_range(4, ~0U, 0);
  detail::stdio_to_dev_null();
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  if (address_space_cap > 0) {
    rlimit cap{address_space_cap, address_space_cap};
    ::setrlimit(RLIMIT_AS, &cap);
  }

  batch::start(fd, clock::now() + std::chrono::milliseconds(limits.deadline_ms));
  pdf_hooks hooks;
  hooks.on_open = [](int total) { batch::append(open_frame, ints({total})); };
  hooks.stop_requested = [] {
    batch::before_page();
    return false;
  };
  hooks.on_text = [](std::string_view text) {
    batch::after_page();
    batch::append(text_frame, text);
  };
  hooks.on_page = [](int done, int planned) {
    batch::after_page();
    batch::append(page_frame, ints({done, planned}));
  };
  auto r = extract_text(data, limits, hooks);
  batch::after_page();
  if (r) {
    batch::append(result_frame, ints({r->pages_total, r->pages_read, r->truncated ? 1 : 0}));
  } else {
    batch::append(failure_frame,
                  ints({static_cast<std::int32_t>(r.error().code), r.error().retryable ? 1 : 0}) +
                      r.error().message);
  }
  batch::write_out();
  ::_exit(0);
}

// ---- parent --------------------------------------------------------------------------------

/// Owns the read end of the pipe and the child: whatever path leaves the parent's function, the
/// child is killed and reaped (no zombies, no stray poppler burning CPU).
struct child_process {
  pid_t pid = -1;
  int fd = -1;
  bool reaped = false;
  int status = 0;

  void kill_and_reap() {
    if (pid > 0 && !reaped) {
      ::kill(pid, SIGKILL);
      reap();
    }
  }
  void reap() {
    while (pid > 0 && !reaped) {
      pid_t r = ::waitpid(pid, &status, 0);
      if (r == pid || (r < 0 && errno != EINTR))
        reaped = true; // ECHILD: someone else reaped it; nothing left to wait for
    }
  }
  ~child_process() {
    kill_and_reap();
    if (fd >= 0)
      ::close(fd);
  }
};

failure isolated_failure(error_code code, std::string message, bool retryable = false) {
  return make_failure(code, std::move(message), stage, retryable);
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status))
    return "signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status))
    return "exit code " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

/// What the frames of one reader said, and how reading them ended.
struct frame_outcome {
  pdf_text out;
  bool any = false; // at least one byte arrived (hooks may have run)
  bool opened = false, finished = false, timed_out = false, stopped = false, broken = false;
  std::optional<failure> child_failure;
};

/// Reads a reader's frames from `fd` until its result or failure, the deadline, a stop request,
/// malformed data or the end of the pipe; feeds the hooks as frames arrive.
frame_outcome read_frames(int fd, clock::time_point deadline, const pdf_limits& limits,
                          const pdf_hooks& hooks) {
  // The child never sends more than the text bound allows; anything beyond means it is broken.
  const std::size_t max_frame = limits.max_chars > (SIZE_MAX - 64) / 4
                                    ? SIZE_MAX
                                    : limits.max_chars * 4 + 64; // 4 bytes per code point at most
  frame_outcome o;
  pdf_text& out = o.out;
  int planned = 0;
  std::string buffer;
  char chunk[16384];
  while (!o.finished && !o.child_failure && !o.timed_out && !o.stopped && !o.broken) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) {
      o.timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT32_MAX)));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0)
      continue; // the loop head decides whether the deadline has passed
    if (ready < 0)
      break;
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; // the child closed the pipe: it ended
    o.any = true;
    buffer.append(chunk, static_cast<std::size_t>(n));

    std::size_t pos = 0;
    while (buffer.size() - pos >= frame_header && !o.finished && !o.child_failure && !o.stopped) {
      std::uint32_t len = 0;
      std::memcpy(&len, buffer.data() + pos + 1, sizeof len);
      if (len > max_frame) {
        o.broken = true;
        break;
      }
      if (buffer.size() - pos - frame_header < len)
        break;
      const char type = buffer[pos];
      const std::string_view payload(buffer.data() + pos + frame_header, len);
      pos += frame_header + len;
      switch (type) {
      case open_frame:
        o.opened = true;
        out.pages_total = int_at(payload, 0);
        if (hooks.on_open)
          hooks.on_open(out.pages_total);
        break;
      case text_frame:
        out.text.append(payload);
        if (out.text.size() > max_frame) {
          o.broken = true;
          break;
        }
        if (hooks.on_text)
          hooks.on_text(payload);
        break;
      case page_frame:
        out.pages_read = int_at(payload, 0);
        planned = int_at(payload, 1);
        if (hooks.on_page)
          hooks.on_page(out.pages_read, planned);
        if (hooks.stop_requested && hooks.stop_requested())
          o.stopped = true;
        break;
      case result_frame:
        out.pages_total = int_at(payload, 0);
        out.pages_read = int_at(payload, 1);
        out.truncated = int_at(payload, 2) != 0;
        o.finished = true;
        break;
      case failure_frame: {
        const auto code = int_at(payload, 0);
        const bool known = code >= 0 && code <= static_cast<int>(error_code::internal);
        o.child_failure =
            make_failure(known ? static_cast<error_code>(code) : error_code::internal,
                         std::string(payload.substr(payload.size() >= 8 ? 8 : payload.size())),
                         stage, int_at(payload, 1) != 0);
        break;
      }
      default:
        o.broken = true;
        break;
      }
      if (o.broken)
        break;
    }
    buffer.erase(0, pos);
  }
  return o;
}

/// True when the reader is done by itself (it only needs reaping, not killing).
bool ends_by_itself(const frame_outcome& o) { return o.finished || o.child_failure.has_value(); }

/// The caller's result from a reader's frames and, for a reader that ended without a result,
/// the description of how it ended.
result<pdf_text> conclude(frame_outcome& o, const pdf_limits& limits, const std::string& ending) {
  if (o.child_failure)
    return *o.child_failure;
  if (o.broken || !is_valid_utf8(o.out.text))
    return isolated_failure(error_code::internal, "the PDF reader sent malformed data");
  if (o.finished)
    return std::move(o.out);
  if (o.timed_out || o.stopped) {
    if (!o.opened)
      return isolated_failure(error_code::timeout,
                              o.stopped ? "PDF extraction was stopped before the document was open"
                                        : "PDF extraction did not finish within " +
                                              std::to_string(limits.deadline_ms) + " ms",
                              true);
    o.out.truncated = true;
    return std::move(o.out);
  }
  // The child ended without a result: crash, memory cap or kill from outside.
  LOG_WARN("pdf", "PDF reader process ended without a result (" << ending << ")");
  if (!o.out.text.empty()) {
    o.out.truncated = true;
    return std::move(o.out);
  }
  return isolated_failure(error_code::internal,
                          "the PDF reader ended unexpectedly (" + ending + ")");
}

/// A reader forked by this process (no zygote, or the zygote is gone).
result<pdf_text> run_direct(std::string_view data, const pdf_limits& limits,
                            clock::time_point deadline, const isolation_limits& isolation,
                            const pdf_hooks& hooks) {
  detail::init_poppler(); // once here, so that every child inherits a ready poppler
  const std::size_t base = isolation.max_memory_bytes > 0 ? detail::current_address_space() : 0;
  const std::size_t cap = base > 0 ? base + isolation.max_memory_bytes : 0;

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return isolated_failure(error_code::internal,
                            std::string("cannot start the PDF reader: ") + std::strerror(errno),
                            true);
  child_process child;
  child.fd = fds[0];
  child.pid = ::fork();
  if (child.pid < 0) {
    int err = errno;
    ::close(fds[1]);
    return isolated_failure(error_code::internal,
                            std::string("cannot start the PDF reader: ") + std::strerror(err),
                            true);
  }
  if (child.pid == 0) {
    ::close(fds[0]);
    // The child's own clock starts later; it gets what is left of the caller's budget.
    pdf_limits child_limits = limits;
    child_limits.deadline_ms = static_cast<int>(std::max<long long>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now())
               .count()));
    detail::run_reader(fds[1], data, child_limits, cap);
  }
  ::close(fds[1]);

  frame_outcome o = read_frames(child.fd, deadline, limits, hooks);
  if (ends_by_itself(o))
    child.reap(); // it is on its way out by itself
  else
    child.kill_and_reap();
  return conclude(o, limits, describe_exit(child.status));
}

result<pdf_text> run_isolated(std::string_view data, const pdf_limits& limits,
                              const isolation_limits& isolation, const pdf_hooks& hooks,
                              zygote_channel* channel) {
  const auto start = clock::now();
  const auto deadline = start + std::chrono::milliseconds(limits.deadline_ms);
  if (auto checked = check_input(data, limits); !checked)
    return checked.error();
  if (channel != nullptr) {
    auto reader =
        detail::start_reader(*channel, data, limits, deadline, isolation.max_memory_bytes,
                             std::chrono::milliseconds(std::max(0, isolation.zygote_grace_ms)));
    if (!reader)
      return reader.error();
    if (reader->fd >= 0) {
      frame_outcome o = read_frames(reader->fd, deadline, limits, hooks);
      if (ends_by_itself(o)) {
        // The answer is complete and does not depend on how the process ends: its end is
        // collected before the channel's next document instead of now.
        detail::release_reader(*reader);
        return conclude(o, limits, std::string());
      }
      const detail::zygote_exit ended = detail::finish_reader(*reader, true);
      if (ended.start_errno != 0)
        return isolated_failure(error_code::internal,
                                std::string("cannot start the PDF reader: ") +
                                    std::strerror(ended.start_errno),
                                true);
      // A zygote lost before its reader said anything costs the document nothing: nobody has
      // seen a byte of it, so it is read again by a direct fork within the same deadline.
      const bool retry = !ended.known && !o.any && !o.timed_out && !o.stopped;
      if (!retry)
        return conclude(o, limits,
                        ended.known ? describe_exit(ended.status)
                                    : std::string("its zygote went away"));
    }
  }
  return run_direct(data, limits, deadline, isolation, hooks);
}
} // namespace

result<pdf_text> extract_text_isolated(std::string_view data, const pdf_limits& limits,
                                       const isolation_limits& isolation, const pdf_hooks& hooks) {
  return extract_text_isolated(data, limits, isolation, hooks, nullptr);
}

result<pdf_text> extract_text_isolated(std::string_view data, const pdf_limits& limits,
                                       const isolation_limits& isolation, const pdf_hooks& hooks,
                                       zygote_channel* channel) {
  try {
    return run_isolated(data, limits, isolation, hooks, channel);
  } catch (const std::bad_alloc&) {
    return isolated_failure(error_code::internal, "out of memory while reading PDF");
  } catch (const std::exception& e) {
    return isolated_failure(error_code::internal,
                            std::string("unexpected error while reading PDF: ") + e.what());
  } catch (...) {
    return isolated_failure(error_code::internal, "unexpected error while reading PDF");
  }
}

[[noreturn]] void detail::run_reader(int fd, std::string_view data, const pdf_limits& limits,
                                     std::size_t address_space_cap) noexcept {
  // Nothing may unwind out of here: the child would carry on as a copy of its parent.
  try {
    child_main(fd, data, limits, address_space_cap);
  } catch (...) {
  }
  ::_exit(4);
}

void detail::stdio_to_dev_null() noexcept {
  const int null_fd = ::open("/dev/null", O_RDWR);
  for (int target = 0; target <= 2; ++target) {
    if (null_fd >= 0)
      ::dup2(null_fd, target);
    else
      ::close(target);
  }
  if (null_fd > 2)
    ::close(null_fd);
}

std::size_t detail::current_address_space() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  unsigned long pages = 0;
  const bool ok = std::fscanf(f, "%lu", &pages) == 1;
  std::fclose(f);
  return ok ? pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

} // namespace imap_mcp::pdf
