#include "protocol/http/session_id.hpp"

#include <algorithm>

#include <openssl/rand.h>

namespace imap_mcp::http {

result<std::string> new_session_id() {
  unsigned char bytes[session_id_bytes];
  if (RAND_bytes(bytes, static_cast<int>(sizeof bytes)) != 1)
    return make_failure(error_code::internal, "the random number generator failed", "session");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof bytes);
  for (unsigned char b : bytes) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 0x0f]);
  }
  return out;
}

bool well_formed_session_id(std::string_view id) {
  return id.size() == 2 * session_id_bytes && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

} // namespace imap_mcp::http
