#include "protocol/util/hostport.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <netinet/in.h>
#include <string>

namespace imap_mcp::net_address {

namespace {

constexpr std::size_t max_port_digits = 5;

failure invalid(std::string what) {
  return make_failure(error_code::invalid_input, std::move(what));
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool is_ipv6_literal(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

/// Decimal digits only: no sign, no blanks, no hex; the length cap keeps the arithmetic small.
std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > max_port_digits)
    return std::nullopt;
  unsigned value = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < 1 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

} // namespace

bool is_loopback(std::string_view host) {
  std::string h(host);
  std::transform(h.begin(), h.end(), h.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (h == "localhost")
    return true;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6))
      return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

result<host_port> split_host_port(std::string_view text) {
  if (text.empty())
    return invalid("address is empty");
  host_port out;
  std::string_view rest;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return invalid("'[' without a closing ']'");
    out.host = std::string(text.substr(1, close - 1));
    out.bracketed = true;
    if (!is_ipv6_literal(out.host))
      return invalid("the bracketed host is not an IPv6 address");
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return invalid("only ':port' may follow ']'");
  } else {
    // The first ':' ends the host, so "::1:80" leaves an empty host and fails below: IPv6
    // needs brackets wherever a port may follow.
    const auto colon = text.find(':');
    const auto name = text.substr(0, colon);
    if (name.empty())
      return invalid("the host is empty (an IPv6 address needs brackets)");
    if (!std::all_of(name.begin(), name.end(), is_name_char))
      return invalid("the host may hold only letters, digits, '-', '.' and '_'");
    out.host = std::string(name);
    if (colon != std::string_view::npos)
      rest = text.substr(colon);
  }
  if (!rest.empty()) {
    out.port = parse_port(rest.substr(1));
    if (!out.port)
      return invalid("the port must be a number in 1..65535");
  }
  return out;
}

} // namespace imap_mcp::net_address
