#include "protocol/http/parser.hpp"

#include <algorithm>
#include <cctype>

#include <http_parser.h>

namespace imap_mcp::http {

namespace {

/// Request buffers larger than this are released after a request instead of being kept
/// for the next one, so an idle keep-alive connection stays small.
constexpr std::size_t kept_buffer_bytes = 16 * 1024;
/// Bytes counted per header line for the name/value separator and the line end.
constexpr std::size_t header_line_overhead = 4;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// The path of a request-target: origin form "/p?q", absolute form "http://h/p?q", or "*".
std::string path_of(std::string_view target) {
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    auto authority = target.find("//") + 2;
    auto slash = target.find('/', authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  auto end = target.find_first_of("?#");
  return std::string(target.substr(0, end));
}

} // namespace

const std::string* request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name)
      return &value;
  return nullptr;
}

std::size_t request::header_count(std::string_view lower_name) const {
  return static_cast<std::size_t>(std::count_if(
      headers.begin(), headers.end(), [&](const auto& h) { return h.first == lower_name; }));
}

void request::clear() {
  method.clear();
  target.clear();
  path.clear();
  headers.clear();
  if (body.capacity() > kept_buffer_bytes)
    std::string().swap(body);
  else
    body.clear();
  if (headers.capacity() > 64)
    decltype(headers)().swap(headers);
  version_major = 1;
  version_minor = 1;
  keep_alive = true;
}

struct request_parser::impl {
  http_parser parser{};
  parser_limits limits;
  request req;
  std::size_t header_bytes = 0;
  std::size_t body_bytes = 0;
  bool last_was_value = false;
  bool started = false;
  bool headers_done = false;
  bool message_done = false;
  bool continue_pending = false;
  int status = 0;
  std::string_view reason;

  explicit impl(parser_limits l) : limits(l) { init(); }

  void init() {
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = this;
    header_bytes = 0;
    body_bytes = 0;
    last_was_value = false;
    started = false;
    headers_done = false;
    message_done = false;
    continue_pending = false;
    status = 0;
    reason = {};
  }

  static impl& self(http_parser* p) { return *static_cast<impl*>(p->data); }

  /// Records the answer for a refused request; the return value stops http-parser (-1,
  /// because on_headers_complete gives 1 and 2 other meanings: "no body", "upgrade").
  int fail(int code, std::string_view why) {
    if (status == 0) {
      status = code;
      reason = why;
    }
    return -1;
  }

  int count_header_bytes(std::size_t n) {
    header_bytes += n;
    if (header_bytes > limits.max_header_bytes)
      return fail(431, "request headers too large");
    return 0;
  }

  static int on_message_begin(http_parser* p) {
    self(p).started = true;
    return 0;
  }

  static int on_url(http_parser* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.req.target.append(at, n);
    return s.count_header_bytes(n);
  }

  static int on_header_field(http_parser* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (s.req.headers.empty() || s.last_was_value) {
      if (s.req.headers.size() >= s.limits.max_headers)
        return s.fail(431, "too many request headers");
      s.req.headers.emplace_back();
      s.last_was_value = false;
      if (auto rc = s.count_header_bytes(header_line_overhead))
        return rc;
    }
    auto& name = s.req.headers.back().first;
    for (std::size_t i = 0; i < n; ++i)
      name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(at[i]))));
    return s.count_header_bytes(n);
  }

  static int on_header_value(http_parser* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.last_was_value = true;
    s.req.headers.back().second.append(at, n);
    return s.count_header_bytes(n);
  }

  static int on_headers_complete(http_parser* p) {
    auto& s = self(p);
    s.headers_done = true;
    for (auto& [name, value] : s.req.headers) {
      auto t = trim(value);
      if (t.size() != value.size())
        value = std::string(t);
    }
    s.req.method = http_method_str(static_cast<http_method>(p->method));
    s.req.version_major = p->http_major;
    s.req.version_minor = p->http_minor;
    s.req.keep_alive = http_should_keep_alive(p) != 0;
    s.req.path = path_of(s.req.target);
    if (p->http_major != 1)
      return s.fail(505, "HTTP version not supported");
    if (s.req.header_count("host") > 1)
      return s.fail(400, "more than one Host header");
    if (s.req.header_count("content-length") > 1)
      return s.fail(400, "more than one Content-Length header");
    const bool chunked = (p->flags & F_CHUNKED) != 0;
    if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > s.limits.max_body_bytes)
      return s.fail(413, "request body too large");
    const bool has_body = chunked || ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > 0);
    if (const auto* expect = s.req.header("expect")) {
      if (!iequals(*expect, "100-continue"))
        return s.fail(417, "unsupported Expect header");
      s.continue_pending = has_body;
    }
    return 0;
  }

  static int on_body(http_parser* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.body_bytes += n;
    if (s.body_bytes > s.limits.max_body_bytes)
      return s.fail(413, "request body too large");
    s.req.body.append(at, n);
    return 0;
  }

  static int on_message_complete(http_parser* p) {
    auto& s = self(p);
    s.message_done = true;
    s.continue_pending = false;
    // Stop here: bytes after this request belong to the next one, which is parsed only
    // when this one has been answered.
    http_parser_pause(p, 1);
    return 0;
  }

  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings x;
      http_parser_settings_init(&x);
      x.on_message_begin = &impl::on_message_begin;
      x.on_url = &impl::on_url;
      x.on_header_field = &impl::on_header_field;
      x.on_header_value = &impl::on_header_value;
      x.on_headers_complete = &impl::on_headers_complete;
      x.on_body = &impl::on_body;
      x.on_message_complete = &impl::on_message_complete;
      return x;
    }();
    return s;
  }
};

request_parser::request_parser(parser_limits limits) : impl_(std::make_unique<impl>(limits)) {}

request_parser::~request_parser() = default;

parse_result request_parser::feed(std::string_view bytes) {
  auto& s = *impl_;
  if (s.status != 0)
    return {parse_state::error, 0};
  if (s.message_done)
    return {parse_state::complete, 0};
  if (bytes.empty())
    return {parse_state::need_more, 0};
  const std::size_t n =
      http_parser_execute(&s.parser, &impl::settings(), bytes.data(), bytes.size());
  const auto err = static_cast<http_errno>(s.parser.http_errno);
  if (s.parser.upgrade) {
    s.fail(400, "protocol upgrade is not supported");
    return {parse_state::error, n};
  }
  if (err == HPE_PAUSED && s.message_done)
    return {parse_state::complete, n};
  if (err == HPE_OK)
    return {parse_state::need_more, n};
  switch (err) {
  case HPE_HEADER_OVERFLOW:
    s.fail(431, "request headers too large");
    break;
  case HPE_INVALID_VERSION:
    s.fail(505, "HTTP version not supported");
    break;
  default:
    s.fail(400, "malformed HTTP request");
    break;
  }
  return {parse_state::error, n};
}

int request_parser::error_status() const {
  return impl_->status;
}

std::string_view request_parser::error_reason() const {
  return impl_->reason;
}

bool request_parser::started() const {
  return impl_->started;
}

bool request_parser::headers_complete() const {
  return impl_->headers_done;
}

bool request_parser::take_continue() {
  bool pending = impl_->continue_pending;
  impl_->continue_pending = false;
  return pending;
}

request& request_parser::current() {
  return impl_->req;
}

void request_parser::reset() {
  impl_->req.clear();
  impl_->init();
}

} // namespace imap_mcp::http
