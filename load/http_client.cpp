#include "load/http_client.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace imap_mcp::load {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

using clock_type = std::chrono::steady_clock;

int remaining_ms(clock_type::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left) + 1;
}

} // namespace

std::string http_response::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

bool http_response::closes() const {
  return lower(header("connection")).find("close") != std::string::npos;
}

response_parser::response_parser(std::size_t max_head, std::size_t max_body)
    : max_head_(max_head), max_body_(max_body) {}

void response_parser::reset() {
  phase_ = phase::head;
  remaining_ = 0;
  response_ = {};
  error_.clear();
  pristine_ = buffer_.empty();
}

response_parser::state response_parser::fail(std::string why) {
  phase_ = phase::failed;
  error_ = std::move(why);
  return state::error;
}

response_parser::state response_parser::feed(std::string_view bytes) {
  if (phase_ == phase::failed)
    return state::error;
  if (!bytes.empty())
    pristine_ = false;
  buffer_.append(bytes);
  return run();
}

response_parser::state response_parser::finish() {
  if (phase_ == phase::until_close) {
    response_.body += buffer_;
    buffer_.clear();
    phase_ = phase::complete;
    return state::done;
  }
  if (phase_ == phase::complete)
    return state::done;
  return fail(pristine_ ? "connection closed before a response"
                        : "connection closed in the middle of a response");
}

response_parser::state response_parser::parse_head() {
  auto end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (buffer_.size() > max_head_)
      return fail("response head exceeds " + std::to_string(max_head_) + " bytes");
    return state::need_more;
  }
  std::string_view head(buffer_.data(), end);
  auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12 || status_line[8] != ' ')
    return fail("malformed status line");
  int code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9')
      return fail("malformed status code");
    code = code * 10 + (status_line[i] - '0');
  }
  http_response r;
  r.status = code;
  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto next = head.find("\r\n", pos);
    std::string_view line =
        head.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    pos = next == std::string_view::npos ? head.size() : next + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail("malformed header line");
    r.headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  buffer_.erase(0, end + 4);
  if (code >= 100 && code < 200)
    return parse_head(); // interim answer: the real one follows
  response_ = std::move(r);
  if (code == 204 || code == 304) {
    phase_ = phase::complete;
    return state::done;
  }
  if (lower(response_.header("transfer-encoding")).find("chunked") != std::string::npos) {
    phase_ = phase::chunk_size;
  } else if (auto cl = response_.header("content-length"); !cl.empty()) {
    std::uint64_t n = 0;
    for (char c : cl) {
      if (c < '0' || c > '9' || n > max_body_)
        return fail("malformed Content-Length");
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (n > max_body_)
      return fail("body exceeds " + std::to_string(max_body_) + " bytes");
    remaining_ = static_cast<std::size_t>(n);
    phase_ = phase::body_length;
  } else {
    phase_ = phase::until_close;
  }
  return state::need_more;
}

response_parser::state response_parser::run() {
  for (;;) {
    switch (phase_) {
    case phase::head: {
      auto s = parse_head();
      if (s == state::error || phase_ == phase::head)
        return s;
      if (phase_ == phase::complete)
        return state::done;
      break;
    }
    case phase::body_length: {
      const std::size_t take = std::min(remaining_, buffer_.size());
      response_.body.append(buffer_, 0, take);
      buffer_.erase(0, take);
      remaining_ -= take;
      if (remaining_ > 0)
        return state::need_more;
      phase_ = phase::complete;
      return state::done;
    }
    case phase::chunk_size: {
      auto eol = buffer_.find("\r\n");
      if (eol == std::string::npos) {
        if (buffer_.size() > 1024)
          return fail("malformed chunk size line");
        return state::need_more;
      }
      std::size_t n = 0;
      std::size_t i = 0;
      for (; i < eol; ++i) {
        const char c = buffer_[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
          break;
        n = n * 16 + static_cast<std::size_t>(d);
        if (n > max_body_)
          return fail("chunk exceeds the body limit");
      }
      if (i == 0 || (i < eol && buffer_[i] != ';' && buffer_[i] != ' '))
        return fail("malformed chunk size");
      buffer_.erase(0, eol + 2);
      if (n == 0) {
        phase_ = phase::trailers;
      } else {
        if (response_.body.size() + n > max_body_)
          return fail("body exceeds the limit");
        remaining_ = n;
        phase_ = phase::chunk_data;
      }
      break;
    }
    case phase::chunk_data: {
      const std::size_t take = std::min(remaining_, buffer_.size());
      response_.body.append(buffer_, 0, take);
      buffer_.erase(0, take);
      remaining_ -= take;
      if (remaining_ > 0)
        return state::need_more;
      phase_ = phase::chunk_crlf;
      break;
    }
    case phase::chunk_crlf:
      if (buffer_.size() < 2)
        return state::need_more;
      if (buffer_.compare(0, 2, "\r\n") != 0)
        return fail("chunk not followed by CRLF");
      buffer_.erase(0, 2);
      phase_ = phase::chunk_size;
      break;
    case phase::trailers: {
      // Trailer lines until an empty line.
      auto eol = buffer_.find("\r\n");
      if (eol == std::string::npos) {
        if (buffer_.size() > max_head_)
          return fail("trailers too long");
        return state::need_more;
      }
      buffer_.erase(0, eol + 2);
      if (eol == 0) {
        phase_ = phase::complete;
        return state::done;
      }
      break;
    }
    case phase::until_close:
      if (response_.body.size() + buffer_.size() > max_body_)
        return fail("body exceeds the limit");
      return state::need_more;
    case phase::complete:
      return state::done;
    case phase::failed:
      return state::error;
    }
  }
}

std::vector<std::string> sse_data(std::string_view body) {
  std::vector<std::string> out;
  std::string data;
  bool have = false;
  std::size_t pos = 0;
  auto dispatch = [&] {
    if (have)
      out.push_back(data);
    data.clear();
    have = false;
  };
  while (pos < body.size()) {
    auto eol = body.find('\n', pos);
    std::string_view line =
        body.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? body.size() : eol + 1;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty()) {
      dispatch();
      continue;
    }
    if (line.front() == ':')
      continue;
    auto colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    if (field == "data") {
      if (have)
        data += '\n';
      data.append(value);
      have = true;
    }
  }
  dispatch();
  return out;
}

const char* failure_key(transport_failure f) {
  switch (f) {
  case transport_failure::connect:
    return "connect";
  case transport_failure::timeout:
    return "timeout";
  case transport_failure::closed:
    return "closed";
  case transport_failure::protocol:
    return "protocol";
  case transport_failure::aborted:
    return "aborted";
  }
  return "?";
}

http_connection::http_connection(std::string host, std::uint16_t port, int connect_timeout_ms,
                                 int request_timeout_ms)
    : host_(std::move(host)), port_(port), connect_timeout_ms_(connect_timeout_ms),
      request_timeout_ms_(request_timeout_ms) {}

http_connection::~http_connection() {
  close();
}

void http_connection::abort() {
  aborted_ = true;
  std::lock_guard lock(fd_mutex_);
  if (fd_ >= 0)
    ::shutdown(fd_, SHUT_RDWR);
}

void http_connection::close() {
  std::lock_guard lock(fd_mutex_);
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  leftover_.clear();
}

std::optional<http_error> http_connection::open() {
  close();
  if (aborted_)
    return http_error{transport_failure::aborted, "aborted"};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_);
  if (int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res); rc != 0)
    return http_error{transport_failure::connect,
                      std::string("resolve ") + host_ + ": " + gai_strerror(rc)};
  std::string last = "no address";
  const auto deadline = clock_type::now() + std::chrono::milliseconds(connect_timeout_ms_);
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    int s =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (s < 0) {
      last = std::strerror(errno);
      continue;
    }
    int rc = ::connect(s, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{s, POLLOUT, 0};
      int pr;
      do
        pr = ::poll(&p, 1, remaining_ms(deadline));
      while (pr < 0 && errno == EINTR);
      if (pr == 0) {
        ::close(s);
        freeaddrinfo(res);
        return http_error{transport_failure::connect,
                          "connect timed out after " + std::to_string(connect_timeout_ms_) + " ms"};
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last = std::strerror(errno);
      ::close(s);
      continue;
    }
    fd = s;
  }
  freeaddrinfo(res);
  if (fd < 0)
    return http_error{transport_failure::connect,
                      "connect to " + host_ + ":" + port + " failed: " + last};
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  {
    std::lock_guard lock(fd_mutex_);
    fd_ = fd;
  }
  ++connects_;
  if (aborted_)
    return http_error{transport_failure::aborted, "aborted"};
  return std::nullopt;
}

std::optional<http_error> http_connection::exchange(const std::string& wire, http_response& out,
                                                    bool& nothing_received) {
  nothing_received = true;
  const auto deadline = clock_type::now() + std::chrono::milliseconds(request_timeout_ms_);
  const int fd = fd_;
  auto failed = [&](transport_failure k, std::string m) -> std::optional<http_error> {
    if (aborted_)
      k = transport_failure::aborted;
    return http_error{k, std::move(m)};
  };
  std::size_t sent = 0;
  while (sent < wire.size()) {
    ssize_t n = ::send(fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      int left = remaining_ms(deadline);
      if (left == 0 || ::poll(&p, 1, left) == 0)
        return failed(transport_failure::timeout, "send timed out");
      continue;
    }
    return failed(transport_failure::closed, std::string("send failed: ") + std::strerror(errno));
  }
  response_parser parser;
  auto state = parser.feed(std::exchange(leftover_, {}));
  char buf[16384];
  while (state == response_parser::state::need_more) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      nothing_received = false;
      state = parser.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0) {
      state = parser.finish();
      if (state == response_parser::state::done)
        break;
      return failed(transport_failure::closed, parser.error_text());
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd, POLLIN, 0};
      int left = remaining_ms(deadline);
      int pr = left == 0 ? 0 : ::poll(&p, 1, left);
      if (pr == 0)
        return failed(transport_failure::timeout,
                      "no answer within " + std::to_string(request_timeout_ms_) + " ms");
      continue;
    }
    return failed(transport_failure::closed, std::string("recv failed: ") + std::strerror(errno));
  }
  if (state == response_parser::state::error)
    return failed(transport_failure::protocol, parser.error_text());
  leftover_ = parser.take_rest();
  out = std::move(parser.response());
  return std::nullopt;
}

std::pair<http_response, std::optional<http_error>>
http_connection::request(const std::string& method, const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::string_view body) {
  std::string wire;
  wire.reserve(256 + body.size());
  wire += method + " " + path + " HTTP/1.1\r\nHost: " +
          (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) + ":" +
          std::to_string(port_) + "\r\nConnection: keep-alive\r\n";
  for (const auto& [k, v] : headers)
    wire += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST")
    wire += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  wire += "\r\n";
  wire.append(body);

  http_response response;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (aborted_)
      return {response, http_error{transport_failure::aborted, "aborted"}};
    const bool reused = fd_ >= 0;
    if (!reused)
      if (auto e = open())
        return {response, e};
    bool nothing = true;
    auto e = exchange(wire, response, nothing);
    if (!e) {
      if (response.closes())
        close();
      return {std::move(response), std::nullopt};
    }
    close();
    // The server may close an idle keep-alive connection just as we send on it: then it read
    // nothing of this request, and one retry on a fresh connection is safe.
    if (!(reused && nothing && e->kind == transport_failure::closed))
      return {response, e};
  }
  return {response, http_error{transport_failure::closed, "connection closed twice"}};
}

} // namespace imap_mcp::load
