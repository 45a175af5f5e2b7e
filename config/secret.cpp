#include "config/secret.hpp"

#include <algorithm>

#include <openssl/crypto.h>

namespace imap_mcp {

secret& secret::operator=(const secret& other) {
  if (this != &other) {
    // Wipe first: the assignment may reallocate and free the old buffer unwiped.
    wipe();
    value_ = other.value_;
  }
  return *this;
}

secret& secret::operator=(secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    // A short (SSO) string is copied, not stolen, so the source still holds the bytes.
    other.wipe();
  }
  return *this;
}

bool secret::equals(const std::string& candidate) const {
  // Content is compared over the common length with a constant-time primitive, and the
  // length check is folded in afterwards, so the time does not depend on where the
  // first differing byte is.
  const std::size_t common = std::min(value_.size(), candidate.size());
  const int content_differs = CRYPTO_memcmp(value_.data(), candidate.data(), common);
  const std::size_t length_differs = value_.size() ^ candidate.size();
  return (static_cast<std::size_t>(content_differs != 0) | length_differs) == 0;
}

void secret::wipe() noexcept {
  // The whole capacity: bytes past size() may still hold an older, longer value.
  if (value_.capacity() > 0)
    OPENSSL_cleanse(value_.data(), value_.capacity());
  value_.clear();
}

} // namespace imap_mcp
