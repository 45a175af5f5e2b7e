#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "protocol/imap/command.hpp"
#include "protocol/imap/sequence_set.hpp"

using namespace imap_mcp;
using namespace imap_mcp::imap;

namespace {

std::string joined(const command& c) {
  std::string out;
  for (const auto& s : c.segments)
    out += s;
  return out;
}

std::string render(const command_builder& b, literal_mode mode = literal_mode::synchronizing) {
  auto c = b.build(mode);
  REQUIRE(c.ok());
  return joined(*c);
}

/// Reads back the tokens of a rendered command the way a server would: atoms, quoted strings
/// with \\ and \" escapes, literals {n} / {n+}. Also checks that CR and LF appear outside
/// literals only as the final CRLF, i.e. that nothing can start a new command line.
std::vector<std::string> server_tokens(const std::string& wire) {
  std::vector<std::string> tokens;
  std::size_t p = 0;
  while (true) {
    REQUIRE(p < wire.size());
    if (wire.compare(p, 2, "\r\n") == 0) {
      REQUIRE(p + 2 == wire.size()); // exactly one line end, at the very end
      return tokens;
    }
    char c = wire[p];
    REQUIRE(c != '\r');
    REQUIRE(c != '\n');
    if (c == ' ' || c == '(' || c == ')') {
      ++p;
      continue;
    }
    std::string tok;
    if (c == '"') {
      ++p;
      while (true) {
        REQUIRE(p < wire.size());
        char d = wire[p++];
        REQUIRE(d != '\r');
        REQUIRE(d != '\n');
        REQUIRE(d != '\0');
        if (d == '"')
          break;
        if (d == '\\') {
          REQUIRE(p < wire.size());
          d = wire[p++];
          REQUIRE((d == '\\' || d == '"'));
        }
        tok.push_back(d);
      }
    } else if (c == '{') {
      std::size_t close = wire.find('}', p);
      REQUIRE(close != std::string::npos);
      std::string num = wire.substr(p + 1, close - p - 1);
      if (!num.empty() && num.back() == '+')
        num.pop_back();
      std::size_t n = std::stoul(num);
      REQUIRE(wire.compare(close + 1, 2, "\r\n") == 0);
      tok = wire.substr(close + 3, n);
      REQUIRE(tok.size() == n);
      p = close + 3 + n;
    } else {
      while (p < wire.size() && wire[p] != ' ' && wire[p] != ')' && wire[p] != '\r') {
        REQUIRE(wire[p] != '\n');
        tok.push_back(wire[p++]);
      }
    }
    tokens.push_back(tok);
  }
}

} // namespace

TEST_CASE("values get the safest wire form", "[command]") {
  struct row {
    std::string value;
    std::string as_string;  // rendered by string()
    std::string as_astring; // rendered by astring()
  };
  auto r = GENERATE(values<row>({
      {"alice", "\"alice\"", "alice"},
      {"alice@example.org", "\"alice@example.org\"", "alice@example.org"},
      {"", "\"\"", "\"\""},
      {"NIL", "\"NIL\"", "\"NIL\""},
      {"two words", "\"two words\"", "\"two words\""},
      {"quote\"back\\slash", "\"quote\\\"back\\\\slash\"", "\"quote\\\"back\\\\slash\""},
      {"{5}", "\"{5}\"", "\"{5}\""},
      {"a*b%c", "\"a*b%c\"", "\"a*b%c\""},
      {"line\r\nbreak", "{11}\r\nline\r\nbreak", "{11}\r\nline\r\nbreak"},
      {std::string("nul\0byte", 8), std::string("{8}\r\nnul\0byte", 13),
       std::string("{8}\r\nnul\0byte", 13)},
      {"Grüße", "{7}\r\nGrüße", "{7}\r\nGrüße"},
  }));
  CAPTURE(r.value);
  command_builder s;
  s.atom("X").string(r.value);
  CHECK(render(s) == "X " + r.as_string + "\r\n");
  command_builder a;
  a.atom("X").astring(r.value);
  CHECK(render(a) == "X " + r.as_astring + "\r\n");
}

TEST_CASE("injection attempts come out as one harmless value", "[command][security]") {
  auto attack = GENERATE(as<std::string>{}, "\\Seen) UID FETCH 1:* (BODY[]", "x\r\nA2 DELETE INBOX",
                         "x\nA2 LOGOUT", "x\rA2 LOGOUT", "\" OR ALL \"", "\\\" ALL", "{999}",
                         "{0+}", std::string("a\0b\r\nA9 EXPUNGE", 15), "ends with backslash\\",
                         std::string(2000, 'x'));
  CAPTURE(attack);
  for (auto mode :
       {literal_mode::synchronizing, literal_mode::non_synchronizing, literal_mode::limited}) {
    command_builder b;
    b.atom("UID").atom("SEARCH").atom("SUBJECT").string(attack).atom("FROM").astring(attack);
    auto c = b.build(mode);
    REQUIRE(c.ok());
    auto tokens = server_tokens(joined(*c));
    REQUIRE(tokens.size() == 6);
    CHECK(tokens[3] == attack);
    CHECK(tokens[5] == attack);
  }
}

TEST_CASE("flags are checked, never quoted into place", "[command][security]") {
  command_builder ok;
  std::vector<std::string> flags = {"\\seen", "\\ANSWERED", "$Forwarded", "Junk", "\\Draft"};
  ok.atom("STORE").flag_list(flags);
  CHECK(render(ok) == "STORE (\\Seen \\Answered $Forwarded Junk \\Draft)\r\n");

  auto bad = GENERATE(as<std::string>{}, "\\Seen) UID FETCH 1:* (BODY[]", "\\Recent", "\\*", "",
                      "two words", "a\"b", "x\r\n", "(", "\\", "caf\xC3\xA9");
  CAPTURE(bad);
  command_builder b;
  std::vector<std::string> list = {"\\Seen", bad};
  b.atom("STORE").flag_list(list);
  auto c = b.build(literal_mode::synchronizing);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == error_code::invalid_input);
  CHECK_FALSE(canonical_flag(bad).has_value());
}

TEST_CASE("literals follow the server's literal support", "[command]") {
  command_builder b;
  b.atom("LOGIN").string("alice").string("pä\"ss");
  // Without LITERAL+ the command is split; the client waits for "+" between the parts.
  auto sync = b.build(literal_mode::synchronizing);
  REQUIRE(sync.ok());
  REQUIRE(sync->segments.size() == 2);
  CHECK(sync->segments[0] == "LOGIN \"alice\" {6}\r\n");
  CHECK(sync->segments[1] == "pä\"ss\r\n");
  // With LITERAL+ everything goes at once.
  auto plus = b.build(literal_mode::non_synchronizing);
  REQUIRE(plus.ok());
  REQUIRE(plus->segments.size() == 1);
  CHECK(plus->segments[0] == "LOGIN \"alice\" {6+}\r\npä\"ss\r\n");
  // LITERAL- allows non-synchronizing literals up to 4096 bytes only.
  command_builder big;
  big.atom("APPEND").atom("INBOX").literal(std::string(4096, 'a')).literal(std::string(4097, 'b'));
  auto minus = big.build(literal_mode::limited);
  REQUIRE(minus.ok());
  REQUIRE(minus->segments.size() == 2);
  CHECK(minus->segments[0].rfind("APPEND INBOX {4096+}\r\n", 0) == 0);
  CHECK(minus->segments[0].size() == 22 + 4096 + 9);
  CHECK(minus->segments[0].substr(22 + 4096) == " {4097}\r\n");
  CHECK(minus->segments[1] == std::string(4097, 'b') + "\r\n");
}

TEST_CASE("long strings become literals so lines stay short", "[command]") {
  command_builder b;
  b.atom("X")
      .string(std::string(max_quoted_length, 'a'))
      .string(std::string(max_quoted_length + 1, 'b'));
  auto c = b.build(literal_mode::non_synchronizing);
  REQUIRE(c.ok());
  std::string wire = joined(*c);
  CHECK(wire.rfind("X \"" + std::string(max_quoted_length, 'a') + "\" {1025+}\r\n", 0) == 0);
}

TEST_CASE("mailbox names are encoded and quoted as needed", "[command]") {
  struct row {
    std::string name;
    std::string wire;
  };
  auto r = GENERATE(values<row>({
      {"INBOX", "INBOX"},
      {"Archive/2024", "Archive/2024"},
      {"Entwürfe", "Entw&APw-rfe"},
      {"My Folder", "\"My Folder\""},
      {"日本語", "&ZeVnLIqe-"},
      {"Tom & Jerry", "\"Tom &- Jerry\""},
      {"*", "\"*\""},
      {"", "\"\""},
      {"INBOX\"\r\nA2 DELETE INBOX", "\"INBOX\\\"&AA0ACg-A2 DELETE INBOX\""},
  }));
  CAPTURE(r.name);
  command_builder b;
  b.atom("SELECT").mailbox(r.name);
  CHECK(render(b) == "SELECT " + r.wire + "\r\n");
}

TEST_CASE("a mailbox name that is not UTF-8 makes the command fail", "[command]") {
  command_builder b;
  b.atom("SELECT").mailbox("bad\xFF");
  auto c = b.build(literal_mode::synchronizing);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == error_code::invalid_input);
}

TEST_CASE("atoms, dates and verbatim text are validated", "[command]") {
  command_builder d;
  d.atom("SINCE").date(2024, 2, 1).atom("BEFORE").date(2024, 2, 29);
  CHECK(render(d) == "SINCE 1-Feb-2024 BEFORE 29-Feb-2024\r\n");

  struct bad_date {
    int y, m, d;
  };
  auto bd = GENERATE(values<bad_date>(
      {{2023, 2, 29}, {2024, 13, 1}, {2024, 4, 31}, {0, 1, 1}, {2024, 0, 10}, {1900, 2, 29}}));
  command_builder x;
  x.atom("SINCE").date(bd.y, bd.m, bd.d);
  CHECK_FALSE(x.build(literal_mode::synchronizing).ok());

  for (std::string bad_atom : {"", "two words", "a(b", "x\r\n", "q\"", "br]"}) {
    command_builder a;
    a.atom(bad_atom);
    CHECK_FALSE(a.build(literal_mode::synchronizing).ok());
  }
  for (std::string bad_text : {"BODY[1]\r\nA2 LOGOUT", "{5}", "x\x01", "caf\xC3\xA9"}) {
    command_builder v;
    v.atom("FETCH").verbatim(bad_text);
    CHECK_FALSE(v.build(literal_mode::synchronizing).ok());
  }
  command_builder v;
  v.atom("FETCH").open().verbatim("BODY.PEEK[1.2]<0.100>").atom("UID").close();
  CHECK(render(v) == "FETCH (BODY.PEEK[1.2]<0.100> UID)\r\n");
}

TEST_CASE("fragments embed with their literals in the command's literal form", "[command]") {
  command_builder criteria;
  criteria.atom("OR").atom("SUBJECT").string("Grüße").atom("FROM").string("bob");
  command_builder b;
  b.atom("UID").atom("SEARCH").atom("CHARSET").atom("UTF-8").append(criteria).atom("UNSEEN");
  CHECK(render(b, literal_mode::non_synchronizing) ==
        "UID SEARCH CHARSET UTF-8 OR SUBJECT {7+}\r\nGrüße FROM \"bob\" UNSEEN\r\n");
  auto sync = b.build(literal_mode::synchronizing);
  REQUIRE(sync.ok());
  REQUIRE(sync->segments.size() == 2);
  CHECK(sync->segments[0] == "UID SEARCH CHARSET UTF-8 OR SUBJECT {7}\r\n");
  CHECK(sync->segments[1] == "Grüße FROM \"bob\" UNSEEN\r\n");

  command_builder broken;
  broken.atom("KEYWORD").flag("not a flag");
  command_builder outer;
  outer.atom("UID").atom("SEARCH").append(broken);
  CHECK_FALSE(outer.build(literal_mode::synchronizing).ok());
}

TEST_CASE("wipe clears password-bearing buffers", "[command][security]") {
  command_builder b;
  b.atom("LOGIN").string("alice").string("hunter2");
  auto c = b.build(literal_mode::synchronizing);
  REQUIRE(c.ok());
  c->wipe();
  for (const auto& s : c->segments)
    CHECK(s.empty());
  b.wipe();
  CHECK(b.empty());
}

TEST_CASE("sequence sets are built from numbers only", "[command][sequence]") {
  struct row {
    std::vector<std::uint32_t> numbers;
    std::string text;
  };
  auto r = GENERATE(values<row>({
      {{1, 2, 3, 4, 5, 7, 9, 10}, "1:5,7,9:10"},
      {{10, 9, 1, 7, 3, 2, 5, 4}, "1:5,7,9:10"},
      {{5, 5, 5}, "5"},
      {{0, 3}, "3"},
      {{4294967295u, 4294967294u}, "4294967294:4294967295"},
      {{}, ""},
      {{0}, ""},
  }));
  auto set = sequence_set::from_numbers(r.numbers);
  CHECK(set.text() == r.text);
  CHECK(set.empty() == r.text.empty());

  CHECK(sequence_set::range(9).text() == "9:*");
  CHECK(sequence_set::range(1, 5).text() == "1:5");
  CHECK(sequence_set::range(4, 4).text() == "4");
  CHECK(sequence_set::range(0).empty());

  command_builder b;
  b.atom("UID").atom("FETCH").sequence(sequence_set{}).atom("FLAGS");
  auto c = b.build(literal_mode::synchronizing);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == error_code::invalid_input);
}

TEST_CASE("server sequence sets decode with a size cap", "[command][sequence]") {
  auto ok = decode_sequence_set("1:3,5,9:7", 100);
  REQUIRE(ok.ok());
  CHECK(*ok == std::vector<std::uint32_t>{1, 2, 3, 5, 9, 8, 7});
  auto one = decode_sequence_set("4294967295", 1);
  REQUIRE(one.ok());
  CHECK(*one == std::vector<std::uint32_t>{4294967295u});

  CHECK(decode_sequence_set("1:100", 100).ok());
  auto capped = decode_sequence_set("1:101", 100);
  REQUIRE_FALSE(capped.ok());
  CHECK(capped.error().code == error_code::invalid_input);
  // A hostile range is refused before anything is allocated for it.
  CHECK_FALSE(decode_sequence_set("1:4294967295", 1000).ok());
  CHECK_FALSE(decode_sequence_set("1:60,1:60", 100).ok());

  auto bad = GENERATE(as<std::string>{}, "", ",", "1,", ",1", "0", "1:0", "01", "a", "1:*", "*",
                      "1::2", "1:2:3", "4294967296", " 1", "1 ");
  CAPTURE(bad);
  CHECK_FALSE(decode_sequence_set(bad, 1000).ok());
}

TEST_CASE("random strings always read back unchanged", "[command][security]") {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> len(0, 40);
  for (int i = 0; i < 3000; ++i) {
    std::string v;
    int n = len(rng);
    for (int k = 0; k < n; ++k)
      v.push_back(static_cast<char>(byte(rng)));
    command_builder b;
    b.atom("X").string(v).astring(v);
    auto c = b.build(i % 2 ? literal_mode::synchronizing : literal_mode::non_synchronizing);
    REQUIRE(c.ok());
    auto tokens = server_tokens(joined(*c));
    REQUIRE(tokens.size() == 3);
    REQUIRE(tokens[1] == v);
    REQUIRE(tokens[2] == v);
  }
}
