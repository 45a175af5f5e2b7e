#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "protocol/imap/mutf7.hpp"

/// Helpers shared by the fuzz targets: a property failure must end the run like a crash, so
/// libFuzzer saves the input as a reproducer.
namespace imap_mcp::fuzz {

/// Aborts with `what` when `ok` is false (abort() is what libFuzzer reports as a crash).
inline void check(bool ok, const char* what) {
  if (ok)
    return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

/// Aborts unless `text` is well-formed UTF-8 (every adapter promises UTF-8 output, which JSON
/// serialization relies on).
inline void check_utf8(std::string_view text, const char* what) {
  check(imap::is_valid_utf8(text), what);
}

/// Chunk sizes for feeding bytes in pieces, derived from the input itself: the corpus stays raw
/// wire data (no control bytes in front), yet every input is split the same way on replay.
class splitter {
public:
  explicit splitter(std::string_view data) {
    // FNV-1a over the data seeds the generator.
    state_ = 1469598103934665603ull;
    for (unsigned char c : data)
      state_ = (state_ ^ c) * 1099511628211ull;
  }

  /// The next piece length in [1, max].
  std::size_t next(std::size_t max) {
    // splitmix64
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    // Mostly tiny pieces (1-3 bytes split tokens and CRLFs), sometimes big ones.
    const std::size_t cap = (z & 3) == 0 ? max : std::min<std::size_t>(max, 3);
    return 1 + static_cast<std::size_t>((z >> 8) % cap);
  }

private:
  std::uint64_t state_;
};

} // namespace imap_mcp::fuzz
