#include <catch2/catch.hpp>

#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "config/secret.hpp"

using imap_mcp::secret;

namespace {

/// Detection idiom: true when `os << value` compiles for T.
template <class T, class = void> struct is_streamable : std::false_type {};
template <class T>
struct is_streamable<
    T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};

// The idiom itself works (a string is streamable) ...
static_assert(is_streamable<std::string>::value);
// ... and a secret cannot be printed by accident, nor turned into a string implicitly.
static_assert(!is_streamable<secret>::value, "secret must not be streamable");
static_assert(!std::is_convertible_v<secret, std::string>);
static_assert(!std::is_convertible_v<std::string, secret>, "construction must be explicit");

const std::string long_value = "a password well beyond the small-string buffer, 0123456789";
const std::string short_value = "pw-short";

} // namespace

TEST_CASE("secret reveals exactly what it holds", "[secret]") {
  secret s{long_value};
  CHECK(s.reveal() == long_value);
  CHECK_FALSE(s.empty());
  CHECK(secret{}.empty());
  CHECK(secret{}.reveal().empty());
}

TEST_CASE("a moved-from secret is empty", "[secret]") {
  for (const auto& value : {long_value, short_value}) {
    INFO("value length " << value.size());
    secret a{value};
    secret b{std::move(a)};
    CHECK(a.reveal().empty()); // NOLINT(bugprone-use-after-move): that is the point
    CHECK(a.empty());
    CHECK(b.reveal() == value);

    secret c;
    c = std::move(b);
    CHECK(b.reveal().empty()); // NOLINT(bugprone-use-after-move)
    CHECK(c.reveal() == value);
  }
}

TEST_CASE("copying a secret keeps both, assignment replaces the old value", "[secret]") {
  secret a{long_value};
  secret b{a};
  CHECK(a.reveal() == long_value);
  CHECK(b.reveal() == long_value);

  secret c{short_value};
  c = a;
  CHECK(c.reveal() == long_value);
  c = secret{short_value};
  CHECK(c.reveal() == short_value);

  auto& self = c;
  c = self;
  CHECK(c.reveal() == short_value);
  c = std::move(self);
  CHECK(c.reveal() == short_value);
}

TEST_CASE("secret::equals is exact equality", "[secret]") {
  struct row {
    std::string held, candidate;
    bool equal;
  };
  const std::string nul_inside("ab\0cd", 5);
  const row rows[] = {
      {"token-123", "token-123", true},
      {"token-123", "token-124", false}, // last byte differs
      {"token-123", "Token-123", false}, // first byte differs
      {"token-123", "token-12", false},  // candidate is a prefix
      {"token-12", "token-123", false},  // held value is a prefix
      {"token-123", "", false},
      {"", "token-123", false},
      {"", "", true},
      {nul_inside, nul_inside, true},
      {nul_inside, std::string("ab\0ce", 5), false}, // difference after an embedded NUL
      {nul_inside, "ab", false},
      {long_value, long_value, true},
      {long_value, long_value + "x", false},
  };
  for (const auto& r : rows) {
    INFO("held size " << r.held.size() << ", candidate size " << r.candidate.size());
    CHECK(secret{r.held}.equals(r.candidate) == r.equal);
  }
}
