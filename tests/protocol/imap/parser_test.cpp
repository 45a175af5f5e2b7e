#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/imap/parser.hpp"
#include "tests/protocol/imap/samples.hpp"

using namespace imap_mcp;
using namespace imap_mcp::imap;

namespace {

// ---- a canonical text form of responses, so differently fed parses can be compared ----------

void dump_code(std::ostream& os, const response_code& c) {
  if (c.kind == code_kind::none)
    return;
  os << " [" << static_cast<int>(c.kind) << ":" << c.name << "|" << c.raw << "|";
  for (const auto& a : c.atoms)
    os << a << ",";
  os << "|" << c.number << "|" << c.source_uids << "|" << c.dest_uids << "]";
}

void dump_addresses(std::ostream& os, const std::vector<address>& list) {
  os << "(";
  for (const auto& a : list)
    os << "<" << static_cast<int>(a.kind) << "|" << a.name << "|" << a.adl << "|" << a.mailbox
       << "|" << a.host << ">";
  os << ")";
}

void dump_envelope(std::ostream& os, const envelope& e) {
  os << "env{" << e.date << "|" << e.subject << "|";
  for (const auto* l : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc})
    dump_addresses(os, *l);
  os << "|" << e.in_reply_to << "|" << e.message_id << "}";
}

void dump_body(std::ostream& os, const body_part& b) {
  os << "body{" << b.section << "|" << b.type << "/" << b.subtype << "|";
  for (const auto& [k, v] : b.params)
    os << k << "=" << v << ";";
  os << "|" << b.id << "|" << b.description << "|" << b.encoding << "|" << b.size << "|" << b.lines
     << "|" << b.md5 << "|" << b.disposition << ":";
  for (const auto& [k, v] : b.disposition_params)
    os << k << "=" << v << ";";
  os << "|";
  for (const auto& l : b.language)
    os << l << ",";
  os << "|" << b.location << "|";
  if (b.message_envelope)
    dump_envelope(os, *b.message_envelope);
  for (const auto& c : b.children)
    dump_body(os, c);
  os << "}";
}

std::string dump(const response& r) {
  std::ostringstream os;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, greeting>) {
          os << "greeting " << static_cast<int>(v.status);
          dump_code(os, v.code);
          os << " " << v.text;
        } else if constexpr (std::is_same_v<T, continuation_request>) {
          os << "+ " << v.text;
        } else if constexpr (std::is_same_v<T, tagged_status>) {
          os << "tagged " << v.tag << " " << static_cast<int>(v.status);
          dump_code(os, v.code);
          os << " " << v.text;
        } else if constexpr (std::is_same_v<T, untagged_status>) {
          os << "* " << static_cast<int>(v.status);
          dump_code(os, v.code);
          os << " " << v.text;
        } else if constexpr (std::is_same_v<T, capability_data>) {
          os << "caps";
          for (const auto& c : v.capabilities)
            os << " " << c;
        } else if constexpr (std::is_same_v<T, list_data>) {
          os << (v.lsub ? "lsub" : "list") << " (";
          for (const auto& a : v.attributes)
            os << a << " ";
          os << ") [" << v.delimiter << "] " << v.raw_name << " -> " << v.name << " "
             << v.name_decoded;
        } else if constexpr (std::is_same_v<T, status_data>) {
          os << "status " << v.raw_name << " -> " << v.name;
          for (const auto* o : {&v.messages, &v.recent, &v.uidnext, &v.uidvalidity, &v.unseen,
                                &v.deleted, &v.size, &v.highestmodseq})
            os << " " << (o->has_value() ? std::to_string(**o) : "-");
        } else if constexpr (std::is_same_v<T, search_data>) {
          os << "search";
          for (auto n : v.numbers)
            os << " " << n;
          if (v.modseq)
            os << " modseq " << *v.modseq;
        } else if constexpr (std::is_same_v<T, esearch_data>) {
          os << "esearch " << v.tag << " " << v.uid << " " << (v.min ? std::to_string(*v.min) : "-")
             << " " << (v.max ? std::to_string(*v.max) : "-") << " "
             << (v.count ? std::to_string(*v.count) : "-") << " " << v.all << " "
             << (v.modseq ? std::to_string(*v.modseq) : "-");
        } else if constexpr (std::is_same_v<T, count_data>) {
          os << "count " << static_cast<int>(v.kind) << " " << v.count;
        } else if constexpr (std::is_same_v<T, expunge_data>) {
          os << "expunge " << v.seq;
        } else if constexpr (std::is_same_v<T, flags_data>) {
          os << "flags";
          for (const auto& f : v.flags)
            os << " " << f;
        } else if constexpr (std::is_same_v<T, fetch_data>) {
          const auto& f = v.record;
          os << "fetch " << f.seq << " uid " << (f.uid ? std::to_string(*f.uid) : "-");
          if (f.flags) {
            os << " flags(";
            for (const auto& x : *f.flags)
              os << x << " ";
            os << ")";
          }
          os << " date " << f.internaldate << " size " << (f.size ? std::to_string(*f.size) : "-");
          if (f.envelope)
            dump_envelope(os, *f.envelope);
          if (f.body_structure)
            dump_body(os, *f.body_structure);
          for (const auto& s : f.sections)
            os << " sec[" << s.section << "]<" << (s.origin ? std::to_string(*s.origin) : "-")
               << "> nil=" << s.nil << " bin=" << s.binary << " " << s.data.size() << ":" << s.data;
          os << " preview " << (f.preview ? *f.preview : "-") << " modseq "
             << (f.modseq ? std::to_string(*f.modseq) : "-");
        } else if constexpr (std::is_same_v<T, unknown_data>) {
          os << "unknown " << v.name;
        }
      },
      r);
  return os.str();
}

/// Feeds the pieces in order and collects every response; errors are recorded as "ERROR ...".
std::vector<std::string> parse_pieces(const std::vector<std::string_view>& pieces,
                                      bool greeting = false, parser_limits limits = {}) {
  response_parser p(limits);
  if (greeting)
    p.expect_greeting();
  std::vector<std::string> out;
  response r;
  for (auto piece : pieces) {
    p.feed(piece);
    while (true) {
      auto st = p.next(r);
      if (st == parse_status::need_more)
        break;
      if (st == parse_status::error) {
        out.push_back("ERROR " + p.error().message);
        if (p.failed())
          return out;
        continue;
      }
      out.push_back(dump(r));
    }
  }
  if (p.buffered() != 0)
    out.push_back("INCOMPLETE");
  return out;
}

std::vector<std::string> parse_whole(std::string_view wire, bool greeting = false) {
  return parse_pieces({wire}, greeting);
}

std::vector<std::string_view> split_random(std::string_view wire, std::mt19937& rng,
                                           std::size_t max_chunk) {
  std::uniform_int_distribution<std::size_t> d(1, max_chunk);
  std::vector<std::string_view> out;
  for (std::size_t pos = 0; pos < wire.size();) {
    std::size_t n = std::min(d(rng), wire.size() - pos);
    out.push_back(wire.substr(pos, n));
    pos += n;
  }
  return out;
}

/// Parses one wire string whole and returns the typed responses (no error allowed).
std::vector<response> parse_typed(std::string_view wire, bool greeting = false) {
  response_parser p;
  if (greeting)
    p.expect_greeting();
  p.feed(wire);
  std::vector<response> out;
  response r;
  while (true) {
    auto st = p.next(r);
    if (st == parse_status::need_more)
      break;
    INFO(p.error().message);
    REQUIRE(st == parse_status::response);
    out.push_back(std::move(r));
  }
  REQUIRE(p.buffered() == 0);
  return out;
}

template <class T> const T& get_as(const response& r) {
  const T* p = std::get_if<T>(&r);
  REQUIRE(p != nullptr);
  return *p;
}

struct corpus_entry {
  const char* name;
  const char* wire;
  bool greeting;
};

const std::vector<corpus_entry>& corpus() {
  static const std::vector<corpus_entry> c = {
      {"dovecot greeting", samples::dovecot_greeting, true},
      {"dovecot login", samples::dovecot_login_ok, false},
      {"dovecot select", samples::dovecot_select, false},
      {"dovecot bodystructure", samples::dovecot_fetch_structure, false},
      {"dovecot sections", samples::dovecot_fetch_sections, false},
      {"dovecot list", samples::dovecot_list, false},
      {"dovecot move", samples::dovecot_move, false},
      {"dovecot misc", samples::dovecot_misc, false},
      {"gmail fetch", samples::gmail_fetch, false},
      {"odd servers", samples::odd_servers, false},
      {"unknown untagged", samples::unknown_untagged, false},
  };
  return c;
}

} // namespace

// ---- chunking -----------------------------------------------------------------------------------

TEST_CASE("the corpus parses without errors", "[parser]") {
  for (const auto& e : corpus()) {
    CAPTURE(e.name);
    auto out = parse_whole(e.wire, e.greeting);
    REQUIRE_FALSE(out.empty());
    for (const auto& line : out) {
      CAPTURE(line);
      CHECK(line.rfind("ERROR", 0) != 0);
      CHECK(line != "INCOMPLETE");
    }
  }
}

TEST_CASE("splitting the input at any byte gives the same responses", "[parser][chunking]") {
  for (const auto& e : corpus()) {
    CAPTURE(e.name);
    std::string_view wire = e.wire;
    auto expected = parse_whole(wire, e.greeting);
    for (std::size_t i = 1; i < wire.size(); ++i) {
      CAPTURE(i);
      auto got = parse_pieces({wire.substr(0, i), wire.substr(i)}, e.greeting);
      REQUIRE(got == expected);
    }
  }
}

TEST_CASE("feeding one byte at a time or random chunks gives the same responses",
          "[parser][chunking]") {
  std::mt19937 rng(1234);
  for (const auto& e : corpus()) {
    CAPTURE(e.name);
    std::string_view wire = e.wire;
    auto expected = parse_whole(wire, e.greeting);
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < wire.size(); ++i)
      bytes.push_back(wire.substr(i, 1));
    CHECK(parse_pieces(bytes, e.greeting) == expected);
    for (int round = 0; round < 20; ++round) {
      auto pieces = split_random(wire, rng, 1 + static_cast<std::size_t>(round) * 7);
      REQUIRE(parse_pieces(pieces, e.greeting) == expected);
    }
  }
}

TEST_CASE("every strict prefix of a response just needs more input", "[parser][chunking]") {
  for (const auto& e : corpus()) {
    CAPTURE(e.name);
    std::string_view wire = e.wire;
    auto expected = parse_whole(wire, e.greeting);
    // Cut inside the last response: everything before it is returned, then nothing more.
    auto last_start = wire.substr(0, wire.size() - 2).rfind("\r\n");
    std::size_t from = last_start == std::string_view::npos ? 1 : last_start + 3;
    for (std::size_t i = from; i < wire.size(); ++i) {
      auto got = parse_pieces({wire.substr(0, i)}, e.greeting);
      REQUIRE_FALSE(got.empty());
      CHECK(got.back() == "INCOMPLETE");
      for (const auto& line : got)
        CHECK(line.rfind("ERROR", 0) != 0);
    }
  }
}

TEST_CASE("prepare and commit read straight into the parser", "[parser][chunking]") {
  std::string_view wire = samples::dovecot_fetch_sections;
  response_parser p;
  std::vector<std::string> got;
  response r;
  for (std::size_t pos = 0; pos < wire.size();) {
    auto area = p.prepare(16);
    REQUIRE(area.size() >= 16);
    std::size_t n = std::min<std::size_t>(13, wire.size() - pos); // a read returning 13 bytes
    std::copy_n(wire.data() + pos, n, area.data());
    p.commit(n);
    pos += n;
    while (p.next(r) == parse_status::response)
      got.push_back(dump(r));
  }
  CHECK(got == parse_whole(wire));
}

// ---- typed content
// --------------------------------------------------------------------------------

TEST_CASE("greetings: OK with capabilities, PREAUTH, BYE; anything else is an error",
          "[parser][greeting]") {
  auto ok = parse_typed(samples::dovecot_greeting, true);
  REQUIRE(ok.size() == 1);
  const auto& g = get_as<greeting>(ok[0]);
  CHECK(g.status == status_kind::ok);
  CHECK(g.code.kind == code_kind::capability);
  CHECK(g.code.atoms == std::vector<std::string>{"IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID",
                                                 "ENABLE", "IDLE", "LITERAL+", "AUTH=PLAIN"});
  CHECK(g.text == "Dovecot (Debian) ready.");

  auto pre = parse_typed("* PREAUTH [CAPABILITY IMAP4rev1] logged in as you\r\n", true);
  CHECK(get_as<greeting>(pre[0]).status == status_kind::preauth);
  auto bye = parse_typed("* BYE Too many connections\r\n", true);
  CHECK(get_as<greeting>(bye[0]).status == status_kind::bye);
  CHECK(get_as<greeting>(bye[0]).text == "Too many connections");

  for (std::string bad : {"* NO go away\r\n", "a1 OK hi\r\n", "+ hi\r\n", "* 1 EXISTS\r\n",
                          "HTTP/1.1 400 Bad Request\r\n"}) {
    CAPTURE(bad);
    auto out = parse_whole(bad, true);
    REQUIRE(out.size() == 1);
    CHECK(out[0].rfind("ERROR malformed IMAP greeting response", 0) == 0);
  }
  // Only the first response is a greeting.
  auto two = parse_typed("* OK hi\r\n* OK [UIDNEXT 5] next\r\n", true);
  CHECK(std::holds_alternative<greeting>(two[0]));
  CHECK(std::holds_alternative<untagged_status>(two[1]));
}

TEST_CASE("status responses carry typed response codes", "[parser][codes]") {
  auto login = parse_typed(samples::dovecot_login_ok);
  const auto& t = get_as<tagged_status>(login[0]);
  CHECK(t.tag == "a1");
  CHECK(t.status == status_kind::ok);
  CHECK(t.code.kind == code_kind::capability);
  CHECK(t.code.atoms.size() == 38);
  CHECK(t.code.atoms.back() == "SPECIAL-USE");
  CHECK(t.text == "Logged in");

  auto sel = parse_typed(samples::dovecot_select);
  REQUIRE(sel.size() == 8);
  CHECK(get_as<flags_data>(sel[0]).flags == std::vector<std::string>{"\\Answered", "\\Flagged",
                                                                     "\\Deleted", "\\Seen",
                                                                     "\\Draft", "$Forwarded"});
  const auto& pf = get_as<untagged_status>(sel[1]);
  CHECK(pf.code.kind == code_kind::permanentflags);
  CHECK(pf.code.atoms.back() == "\\*");
  CHECK(get_as<count_data>(sel[2]).kind == count_data::kind_t::exists);
  CHECK(get_as<count_data>(sel[2]).count == 1);
  CHECK(get_as<count_data>(sel[3]).kind == count_data::kind_t::recent);
  CHECK(get_as<untagged_status>(sel[4]).code.kind == code_kind::uidvalidity);
  CHECK(get_as<untagged_status>(sel[4]).code.number == 1795637293);
  CHECK(get_as<untagged_status>(sel[5]).code.kind == code_kind::uidnext);
  CHECK(get_as<untagged_status>(sel[5]).code.number == 4);
  CHECK(get_as<untagged_status>(sel[6]).code.kind == code_kind::highestmodseq);
  CHECK(get_as<tagged_status>(sel[7]).code.kind == code_kind::read_write);

  auto misc = parse_typed(samples::dovecot_misc);
  const auto& copy = get_as<tagged_status>(misc[8]);
  CHECK(copy.code.kind == code_kind::copyuid);
  CHECK(copy.code.number == 1795637294);
  CHECK(copy.code.source_uids == "1:2");
  CHECK(copy.code.dest_uids == "1:2");
  const auto& clientbug = get_as<tagged_status>(misc[7]);
  CHECK(clientbug.code.kind == code_kind::other);
  CHECK(clientbug.code.name == "CLIENTBUG");
  const auto& missing = get_as<tagged_status>(misc[11]);
  CHECK(missing.status == status_kind::no);
  CHECK(missing.code.kind == code_kind::none);
  CHECK(missing.text == "Mailbox doesn't exist: nope (0.001 + 0.000 secs).");
  CHECK(get_as<tagged_status>(misc[12]).code.kind == code_kind::badcharset);
  CHECK(get_as<tagged_status>(misc[13]).code.kind == code_kind::alreadyexists);
  CHECK(get_as<tagged_status>(misc[14]).code.kind == code_kind::nonexistent);
  CHECK(get_as<tagged_status>(misc[15]).code.kind == code_kind::trycreate);
  CHECK(get_as<continuation_request>(misc[16]).text == "OK");
  const auto& append = get_as<tagged_status>(misc[17]);
  CHECK(append.code.kind == code_kind::appenduid);
  CHECK(append.code.number == 1795637293);
  CHECK(append.code.dest_uids == "3");
  CHECK(get_as<untagged_status>(misc[18]).status == status_kind::bye);
  CHECK(get_as<untagged_status>(misc[18]).text == "Logging out");

  auto odd = parse_typed(samples::odd_servers);
  const auto& alert = get_as<untagged_status>(odd[9]);
  CHECK(alert.status == status_kind::no);
  CHECK(alert.code.kind == code_kind::alert);
  CHECK(alert.text == "Mailbox is at 95% of quota");
  const auto& referral = get_as<untagged_status>(odd[10]);
  CHECK(referral.code.kind == code_kind::other);
  CHECK(referral.code.name == "REFERRAL");
  CHECK(referral.code.raw == "imap://user;AUTH=*@SERVER2/");
  CHECK(referral.text == "see there");
  CHECK(get_as<untagged_status>(odd[11]).code.atoms ==
        std::vector<std::string>{"UTF-8", "ISO-8859-1"});
  CHECK(get_as<untagged_status>(odd[12]).code.kind == code_kind::none);
  CHECK(get_as<untagged_status>(odd[12]).text == "no code here");
  CHECK(get_as<untagged_status>(odd[13]).text.empty());
  CHECK(get_as<continuation_request>(odd[14]).text.empty());
  CHECK(get_as<continuation_request>(odd[15]).text == "dGVzdA==");
  const auto& bad = get_as<tagged_status>(odd[16]);
  CHECK(bad.status == status_kind::bad);
  CHECK(bad.code.kind == code_kind::parse);
}

TEST_CASE("LIST, LSUB and STATUS decode mailbox names", "[parser][list]") {
  auto list = parse_typed(samples::dovecot_list);
  REQUIRE(list.size() == 7);
  const auto& sent = get_as<list_data>(list[0]);
  CHECK(sent.attributes == std::vector<std::string>{"\\Sent"});
  CHECK(sent.delimiter == "/");
  CHECK(sent.name == "Sent");
  const auto& parent = get_as<list_data>(list[2]);
  CHECK(parent.raw_name == "Entw&APw-rfe");
  CHECK(parent.name == "Entwürfe");
  const auto& child = get_as<list_data>(list[3]);
  CHECK(child.attributes.empty());
  CHECK(child.name == "Entwürfe/日本語");
  CHECK(child.name_decoded);

  auto odd = parse_typed(samples::odd_servers);
  const auto& flat = get_as<list_data>(odd[3]);
  CHECK(flat.delimiter.empty()); // NIL: no hierarchy
  CHECK(flat.raw_name.empty());
  const auto& lsub = get_as<list_data>(odd[4]);
  CHECK(lsub.lsub);
  CHECK(lsub.delimiter == ".");
  CHECK(lsub.name == "INBOX.Hi"); // from a literal

  const auto& st = get_as<status_data>(odd[8]);
  CHECK(st.name == "Inbox");
  CHECK(st.messages == 3u);
  CHECK(st.highestmodseq == 88u);
  CHECK(st.size == 12345u);
  CHECK_FALSE(st.uidnext.has_value());

  auto misc = parse_typed(samples::dovecot_misc);
  const auto& st2 = get_as<status_data>(misc[6]);
  CHECK(st2.messages == 2u);
  CHECK(st2.uidnext == 3u);
  CHECK(st2.uidvalidity == 1795637293u);
  CHECK(st2.unseen == 1u);

  // A name that is not valid modified UTF-7 is kept raw and flagged.
  auto raw = parse_typed("* LIST () \"/\" \"caf\xC3\xA9\"\r\n* LIST () \"\\\\\" \"a\\\\b\"\r\n");
  CHECK_FALSE(get_as<list_data>(raw[0]).name_decoded);
  CHECK(get_as<list_data>(raw[0]).name == "caf\xC3\xA9");
  CHECK(get_as<list_data>(raw[1]).delimiter == "\\");
  CHECK(get_as<list_data>(raw[1]).raw_name == "a\\b");
}

TEST_CASE("SEARCH and ESEARCH results", "[parser][search]") {
  auto misc = parse_typed(samples::dovecot_misc);
  const auto& all = get_as<esearch_data>(misc[0]);
  CHECK(all.tag == "a8");
  CHECK(all.uid);
  CHECK(all.all == "1:2");
  CHECK(all.count == 2u);
  const auto& none = get_as<esearch_data>(misc[2]);
  CHECK(none.count == 0u);
  CHECK(none.all.empty());
  CHECK(get_as<search_data>(misc[4]).numbers == std::vector<std::uint32_t>{1});

  auto odd = parse_typed(samples::odd_servers);
  const auto& s = get_as<search_data>(odd[5]);
  CHECK(s.numbers == std::vector<std::uint32_t>{5, 7, 9});
  CHECK(s.modseq == 44u);
  CHECK(get_as<search_data>(odd[6]).numbers.empty());
  const auto& e = get_as<esearch_data>(odd[7]);
  CHECK(e.tag == "A12");
  CHECK(e.min == 2u);
  CHECK(e.max == 19u);
  CHECK(e.count == 5u);
  CHECK(e.all == "2,4:6,19");
  CHECK(e.modseq == 77u);
  auto numbers = decode_sequence_set(e.all, 100);
  REQUIRE(numbers.ok());
  CHECK(*numbers == std::vector<std::uint32_t>{2, 4, 5, 6, 19});
}

TEST_CASE("Dovecot FETCH: envelope with groups and literals, nested BODYSTRUCTURE",
          "[parser][fetch]") {
  auto out = parse_typed(samples::dovecot_fetch_structure);
  REQUIRE(out.size() == 3);
  const auto& f = get_as<fetch_data>(out[1]).record;
  CHECK(f.seq == 1);
  CHECK(f.uid == 3u);
  REQUIRE(f.flags);
  CHECK(*f.flags == std::vector<std::string>{"\\Seen", "\\Recent", "$Forwarded"});
  CHECK(f.internaldate == "26-Feb-2024 09:30:45 +0000");
  CHECK(f.size == 1255u);
  CHECK(f.preview == std::optional<std::string>("Hello Bob, this is the body text."));
  CHECK(f.modseq == 9u);

  REQUIRE(f.envelope);
  const auto& env = *f.envelope;
  CHECK(env.date == "Mon, 26 Feb 2024 10:30:45 +0100");
  CHECK(env.subject == "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= and a forwarded mail");
  REQUIRE(env.from.size() == 1);
  CHECK(env.from[0].name == "Alice Example");
  CHECK(env.from[0].email() == "alice@example.org");
  // To: undisclosed-recipients:;  (an empty group)
  REQUIRE(env.to.size() == 2);
  CHECK(env.to[0].kind == address::kind_t::group_start);
  CHECK(env.to[0].mailbox == "undisclosed-recipients");
  CHECK(env.to[1].kind == address::kind_t::group_end);
  // Cc: Team: bob, "Carol "C"";, dave   (the display name came as a literal)
  REQUIRE(env.cc.size() == 5);
  CHECK(env.cc[0].kind == address::kind_t::group_start);
  CHECK(env.cc[1].email() == "bob@example.org");
  CHECK(env.cc[2].name == "Carol \"C\"");
  CHECK(env.cc[2].email() == "carol@example.org");
  CHECK(env.cc[3].kind == address::kind_t::group_end);
  CHECK(env.cc[4].kind == address::kind_t::mailbox);
  CHECK(env.cc[4].email() == "dave@example.org");
  CHECK(env.bcc.empty());
  CHECK(env.in_reply_to.empty());
  CHECK(env.message_id == "<m1@example.org>");

  REQUIRE(f.body_structure);
  const auto& root = *f.body_structure;
  CHECK(root.is_multipart());
  CHECK(root.subtype == "mixed");
  CHECK(root.section == "TEXT");
  CHECK(root.param("boundary") == "outer");
  REQUIRE(root.children.size() == 3);

  const auto& alt = root.children[0];
  CHECK(alt.section == "1");
  CHECK(alt.subtype == "alternative");
  REQUIRE(alt.children.size() == 2);
  CHECK(alt.children[0].section == "1.1");
  CHECK(alt.children[0].type == "text");
  CHECK(alt.children[0].subtype == "plain");
  CHECK(alt.children[0].param("charset") == "utf-8");
  CHECK(alt.children[0].encoding == "quoted-printable");
  CHECK(alt.children[0].size == 33);
  CHECK(alt.children[1].section == "1.2");
  CHECK(alt.children[1].subtype == "html");

  const auto& pdf = root.children[1];
  CHECK(pdf.section == "2");
  CHECK(pdf.type == "application");
  CHECK(pdf.subtype == "pdf");
  CHECK(pdf.disposition == "attachment");
  CHECK(pdf.disposition_param("filename") == "report.pdf");
  CHECK(pdf.language == std::vector<std::string>{"en"});
  CHECK(pdf.encoding == "base64");

  const auto& msg = root.children[2];
  CHECK(msg.section == "3");
  CHECK(msg.type == "message");
  CHECK(msg.subtype == "rfc822");
  CHECK(msg.lines == 19);
  REQUIRE(msg.message_envelope);
  CHECK(msg.message_envelope->subject == "inner");
  REQUIRE(msg.children.size() == 1);
  const auto& inner = msg.children[0];
  CHECK(inner.is_multipart());
  CHECK(inner.section == "3.TEXT");
  REQUIRE(inner.children.size() == 2);
  CHECK(inner.children[0].section == "3.1");
  CHECK(inner.children[1].section == "3.2");
  CHECK(inner.children[1].id == "<img1@x>");
  CHECK(inner.children[1].disposition == "inline");
  CHECK(inner.children[1].disposition_params.empty());
}

TEST_CASE("FETCH body sections are binary-safe literals keyed by section", "[parser][fetch]") {
  auto out = parse_typed(samples::dovecot_fetch_sections);
  const auto& f = get_as<fetch_data>(out[0]).record;
  REQUIRE(f.sections.size() == 5);
  const auto* text = f.section("1.1");
  REQUIRE(text);
  CHECK(text->data == "Hello Bob, this is the body text.");
  const auto* headers = f.section("header.fields (date from)");
  REQUIRE(headers);
  CHECK(headers->data == "From: \"Alice Example\" <alice@example.org>\r\n"
                         "Date: Mon, 26 Feb 2024 10:30:45 +0100\r\n\r\n");
  const auto* partial = f.section("");
  REQUIRE(partial);
  CHECK(partial->origin == 0u);
  CHECK(partial->data == "From: \"Alice Example\" <alice@e");
  const auto* binary = f.section("2");
  REQUIRE(binary);
  CHECK(binary->binary);
  CHECK(binary->data == "%PDF-1.4\n");
  const auto* mime = f.section("3.2.MIME");
  REQUIRE(mime);
  CHECK(mime->data.size() == 125);
  CHECK(f.section("4") == nullptr);

  // Bytes that look like protocol inside a literal are data, NUL included.
  std::string body("a\0b\r\n* BYE fake\r\nA1 OK fake\r\n)", 30);
  std::string wire = "* 2 FETCH (UID 9 BODY[] {" + std::to_string(body.size()) + "}\r\n" + body +
                     " BODY[1] NIL RFC822.HEADER \"X: y\")\r\n";
  auto got = parse_typed(wire);
  REQUIRE(got.size() == 1);
  const auto& r = get_as<fetch_data>(got[0]).record;
  CHECK(r.section("")->data == body);
  CHECK(r.section("1")->nil);
  CHECK(r.section("RFC822.HEADER")->data == "X: y");
}

TEST_CASE("Gmail-style FETCH with X-GM items and upper-case structure", "[parser][fetch]") {
  auto out = parse_typed(samples::gmail_fetch);
  const auto& f = get_as<fetch_data>(out[0]).record;
  CHECK(f.seq == 12);
  CHECK(f.uid == 4u);
  CHECK(f.modseq == 7781u);
  REQUIRE(f.body_structure);
  const auto& root = *f.body_structure;
  CHECK(root.subtype == "mixed");
  REQUIRE(root.children.size() == 3);
  CHECK(root.children[0].param("charset") == "UTF-8");
  CHECK(root.children[0].param("format") == "flowed");
  CHECK(root.children[0].lines == 2);
  const auto& fwd = root.children[1];
  CHECK(fwd.section == "2");
  CHECK(fwd.type == "message");
  CHECK(fwd.disposition == "attachment");
  CHECK(fwd.disposition_param("filename") == "fwd.eml");
  REQUIRE(fwd.message_envelope);
  CHECK(fwd.message_envelope->subject == "Fwd: plans");
  CHECK(fwd.message_envelope->to[0].email() == "eve@example.com");
  REQUIRE(fwd.children.size() == 1);
  CHECK(fwd.children[0].section == "2.1"); // single-part body of the enclosed message
  CHECK(fwd.children[0].subtype == "plain");
  CHECK(fwd.lines == 25);
  const auto& att = root.children[2];
  CHECK(att.section == "3");
  CHECK(att.param("name") == "report.pdf");
  CHECK(att.disposition_param("size") == "3700");
  CHECK(att.size == 5000);
}

TEST_CASE("odd but real structures are accepted", "[parser][fetch]") {
  auto out = parse_typed(samples::odd_servers);
  const auto& body = get_as<fetch_data>(out[0]).record;
  REQUIRE(body.body_structure);
  CHECK(body.body_structure->subtype == "alternative");
  REQUIRE(body.body_structure->children.size() == 2);
  CHECK(body.body_structure->children[1].section == "2");
  const auto& basic_msg = get_as<fetch_data>(out[1]).record;
  CHECK(basic_msg.uid == 80u);
  CHECK(basic_msg.body_structure->type == "message");
  CHECK(basic_msg.body_structure->children.empty());
  const auto& nils = get_as<fetch_data>(out[2]).record;
  CHECK(nils.body_structure->type.empty());
  CHECK(nils.body_structure->section == "1");
}

TEST_CASE("unknown untagged responses are skipped whole", "[parser]") {
  auto out = parse_typed(samples::unknown_untagged);
  REQUIRE(out.size() == 7);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < 6; ++i)
    names.push_back(get_as<unknown_data>(out[i]).name);
  CHECK(names ==
        std::vector<std::string>{"ENABLED", "ID", "NAMESPACE", "VANISHED", "XFOO", "QUOTAROOT"});
  CHECK(get_as<tagged_status>(out[6]).tag == "T1");
}

TEST_CASE("deep but legal nesting gets correct section numbers", "[parser][fetch]") {
  std::string body = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)";
  const int levels = 30;
  for (int i = 0; i < levels; ++i)
    body = "(" + body + " \"mixed\")";
  auto out = parse_typed("* 1 FETCH (BODYSTRUCTURE " + body + ")\r\n");
  const body_part* p = &*get_as<fetch_data>(out[0]).record.body_structure;
  CHECK(p->section == "TEXT");
  std::string expected;
  int depth = 0;
  while (!p->children.empty()) {
    p = &p->children[0];
    expected += expected.empty() ? "1" : ".1";
    CHECK(p->section == expected);
    ++depth;
  }
  CHECK(depth == levels);
  CHECK(p->type == "text");
}

TEST_CASE("INTERNALDATE converts to Unix time", "[parser]") {
  CHECK(internaldate_to_unix("26-Feb-2024 09:30:45 +0000") == 1708939845);
  CHECK(internaldate_to_unix("26-Feb-2024 10:30:45 +0100") == 1708939845);
  CHECK(internaldate_to_unix("25-Feb-2024 23:30:45 -1000") == 1708939845);
  CHECK(internaldate_to_unix(" 1-Jan-1970 00:00:00 +0000") == 0);
  CHECK(internaldate_to_unix("29-FEB-2024 00:00:00 +0000") == 1709164800);
  for (std::string bad :
       {"", "29-Feb-2023 00:00:00 +0000", "1-Jan-1970 00:00:00 +0000", "01-Foo-1970 00:00:00 +0000",
        "01-Jan-1970 24:00:00 +0000", "01-Jan-1970 00:00:00 0000", "01-Jan-1970T00:00:00 +0000",
        "32-Jan-1970 00:00:00 +0000"}) {
    CAPTURE(bad);
    CHECK_FALSE(internaldate_to_unix(bad).has_value());
    CHECK_FALSE(is_internaldate(bad));
  }
}

// ---- errors and limits
// ----------------------------------------------------------------------------

TEST_CASE("malformed responses give a clear error and parsing goes on", "[parser][errors]") {
  auto bad = GENERATE(
      as<std::string>{}, "* 1 FETCH (UID)\r\n", "* 1 FETCH (UID 1\r\n", "* 1 FETCH UID 1\r\n",
      "* 1 FETCH (FLAGS (\\Seen)\r\n", "* 1 FETCH (FLAGS (\\))\r\n",
      "* 1 FETCH (ENVELOPE (NIL NIL))\r\n",
      "* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL NIL)) NIL NIL NIL NIL NIL NIL NIL))\r\n",
      "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\"))\r\n", "* 1 FETCH (BODYSTRUCTURE ())\r\n",
      "* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)))\r\n",
      "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" -1 1))\r\n",
      "* 1 FETCH (BODY[1 NIL)\r\n", "* 1 FETCH (BODY[1]<x> NIL)\r\n",
      "* 1 FETCH (BODY[1] \"unterminated)\r\n", "* 1 FETCH (BODY[1] \"bad \\escape\")\r\n",
      "* 1 FETCH (BODY[1] {5} x)\r\n", "* 1 FETCH (RFC822.SIZE 99999999999999999999999)\r\n",
      "* 1 FETCH (UID 4294967296)\r\n", "* 1 FETCH (MODSEQ 5)\r\n",
      "* 1 FETCH (UID 1) trailing\r\n", "* 4294967296 EXISTS\r\n", "* 1 EXISTS extra\r\n",
      "* LIST (\\Noselect \"/\" x\r\n", "* LIST () \"/\" \"unterminated\r\n", "* LIST ()\r\n",
      "* LIST () \"/\"\r\n", "* STATUS INBOX (MESSAGES x)\r\n", "* STATUS INBOX (MESSAGES 1\r\n",
      "* SEARCH 1 x 3\r\n", "* SEARCH 1 2x\r\n", "* SEARCH (MODSEQ)\r\n",
      "* ESEARCH (TAG \"a\") UID COUNT\r\n", "* ESEARCH (TAG \"a\" UID\r\n", "* ESEARCH ALL\r\n",
      "* OK [UIDVALIDITY abc] x\r\n", "* OK [UIDNEXT 5 6] x\r\n", "* OK [COPYUID 1 2] x\r\n",
      "* OK [APPENDUID 1] x\r\n", "* OK [PERMANENTFLAGS \\Seen] x\r\n", "* OK [UNTERMINATED x\r\n",
      "* OK [] x\r\n", "* CAPABILITY IMAP4rev1 (x)\r\n", "* FLAGS \\Seen\r\n", "a1 MAYBE done\r\n",
      "a1 BYE x\r\n", "a1\r\n", "*\r\n", "* \r\n", "\r\n", "(weird)\r\n");
  CAPTURE(bad);
  std::string wire = bad + "a9 OK done\r\n";
  auto out = parse_whole(wire);
  REQUIRE(out.size() == 2);
  CHECK(out[0].rfind("ERROR malformed IMAP ", 0) == 0);
  CHECK(out[0].find(" at byte ") != std::string::npos);
  CHECK(out[1] == "tagged a9 0 done");
}

TEST_CASE("a malformed tagged response names its tag", "[parser][errors]") {
  response_parser p;
  p.feed("a7 MAYBE done\r\n* OK fine\r\n");
  response r;
  REQUIRE(p.next(r) == parse_status::error);
  CHECK(p.error_tag() == "a7");
  CHECK_FALSE(p.failed());
  REQUIRE(p.next(r) == parse_status::response);
  p.feed("* 1 FETCH (UID x)\r\n");
  REQUIRE(p.next(r) == parse_status::error);
  CHECK(p.error_tag().empty());
}

TEST_CASE("error messages never quote message data", "[parser][errors][security]") {
  auto out = parse_whole("* 1 FETCH (BODY[] {12}\r\nsecret-stuff UID x)\r\n");
  REQUIRE(out.size() == 1);
  CHECK(out[0].rfind("ERROR", 0) == 0);
  CHECK(out[0].find("secret") == std::string::npos);
}

TEST_CASE("a literal that is shorter than announced swallows what follows, then errors",
          "[parser][errors]") {
  // The announced 50 bytes eat the next lines; the parser waits, then reports the mess.
  response_parser p;
  p.feed("* 1 FETCH (BODY[] {50}\r\nshort)\r\na1 OK done\r\n");
  response r;
  CHECK(p.next(r) == parse_status::need_more);
  p.feed(std::string(40, 'x') + "\r\n");
  CHECK(p.next(r) == parse_status::error);
  CHECK_FALSE(p.failed());
}

TEST_CASE("limits: long lines and big literals are framing errors", "[parser][limits]") {
  SECTION("line too long, even before its end arrives") {
    response_parser p(100, 1000);
    p.feed("* OK " + std::string(200, 'a'));
    response r;
    REQUIRE(p.next(r) == parse_status::error);
    CHECK(p.failed());
    CHECK(p.error().message.find("line longer than 100 bytes") != std::string::npos);
    CHECK(p.error().retryable);
    p.feed("\r\na1 OK done\r\n");
    CHECK(p.next(r) == parse_status::error); // stays failed: position in the stream unknown
  }
  SECTION("a line of exactly the limit is fine") {
    response_parser p(100, 1000);
    std::string line = "* OK " + std::string(95, 'a');
    p.feed(line + "\r\n");
    response r;
    CHECK(p.next(r) == parse_status::response);
  }
  SECTION("literal larger than the limit fails at its announcement") {
    response_parser p(100, 1000);
    p.feed("* 1 FETCH (BODY[] {1001}\r\n");
    response r;
    REQUIRE(p.next(r) == parse_status::error);
    CHECK(p.failed());
    CHECK(p.error().message.find("literal larger than 1000 bytes") != std::string::npos);
  }
  SECTION("absurd literal lengths do not overflow") {
    response_parser p(100, 1000);
    p.feed("* 1 FETCH (BODY[] {99999999999999999999999999}\r\n");
    response r;
    CHECK(p.next(r) == parse_status::error);
    CHECK(p.failed());
  }
  SECTION("many literals in one response hit the response limit") {
    parser_limits limits;
    limits.max_line_length = 100;
    limits.max_literal_size = 1000;
    limits.max_response_size = 3000;
    response_parser p(limits);
    std::string wire = "* 1 FETCH (UID 1";
    for (int i = 0; i < 10; ++i)
      wire += " BODY[" + std::to_string(i) + "] {900}\r\n" + std::string(900, 'x');
    p.feed(wire);
    response r;
    REQUIRE(p.next(r) == parse_status::error);
    CHECK(p.error().message.find("response larger than 3000 bytes") != std::string::npos);
  }
  SECTION("nesting deeper than the limit is an error, not a stack overflow") {
    for (std::string item : {"BODYSTRUCTURE ", "X-UNKNOWN ", "ENVELOPE "}) {
      CAPTURE(item);
      std::string wire = "* 1 FETCH (" + item + std::string(100000, '(') + ")\r\na1 OK x\r\n";
      auto out = parse_whole(wire);
      REQUIRE(out.size() == 2);
      CHECK(out[0].rfind("ERROR", 0) == 0);
      CHECK(out[1] == "tagged a1 0 x");
    }
    auto deep = parse_whole("* 1 FETCH (BODYSTRUCTURE " + std::string(150, '(') +
                            "\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1" + std::string(150, ')') +
                            ")\r\n");
    REQUIRE(deep.size() == 1);
    CHECK(deep[0].find("nesting deeper than the limit") != std::string::npos);
  }
}

TEST_CASE("random damage to real responses never crashes or hangs", "[parser][fuzz]") {
  std::mt19937 rng(99);
  parser_limits limits;
  limits.max_line_length = 4096;
  limits.max_literal_size = 4096;
  limits.max_response_size = 16384;
  limits.max_depth = 20;
  const std::string specials = "(){}[]\"\\ \r\n*+~<>0123456789NIL";
  int errors = 0;
  int responses = 0;
  for (int round = 0; round < 3000; ++round) {
    const auto& e = corpus()[static_cast<std::size_t>(round) % corpus().size()];
    std::string wire = e.wire;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !wire.empty(); ++k) {
      std::size_t pos = rng() % wire.size();
      switch (rng() % 4) {
      case 0:
        wire[pos] = specials[rng() % specials.size()];
        break;
      case 1:
        wire.erase(pos, 1 + rng() % 8);
        break;
      case 2:
        wire.insert(pos, 1, specials[rng() % specials.size()]);
        break;
      default:
        wire.resize(pos);
        break;
      }
    }
    response_parser p(limits);
    if (e.greeting)
      p.expect_greeting();
    auto pieces = split_random(wire, rng, 64);
    response r;
    for (auto piece : pieces) {
      p.feed(piece);
      int guard = 0;
      while (true) {
        REQUIRE(++guard < 100000);
        auto st = p.next(r);
        if (st == parse_status::need_more)
          break;
        if (st == parse_status::error) {
          ++errors;
          REQUIRE_FALSE(p.error().message.empty());
          if (p.failed())
            break;
          continue;
        }
        ++responses;
      }
      REQUIRE(p.buffered() <= limits.max_response_size + 64 + 2);
      if (p.failed())
        break;
    }
  }
  CHECK(errors > 0);
  CHECK(responses > 0);
}

TEST_CASE("parsing is linear: many responses and a big literal", "[parser][perf]") {
  using clock = std::chrono::steady_clock;
  // 20,000 FETCH responses in one buffer.
  std::string many;
  for (int i = 1; i <= 20000; ++i)
    many += "* " + std::to_string(i) + " FETCH (UID " + std::to_string(i) +
            " FLAGS (\\Seen) RFC822.SIZE 1234 INTERNALDATE \"26-Feb-2024 09:30:45 +0000\")\r\n";
  auto start = clock::now();
  response_parser p;
  p.feed(many);
  response r;
  int count = 0;
  while (p.next(r) == parse_status::response)
    ++count;
  CHECK(count == 20000);

  // A 32 MiB literal arriving in 16 KiB reads.
  const std::size_t size = 32u * 1024 * 1024;
  std::string head = "* 1 FETCH (UID 7 BODY[] {" + std::to_string(size) + "}\r\n";
  std::string chunk(16 * 1024, 'z');
  response_parser big;
  big.feed(head);
  for (std::size_t sent = 0; sent < size; sent += chunk.size()) {
    auto area = big.prepare(chunk.size());
    std::copy(chunk.begin(), chunk.end(), area.begin());
    big.commit(chunk.size());
    REQUIRE(big.next(r) == parse_status::need_more);
  }
  big.feed(")\r\n");
  REQUIRE(big.next(r) == parse_status::response);
  CHECK(get_as<fetch_data>(r).record.section("")->data.size() == size);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
  // A quadratic parser needs minutes here; a linear one well under a second (even in Debug).
  CHECK(elapsed.count() < 10000);
}
