#include "protocol/http/guard.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>

#include <openssl/crypto.h>

#include "protocol/util/hostport.hpp"

namespace imap_mcp::http {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Same address or name: IPv6 literals compared by value, names case-insensitively.
bool same_host(const std::string& a, const std::string& b) {
  in6_addr x{}, y{};
  if (inet_pton(AF_INET6, a.c_str(), &x) == 1 && inet_pton(AF_INET6, b.c_str(), &y) == 1)
    return std::equal(std::begin(x.s6_addr), std::end(x.s6_addr), std::begin(y.s6_addr));
  return lower(a) == lower(b);
}

} // namespace

bool listen_info::loopback() const {
  return net_address::is_loopback(host);
}

bool listen_info::wildcard() const {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return v4.s_addr == 0;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1)
    return IN6_IS_ADDR_UNSPECIFIED(&v6);
  return false;
}

std::optional<host_port> parse_host_header(std::string_view value) {
  auto split = net_address::split_host_port(value);
  if (!split)
    return std::nullopt;
  return host_port{lower(split->host), split->port};
}

bool host_allowed(std::string_view host_header, const listen_info& listen) {
  auto hp = parse_host_header(host_header);
  if (!hp)
    return false;
  if (listen.loopback())
    return net_address::is_loopback(hp->host);
  if (listen.wildcard())
    return true;
  return same_host(hp->host, listen.host);
}

bool origin_allowed(std::string_view origin, std::span<const std::string> allowed,
                    const listen_info& listen) {
  const std::string o = lower(origin);
  for (const auto& a : allowed)
    if (o == a)
      return true;
  if (!listen.loopback())
    return false;
  std::string_view rest{o};
  if (rest.rfind("http://", 0) == 0)
    rest.remove_prefix(7);
  else if (rest.rfind("https://", 0) == 0)
    rest.remove_prefix(8);
  else
    return false;
  auto hp = parse_host_header(rest);
  return hp && (hp->host == "localhost" || hp->host == "127.0.0.1" || hp->host == "::1");
}

std::optional<std::string_view> bearer_credential(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size())
    return std::nullopt;
  if (lower(authorization.substr(0, scheme.size())) != scheme)
    return std::nullopt;
  auto rest = authorization.substr(scheme.size());
  if (rest.front() != ' ')
    return std::nullopt;
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t'))
    rest.remove_suffix(1);
  if (rest.empty() || rest.find(' ') != std::string_view::npos)
    return std::nullopt;
  return rest;
}

std::optional<std::size_t> match_token(std::string_view candidate,
                                       std::span<const std::string_view> tokens) {
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    const std::size_t common = std::min(t.size(), candidate.size());
    const int content_differs = CRYPTO_memcmp(t.data(), candidate.data(), common);
    const std::size_t length_differs = t.size() ^ candidate.size();
    const bool equal = (static_cast<std::size_t>(content_differs != 0) | length_differs) == 0;
    if (equal && !found)
      found = i;
  }
  return found;
}

} // namespace imap_mcp::http
