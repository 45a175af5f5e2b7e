#pragma once

#include <iosfwd>
#include <string>

namespace imap_mcp {

/// Holds a password, token or key. It cannot be streamed or formatted (operator<< is
/// deleted), its only accessor is the explicit reveal(), and its bytes are wiped when it
/// is destroyed or reassigned.
class secret {
public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}
  secret(const secret& other) : value_(other.value_) {}
  secret(secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
  secret& operator=(const secret& other);
  secret& operator=(secret&& other) noexcept;
  ~secret() { wipe(); }

  /// The secret bytes; use only at the point where they go on the wire.
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  /// Constant-time comparison (for bearer tokens).
  bool equals(const std::string& candidate) const;

  friend std::ostream& operator<<(std::ostream&, const secret&) = delete;

private:
  void wipe() noexcept;
  std::string value_;
};

} // namespace imap_mcp
