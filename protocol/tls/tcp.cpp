#include "protocol/tls/tcp.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "protocol/util/log.hpp"

namespace imap_mcp::tls::detail {

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

void unique_fd::reset() {
  if (fd_ >= 0) {
    // Linux closes the descriptor even when close() reports EINTR: never retry.
    ::close(fd_);
    fd_ = -1;
  }
}

int remaining_ms(clock::time_point deadline) {
  auto left = deadline - clock::now();
  if (left <= clock::duration::zero())
    return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

wait_result wait_fd(int fd, short events, clock::time_point deadline) {
  for (;;) {
    int left = remaining_ms(deadline);
    if (left <= 0)
      return wait_result::timeout;
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, left);
    if (rc > 0)
      return wait_result::ready;
    if (rc == 0)
      continue; // re-check the clock: poll may wake a little early
    if (errno != EINTR)
      return wait_result::ready; // let the I/O call report the error
  }
}

std::string strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return std::string{host};
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string endpoint_label(std::string_view host, std::uint16_t port) {
  std::string h = strip_brackets(host);
  if (h.find(':') != std::string::npos)
    h = "[" + h + "]";
  return h + ":" + std::to_string(port);
}

namespace {

struct addrinfo_deleter {
  void operator()(addrinfo* list) const {
    if (list != nullptr)
      freeaddrinfo(list);
  }
};
using addrinfo_list = std::unique_ptr<addrinfo, addrinfo_deleter>;

/// A getaddrinfo() call running on its own thread, so the caller can stop waiting at its
/// deadline; whoever finishes last (caller or resolver thread) frees the result.
struct resolve_job {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  bool abandoned = false;
  int rc = 0;
  int sys_errno = 0;
  addrinfo* list = nullptr;
};

failure resolve_failure(const std::string& label, int rc, int sys_errno) {
  std::string why = rc == EAI_SYSTEM ? std::strerror(sys_errno) : gai_strerror(rc);
  return make_failure(error_code::internal,
                      "connect to " + label + " failed: cannot resolve host name: " + why,
                      "connect", true);
}

result<addrinfo_list> resolve(const std::string& host, std::uint16_t port, const std::string& label,
                              clock::time_point deadline, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  // No AI_ADDRCONFIG: on hosts with only loopback it would hide "localhost".
  hints.ai_flags = AI_NUMERICSERV;
  const std::string service = std::to_string(port);

  if (is_ip_literal(host)) {
    // Numeric: answered at once without touching DNS, no thread needed.
    hints.ai_flags |= AI_NUMERICHOST;
    addrinfo* list = nullptr;
    int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    if (rc != 0)
      return resolve_failure(label, rc, errno);
    return addrinfo_list{list};
  }

  auto job = std::make_shared<resolve_job>();
  std::thread worker{[job, host, service, hints] {
    addrinfo* list = nullptr;
    int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    int sys_errno = errno;
    std::lock_guard<std::mutex> guard{job->mutex};
    if (job->abandoned) {
      if (list != nullptr)
        freeaddrinfo(list);
      return;
    }
    job->rc = rc;
    job->sys_errno = sys_errno;
    job->list = list;
    job->done = true;
    job->finished.notify_one();
  }};
  worker.detach();

  std::unique_lock<std::mutex> lock{job->mutex};
  if (!job->finished.wait_until(lock, deadline, [&] { return job->done; })) {
    job->abandoned = true;
    return make_failure(error_code::timeout,
                        "connect to " + label + " timed out after " + std::to_string(timeout_ms) +
                            " ms (resolving the host name)",
                        "connect", true);
  }
  if (job->rc != 0)
    return resolve_failure(label, job->rc, job->sys_errno);
  return addrinfo_list{job->list};
}

void tune_socket(int fd) {
  int one = 1;
  // IMAP is request/response with small commands: Nagle would only add latency.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Long-lived pooled connections: let the kernel notice dead peers.
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}

} // namespace

result<unique_fd> tcp_connect(const std::string& host_in, std::uint16_t port, int timeout_ms) {
  const std::string host = strip_brackets(host_in);
  const std::string label = endpoint_label(host, port);
  const auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
  failure timed_out =
      make_failure(error_code::timeout,
                   "connect to " + label + " timed out after " + std::to_string(timeout_ms) + " ms",
                   "connect", true);
  try {
    auto resolved = resolve(host, port, label, deadline, timeout_ms);
    if (!resolved)
      return resolved.error();

    std::size_t count = 0;
    for (addrinfo* ai = resolved->get(); ai != nullptr; ai = ai->ai_next)
      ++count;
    std::string last_error = "no address found";
    std::size_t index = 0;
    for (addrinfo* ai = resolved->get(); ai != nullptr; ai = ai->ai_next, ++index) {
      if (remaining_ms(deadline) <= 0)
        return timed_out;
      // Each remaining address gets an equal share of what is left, so a black-holed first
      // address (typically IPv6) cannot starve the others.
      auto left = deadline - clock::now();
      auto attempt_deadline = clock::now() + left / static_cast<long>(count - index);

      unique_fd fd{
          ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)};
      if (fd.get() < 0) {
        last_error = std::strerror(errno);
        continue;
      }
      tune_socket(fd.get());
      if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
      if (errno != EINPROGRESS && errno != EINTR) {
        last_error = std::strerror(errno);
        continue;
      }
      if (wait_fd(fd.get(), POLLOUT, attempt_deadline) == wait_result::timeout) {
        last_error = "timed out";
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
      if (err == 0)
        return fd;
      last_error = std::strerror(err);
      LOG_DEBUG("tls", "connect to " << label << " (address " << index + 1 << " of " << count
                                     << ") failed: " << last_error);
    }
    if (remaining_ms(deadline) <= 0)
      return timed_out;
    return make_failure(error_code::internal, "connect to " + label + " failed: " + last_error,
                        "connect", true);
  } catch (const std::exception& e) {
    // std::thread or allocation failure: out of resources, worth a retry later.
    return make_failure(error_code::internal, "connect to " + label + " failed: " + e.what(),
                        "connect", true);
  }
}

} // namespace imap_mcp::tls::detail
