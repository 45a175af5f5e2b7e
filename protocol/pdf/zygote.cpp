#include "protocol/pdf/zygote.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "protocol/pdf/poppler_init.hpp"
#include "protocol/pdf/reader_child.hpp"
#include "protocol/pdf/zygote_link.hpp"
#include "protocol/util/log.hpp"

extern char** environ;

namespace imap_mcp::pdf {

namespace {

using detail::zygote_clock;

// ---- wire format ---------------------------------------------------------------------------
// SOCK_SEQPACKET messages of fixed size (both ends are the same binary, so host layout). The
// control socket carries open_channel with one descriptor (the zygote's end of a new channel);
// a channel carries spawn (with the frame pipe's write end and the document's memfd) and kill
// from the server, started and exited from the zygote.

enum class request_kind : std::uint32_t { open_channel = 1, spawn = 2, kill = 3 };
enum class reply_kind : std::uint32_t { started = 1, exited = 2, ready = 3 }; // ready: spare to zygote

struct request {
  request_kind kind{};
  std::uint32_t id = 0;
  std::int64_t deadline_ns = 0; // steady clock (CLOCK_MONOTONIC: the same in every process)
  std::uint64_t data_size = 0;
  std::uint64_t max_bytes = 0;
  std::uint64_t max_chars = 0;
  std::uint64_t max_memory = 0;
  std::int32_t max_pages = 0;
};

struct reply {
  reply_kind kind{};
  std::uint32_t id = 0;
  std::int32_t value = 0; // started: reader pid, or -errno; exited: waitpid status
};

constexpr int max_fds_per_message = 2;

/// Sends one message with up to two descriptors; false on any failure (peer gone included).
template <class Message>
bool send_message(int fd, const Message& m, std::initializer_list<int> fds = {}) {
  iovec iov{const_cast<Message*>(&m), sizeof m};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
  if (fds.size() > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.begin(), sizeof(int) * fds.size());
  }
  for (;;) {
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    return n == static_cast<ssize_t>(sizeof m);
  }
}

/// Receives one message and the descriptors that came with it (always owned by the caller).
/// Returns the byte count (0: peer closed), or -1 with errno set.
template <class Message>
ssize_t receive_message(int fd, Message& m, std::vector<int>& fds) {
  fds.clear();
  iovec iov{&m, sizeof m};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds_per_message)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do
    n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds.push_back(received);
    }
  }
  if (n != static_cast<ssize_t>(sizeof m))
    m = Message{}; // a short or long message is no message of ours: kind 0 is ignored
  return n;
}

void close_all(const std::vector<int>& fds) {
  for (int fd : fds)
    ::close(fd);
}

/// Moves a descriptor above stdin/stdout/stderr: with one of them closed at start-up a socket
/// could land there, and stdio code (the MCP transport!) would then talk to the zygote.
int above_stdio(int fd) {
  if (fd > 2)
    return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

result<std::pair<int, int>> seqpacket_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return make_failure(error_code::internal,
                        std::string("cannot create a PDF zygote channel: ") + std::strerror(errno),
                        "pdf", true);
  sv[0] = above_stdio(sv[0]);
  sv[1] = above_stdio(sv[1]);
  if (sv[0] < 0 || sv[1] < 0) {
    if (sv[0] >= 0)
      ::close(sv[0]);
    if (sv[1] >= 0)
      ::close(sv[1]);
    return make_failure(error_code::internal, "cannot create a PDF zygote channel", "pdf", true);
  }
  return std::pair{sv[0], sv[1]};
}

std::size_t thread_count() {
  std::error_code ec;
  std::size_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return ec ? 0 : n;
}

// ---- zygote process ------------------------------------------------------------------------

/// Closes every descriptor except those in `keep` (all > 2): the zygote must hold none of the
/// server's sockets, files or pipes (a held stdout would delay the client's EOF).
void close_all_except(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned next = 3;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > next)
      ::close_range(next, static_cast<unsigned>(fd) - 1, 0);
    next = static_cast<unsigned>(fd) + 1;
  }
  ::close_range(next, ~0U, 0);
}

/// Blanks the values of the server's configuration variables in the zygote's copy of the
/// environment (passwords may be among them); readers inherit the blanked copy. The strings are
/// overwritten in place, so /proc/<pid>/environ shows them blank as well.
void scrub_environment() {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "MAIL_IMAP_", 10) != 0)
      continue;
    if (char* eq = std::strchr(*e, '='))
      std::memset(eq + 1, 0, std::strlen(eq + 1));
  }
}

/// A constant one-page PDF with a line of text. Extracted once in the zygote so that its readers
/// inherit what the first text extraction sets up: lazily bound library symbols (each one a
/// symbol search plus a copy-on-write fault of a GOT page in every reader otherwise), poppler's
/// font and encoding tables, the iconv converters.
constexpr std::string_view warm_up_pdf =
    "%PDF-1.4\n"
    "1 0 obj\n"
    "<< /Type /Catalog /Pages 2 0 R >>\n"
    "endobj\n"
    "2 0 obj\n"
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>\n"
    "endobj\n"
    "3 0 obj\n"
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 50] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\n"
    "endobj\n"
    "4 0 obj\n"
    "<< /Length 37 >>\n"
    "stream\n"
    "BT /F1 12 Tf 10 20 Td (warm-up) Tj ET\n"
    "endstream\n"
    "endobj\n"
    "5 0 obj\n"
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\n"
    "endobj\n"
    "xref\n"
    "0 6\n"
    "0000000000 65535 f \n"
    "0000000009 00000 n \n"
    "0000000058 00000 n \n"
    "0000000115 00000 n \n"
    "0000000240 00000 n \n"
    "0000000327 00000 n \n"
    "trailer\n"
    "<< /Size 6 /Root 1 0 R >>\n"
    "startxref\n"
    "424\n"
    "%%EOF\n";

/// One channel as the zygote sees it.
struct lane {
  int fd = -1;
  pid_t reader = -1; // running reader of this lane, if any
  std::uint32_t id = 0;
  pid_t spare = -1;  // the lane's next reader: forked and warmed up, waiting for its document
  int spare_fd = -1; // our end of the spare's socket
  bool spare_ready = false; // the spare finished its warm-up (it said so on its socket)
};

/// Body of a reader forked by the zygote: maps the document and runs the common reader code.
[[noreturn]] void reader_main(int pipe_fd, int memfd, const request& req, pid_t zygote) noexcept {
  // A reader must not outlive the zygote that would reap it and report its end.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != zygote)
    ::_exit(6);
  const void* data = nullptr;
  if (req.data_size > 0) {
    struct stat st {};
    if (::fstat(memfd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < req.data_size)
      ::_exit(5);
    data = ::mmap(nullptr, req.data_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, memfd, 0);
    if (data == MAP_FAILED)
      ::_exit(5);
  }
  ::close(memfd);
  pdf_limits limits;
  limits.max_bytes = req.max_bytes;
  limits.max_chars = req.max_chars;
  limits.max_pages = req.max_pages;
  const auto deadline = zygote_clock::time_point(std::chrono::nanoseconds(req.deadline_ns));
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - zygote_clock::now()).count();
  limits.deadline_ms = static_cast<int>(std::clamp<long long>(left, 0, INT32_MAX));
  // The zygote is single-threaded, so reading /proc with stdio is safe in here.
  const std::size_t base = req.max_memory > 0 ? detail::current_address_space() : 0;
  const std::size_t cap = base > 0 ? base + req.max_memory : 0;
  detail::run_reader(pipe_fd,
                     std::string_view(static_cast<const char*>(data), req.data_size), limits, cap);
}

/// Body of a spare: a reader forked before its document exists. It keeps nothing but its socket,
/// extracts the built-in document once, so that the pages a real extraction writes to (heap,
/// poppler's caches, the library data it binds) are already its own, then waits for its one
/// document (with the spawn request, the frame pipe and the memfd) and reads it like any reader.
/// This takes the fork, the start of the process and most of its first-touch page faults out of
/// the time a caller waits. A spare reads exactly one document, as a directly spawned reader
/// does; it leaves when its socket closes without one.
[[noreturn]] void spare_main(int fd, pid_t zygote) noexcept {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != zygote)
    ::_exit(6);
  try {
    close_all_except({fd});
    (void)extract_text(warm_up_pdf, pdf_limits{});
    if (!send_message(fd, reply{reply_kind::ready, 0, 0}))
      ::_exit(0);
    request req;
    std::vector<int> fds;
    const ssize_t n = receive_message(fd, req, fds);
    if (n != static_cast<ssize_t>(sizeof req) || req.kind != request_kind::spawn ||
        fds.size() != 2)
      ::_exit(0);
    ::close(fd);
    reader_main(fds[0], fds[1], req, zygote);
  } catch (...) {
  }
  ::_exit(8);
}

/// Forks the lane's spare unless it has one; false (errno set) when it cannot.
bool fork_spare(lane& l, pid_t self) {
  if (l.spare > 0)
    return true;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return false;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sv[0]);
    spare_main(sv[1], self);
  }
  const int err = errno;
  ::close(sv[1]);
  if (pid < 0) {
    ::close(sv[0]);
    errno = err;
    return false;
  }
  l.spare = pid;
  l.spare_fd = sv[0];
  l.spare_ready = false;
  return true;
}

/// Forgets the lane's spare and ends it (a spare whose socket closes leaves by itself; the kill
/// makes it immediate). It is reaped with the others and reported to nobody.
void drop_spare(lane& l) {
  if (l.spare_fd >= 0)
    ::close(l.spare_fd);
  if (l.spare > 0)
    ::kill(l.spare, SIGKILL);
  l.spare = -1;
  l.spare_fd = -1;
  l.spare_ready = false;
}

/// Reads the spare's word that its warm-up is done; a spare that closed its socket is dropped.
void hear_spare(lane& l) {
  reply r;
  std::vector<int> fds;
  const ssize_t n = receive_message(l.spare_fd, r, fds);
  close_all(fds);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n > 0 && r.kind == reply_kind::ready)
    l.spare_ready = true;
  else
    drop_spare(l);
}

/// Gives a document (the spawn request with its pipe and memfd) to the lane's spare when it is
/// warmed up; otherwise (none yet, still warming up, or gone) forks a reader for it at once, as
/// without spares, so that a document never waits for a warm-up. Returns the reader's pid, or
/// -errno.
pid_t hand_over(lane& l, const request& req, const std::vector<int>& fds, pid_t self) {
  if (l.spare > 0 && l.spare_ready) {
    const bool sent = send_message(l.spare_fd, req, {fds[0], fds[1]});
    const pid_t pid = l.spare;
    ::close(l.spare_fd);
    l.spare_fd = -1;
    l.spare = -1;
    l.spare_ready = false;
    if (sent)
      return pid;
    // The spare died while it waited (it is reaped with the others): fork a reader instead.
  }
  const pid_t pid = ::fork();
  if (pid == 0)
    reader_main(fds[0], fds[1], req, self);
  return pid < 0 ? -errno : pid;
}

void send_reply(int fd, reply_kind kind, std::uint32_t id, std::int32_t value) {
  (void)send_message(fd, reply{kind, id, value}); // a worker that went away learns nothing
}

/// Handles one message on a lane; false when the lane closed.
bool serve_lane(lane& l, pid_t self) {
  request req;
  std::vector<int> fds;
  const ssize_t n = receive_message(l.fd, req, fds);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    close_all(fds);
    return true;
  }
  if (n <= 0) {
    close_all(fds);
    return false;
  }
  if (req.kind == request_kind::kill) {
    // Only the lane's own, unreaped reader: its pid cannot have been reused yet.
    if (l.reader > 0 && l.id == req.id)
      ::kill(l.reader, SIGKILL);
  } else if (req.kind == request_kind::spawn) {
    if (fds.size() != 2 || l.reader > 0) {
      send_reply(l.fd, reply_kind::started, req.id, l.reader > 0 ? -EBUSY : -EINVAL);
    } else {
      const pid_t pid = hand_over(l, req, fds, self);
      if (pid < 0) {
        send_reply(l.fd, reply_kind::started, req.id, pid);
      } else {
        l.reader = pid;
        l.id = req.id;
        send_reply(l.fd, reply_kind::started, req.id, pid);
      }
    }
  }
  close_all(fds); // the reader has its copies; ours would keep the pipe from reaching EOF
  return true;
}

/// Reaps every ended reader and reports it on its lane, then forks the lane's next spare (after
/// the report, so that the worker waiting for it is not kept waiting). A spare that died while
/// waiting is only forgotten: the next document forks a new one.
void reap_readers(std::vector<lane>& lanes, pid_t self) {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0)
      return;
    for (auto& l : lanes) {
      if (l.reader == pid) {
        send_reply(l.fd, reply_kind::exited, l.id, status);
        l.reader = -1;
        (void)fork_spare(l, self);
      } else if (l.spare == pid) {
        l.spare = -1;
        drop_spare(l);
      }
    }
  }
}

[[noreturn]] void leave(std::vector<lane>& lanes) {
  for (auto& l : lanes) {
    if (l.reader > 0)
      ::kill(l.reader, SIGKILL);
    drop_spare(l);
  }
  while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  ::_exit(0);
}

[[noreturn]] void zygote_main(int control, pid_t server) noexcept {
  try {
    // Dies with the thread that forked it; the check closes the race with a parent that died
    // before the prctl.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != server)
      ::_exit(0);
    log::set_level(log::level::off); // nothing to say, and stderr may be a client's pipe
    for (int sig = 1; sig < NSIG; ++sig)
      if (sig != SIGKILL && sig != SIGSTOP)
        ::signal(sig, SIG_DFL);
    // A Ctrl-C or a SIGTERM to the process group is for the server, which ends us by closing
    // the control socket once its extractions are done.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGTSTP,
                    SIGTTIN, SIGTTOU})
      ::signal(sig, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ::sigprocmask(SIG_SETMASK, &chld, nullptr); // readers reset their mask
    const int sfd = ::signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0)
      ::_exit(7);
    detail::stdio_to_dev_null();
    close_all_except({control, sfd});
    scrub_environment();
    detail::init_poppler(); // readers inherit a ready poppler (a constant built-in document)
    (void)extract_text(warm_up_pdf, pdf_limits{});
    const pid_t self = ::getpid();

    std::vector<lane> lanes;
    std::vector<pollfd> polled;
    std::vector<std::size_t> warming; // lane of each spare polled for its ready word
    for (;;) {
      polled.clear();
      warming.clear();
      polled.push_back({control, POLLIN, 0});
      polled.push_back({sfd, POLLIN, 0});
      for (const auto& l : lanes)
        polled.push_back({l.fd, POLLIN, 0});
      for (std::size_t i = 0; i < lanes.size(); ++i)
        if (lanes[i].spare_fd >= 0 && !lanes[i].spare_ready) {
          polled.push_back({lanes[i].spare_fd, POLLIN, 0});
          warming.push_back(i);
        }
      if (::poll(polled.data(), polled.size(), -1) < 0) {
        if (errno == EINTR)
          continue;
        leave(lanes);
      }
      for (std::size_t k = 0; k < warming.size(); ++k) {
        lane& l = lanes[warming[k]];
        const pollfd& p = polled[2 + lanes.size() + k];
        if (p.revents != 0 && l.spare_fd == p.fd)
          hear_spare(l);
      }
      if (polled[1].revents != 0) {
        signalfd_siginfo info;
        while (::read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        }
        reap_readers(lanes, self);
      }
      // Lanes before control: a request sent just before the server closed still gets served.
      for (std::size_t i = lanes.size(); i-- > 0;) {
        if (polled[2 + i].revents == 0)
          continue;
        if (!serve_lane(lanes[i], self)) {
          if (lanes[i].reader > 0)
            ::kill(lanes[i].reader, SIGKILL); // reaped by reap_readers, reported to nobody
          drop_spare(lanes[i]);
          ::close(lanes[i].fd);
          lanes.erase(lanes.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
      if (polled[0].revents != 0) {
        request req;
        std::vector<int> fds;
        const ssize_t n = receive_message(control, req, fds);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          close_all(fds);
          leave(lanes);
        }
        if (req.kind == request_kind::open_channel && fds.size() == 1) {
          lanes.push_back(lane{fds[0]});
          (void)fork_spare(lanes.back(), self); // failing here, the first document forks it
        } else
          close_all(fds);
      }
    }
  } catch (...) {
  }
  ::_exit(8);
}

} // namespace

// ---- server side ---------------------------------------------------------------------------

void detail::zygote_process::give_up(const char* why) {
  if (!lost.exchange(true))
    LOG_WARN("pdf", "PDF zygote is gone (" << why
                                           << "); PDF readers are forked from the server instead");
  kill_and_reap();
}

void detail::zygote_process::kill_and_reap() {
  lost = true;
  std::lock_guard<std::mutex> lock(mutex);
  if (reaped || pid <= 0)
    return;
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  reaped = true; // also after ECHILD: someone else reaped it, there is nothing left to wait for
}

zygote_channel::~zygote_channel() {
  if (fd >= 0)
    ::close(fd);
}

result<std::unique_ptr<zygote>> zygote::start() {
  if (thread_count() != 1)
    return make_failure(error_code::internal,
                        "the PDF zygote must be started while the process has a single thread",
                        "pdf");
  auto pair = seqpacket_pair();
  if (!pair)
    return pair.error();
  const auto [server_end, zygote_end] = *pair;
  const pid_t server = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(server_end);
    zygote_main(zygote_end, server);
  }
  const int err = errno;
  ::close(zygote_end);
  if (pid < 0) {
    ::close(server_end);
    return make_failure(error_code::internal,
                        std::string("cannot start the PDF zygote: ") + std::strerror(err), "pdf",
                        true);
  }
  auto process = std::make_shared<detail::zygote_process>();
  process->pid = pid;
  return std::unique_ptr<zygote>(new zygote(std::move(process), server_end));
}

zygote::zygote(std::shared_ptr<detail::zygote_process> process, int control)
    : process_(std::move(process)), control_(control) {}

zygote::~zygote() { stop(); }

pid_t zygote::pid() const { return process_->pid; }

result<zygote_channel*> zygote::open_channel() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (control_ < 0 || process_->lost)
    return make_failure(error_code::internal, "the PDF zygote is not running", "pdf", true);
  auto pair = seqpacket_pair();
  if (!pair)
    return pair.error();
  const auto [server_end, zygote_end] = *pair;
  const bool sent = send_message(control_, request{request_kind::open_channel}, {zygote_end});
  ::close(zygote_end);
  if (!sent) {
    ::close(server_end);
    process_->give_up("its control socket is closed");
    return make_failure(error_code::internal, "the PDF zygote is not running", "pdf", true);
  }
  channels_.push_back(std::make_unique<zygote_channel>(server_end, process_));
  return channels_.back().get();
}

void zygote::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& channel : channels_) {
    std::lock_guard<std::mutex> busy(channel->busy); // lets the document in flight finish
    if (channel->fd >= 0)
      ::close(channel->fd);
    channel->fd = -1;
  }
  if (control_ >= 0)
    ::close(control_);
  control_ = -1;
  // No reader is left (each channel's document is done), so a kill loses nothing.
  process_->kill_and_reap();
}

// ---- one document --------------------------------------------------------------------------

detail::zygote_reader::zygote_reader(zygote_reader&& other) noexcept
    : fd(std::exchange(other.fd, -1)), id(other.id), channel(other.channel),
      hold(std::move(other.hold)), grace(other.grace) {}

detail::zygote_reader::~zygote_reader() {
  if (fd >= 0)
    (void)finish_reader(*this, true);
}

namespace {

/// A memfd holding `data`; the reader maps it (the zygote never touches the bytes).
int document_memfd(std::string_view data) {
  const int fd = ::memfd_create("imap-mcp-pdf", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      ::close(fd);
      return -1;
    }
    done += static_cast<std::size_t>(w);
  }
  return fd;
}

failure start_failure(const char* what) {
  return make_failure(error_code::internal,
                      std::string("cannot start the PDF reader: ") + what + ": " +
                          std::strerror(errno),
                      "pdf", true);
}

/// Closes the channel and gives up on its zygote (one warning naming `why`).
detail::zygote_exit lose_channel(zygote_channel& channel, const char* why) {
  if (channel.fd >= 0)
    ::close(channel.fd);
  channel.fd = -1;
  channel.unreported = 0;
  channel.process->give_up(why);
  return detail::zygote_exit{};
}

/// Waits for the zygote's report on reader `id` of `channel` (its end, or its failed start),
/// asking for a kill first when `kill`, or when the grace passes without a report. A zygote
/// that still does not answer is given up (the result is not known). The caller holds busy.
detail::zygote_exit await_report(zygote_channel& channel, std::uint32_t id, bool kill,
                                 std::chrono::milliseconds grace) {
  detail::zygote_exit out;
  bool kill_sent = false;
  auto send_kill = [&] {
    kill_sent = true;
    return send_message(channel.fd, request{request_kind::kill, id});
  };
  if (kill && !send_kill())
    return lose_channel(channel, "its channel is closed");
  auto until = zygote_clock::now() + grace;
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(until - zygote_clock::now()).count();
    pollfd p{channel.fd, POLLIN, 0};
    const int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(std::min<long long>(left, INT32_MAX)))
                               : 0;
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready < 0)
      return lose_channel(channel, "its channel failed");
    if (ready == 0) {
      // A reader that sent its result but does not end, or a zygote that does not answer: kill
      // once, then give up on the zygote.
      if (kill_sent)
        return lose_channel(channel, "it did not report a reader's end in time");
      if (!send_kill())
        return lose_channel(channel, "its channel is closed");
      until = zygote_clock::now() + grace;
      continue;
    }
    reply r;
    std::vector<int> fds;
    const ssize_t n = receive_message(channel.fd, r, fds);
    close_all(fds);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      continue;
    if (n <= 0)
      return lose_channel(channel, "its channel is closed");
    if (r.id != id)
      continue; // a late reply about an earlier document
    if (r.kind == reply_kind::started && r.value < 0) {
      out.known = true;
      out.start_errno = -r.value;
      return out;
    }
    if (r.kind == reply_kind::exited) {
      out.known = true;
      out.status = r.value;
      return out;
    }
  }
}

} // namespace

result<detail::zygote_reader>
detail::start_reader(zygote_channel& channel, std::string_view data, const pdf_limits& limits,
                     zygote_clock::time_point deadline, std::size_t max_memory,
                     std::chrono::milliseconds grace) {
  zygote_reader reader;
  reader.channel = &channel;
  reader.grace = grace;
  std::unique_lock<std::mutex> hold(channel.busy);
  if (channel.fd >= 0 && !channel.process->lost && channel.unreported != 0) {
    // The previous reader was released with its answer; the zygote forks this lane's next
    // reader only once it has reported that one's end.
    const std::uint32_t previous = std::exchange(channel.unreported, 0);
    (void)await_report(channel, previous, false, grace);
  }
  if (channel.fd < 0 || channel.process->lost)
    return reader; // unavailable: fd stays -1
  const int memfd = document_memfd(data);
  if (memfd < 0)
    return start_failure("memfd");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    auto f = start_failure("pipe");
    ::close(memfd);
    return f;
  }
  request req{request_kind::spawn, channel.next_id++};
  req.deadline_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  req.data_size = data.size();
  req.max_bytes = limits.max_bytes;
  req.max_chars = limits.max_chars;
  req.max_memory = max_memory;
  req.max_pages = limits.max_pages;
  const bool sent = send_message(channel.fd, req, {pipe_fds[1], memfd});
  ::close(pipe_fds[1]);
  ::close(memfd);
  if (!sent) {
    ::close(pipe_fds[0]);
    (void)lose_channel(channel, "its channel is closed");
    return reader; // unavailable
  }
  reader.fd = pipe_fds[0];
  reader.id = req.id;
  reader.hold = std::move(hold);
  return reader;
}

detail::zygote_exit detail::finish_reader(zygote_reader& reader, bool kill) {
  if (reader.fd < 0)
    return {};
  ::close(reader.fd);
  reader.fd = -1;
  const zygote_exit out = await_report(*reader.channel, reader.id, kill, reader.grace);
  reader.hold = {};
  return out;
}

void detail::release_reader(zygote_reader& reader) {
  if (reader.fd < 0)
    return;
  ::close(reader.fd);
  reader.fd = -1;
  zygote_channel& channel = *reader.channel;
  if (send_message(channel.fd, request{request_kind::kill, reader.id}))
    channel.unreported = reader.id;
  else
    (void)lose_channel(channel, "its channel is closed");
  reader.hold = {};
}

} // namespace imap_mcp::pdf
