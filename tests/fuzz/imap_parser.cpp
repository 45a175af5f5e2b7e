// Fuzz target: the IMAP response parser (protocol/imap/parser).
//
// Input: raw server bytes. They are parsed twice, once fed whole and once in pieces of varying
// size (through feed() and through prepare()/commit()), and both runs must see the same
// sequence of responses and errors: a literal or CRLF split across reads must not change what
// the client understands.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "protocol/imap/parser.hpp"
#include "tests/fuzz/check.hpp"

using namespace imap_mcp;

namespace {

/// What one next() call produced, compared across the two runs.
struct event {
  imap::parse_status status;
  std::size_t kind; ///< variant index of the response
  std::string error;

  bool operator==(const event&) const = default;
};

/// Small bounds so the limit paths are reached with small inputs.
imap::parser_limits small_limits() {
  imap::parser_limits lim;
  lim.max_line_length = 4096;
  lim.max_literal_size = 64 * 1024;
  lim.max_response_size = 256 * 1024;
  lim.max_depth = 40;
  return lim;
}

/// Takes every complete response out of the parser.
void drain(imap::response_parser& p, std::vector<event>& out) {
  // Each response consumes bytes, so the loop ends; the cap guards against a parser that
  // reports the same thing forever without being failed().
  for (int guard = 0; guard < 1'000'000; ++guard) {
    imap::response r;
    const auto st = p.next(r);
    if (st == imap::parse_status::need_more)
      return;
    out.push_back({st, st == imap::parse_status::response ? r.index() : 0,
                   st == imap::parse_status::error ? p.error().message : std::string()});
    if (p.failed())
      return;
  }
  fuzz::check(false, "parser keeps returning results without consuming input");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  fuzz::splitter split(wire);
  const bool greeting = split.next(2) == 1;

  std::vector<event> whole;
  {
    imap::response_parser p(small_limits());
    if (greeting)
      p.expect_greeting();
    p.feed(wire);
    drain(p, whole);
  }

  std::vector<event> pieces;
  {
    imap::response_parser p(small_limits());
    if (greeting)
      p.expect_greeting();
    std::size_t pos = 0;
    bool use_prepare = false;
    while (pos < wire.size() && !p.failed()) {
      const auto n = std::min(split.next(64), wire.size() - pos);
      if (use_prepare) {
        auto area = p.prepare(n);
        fuzz::check(area.size() >= n, "prepare() returned a smaller area than asked");
        std::memcpy(area.data(), wire.data() + pos, n);
        p.commit(n);
      } else {
        p.feed(wire.substr(pos, n));
      }
      use_prepare = !use_prepare;
      pos += n;
      drain(p, pieces);
    }
  }
  fuzz::check(whole == pieces, "responses depend on how the bytes were split");
  return 0;
}
