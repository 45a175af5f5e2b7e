#include "protocol/imap/client.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "protocol/imap/mutf7.hpp"
#include "protocol/util/log.hpp"

namespace imap_mcp::imap {

namespace {

/// How much to ask the stream for per read; big enough that a large literal arrives in few
/// calls, small enough not to over-allocate for short answers.
constexpr std::size_t read_chunk = 64 * 1024;

/// Server texts are cut to this many bytes before they go into error messages.
constexpr std::size_t max_server_text = 300;

/// A mailbox name quoted in an error message is cut to this many bytes.
constexpr std::size_t max_name_in_message = 100;

char to_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_upper(a[i]) != to_upper(b[i]))
      return false;
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size())
    return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle))
      return true;
  return false;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = to_upper(c);
  return out;
}

/// Cuts a string to at most limit bytes on a UTF-8 boundary, marking the cut with "...".
void cut_utf8(std::string& out, std::size_t limit) {
  if (out.size() <= limit)
    return;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
    --cut;
  out.resize(cut);
  out += "...";
}

/// Control characters become spaces, so a text cannot break a log line or a message.
std::string without_controls(std::string_view text, std::size_t reserve) {
  std::string out;
  out.reserve(std::min(text.size(), reserve + 8));
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7F ? ' ' : c);
  }
  return out;
}

/// Makes a server text fit for an error message: control characters become spaces,
/// Dovecot's timing suffix " (0.001 + 0.000 secs)." goes, long texts are cut on a UTF-8
/// boundary, and the secret (if any) is masked.
std::string clean_server_text(std::string_view text, std::string_view secret = {}) {
  std::string out = without_controls(text, max_server_text);
  if (out.size() > 7 && out.compare(out.size() - 7, 7, " secs).") == 0) {
    auto open = out.rfind(" (");
    if (open != std::string::npos &&
        out.find_first_not_of("0123456789.+ ", open + 2) == out.size() - 6)
      out.erase(open);
  }
  if (secret.size() >= 3) {
    for (auto pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos))
      out.replace(pos, secret.size(), "<redacted>");
  }
  cut_utf8(out, max_server_text);
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

/// A caller's mailbox name quoted for an error message. Names may be long (a tool accepts 256
/// code points, up to 1 KiB of UTF-8) and the server's reason must stay readable next to them.
std::string quoted_name(std::string_view name) {
  std::string out = without_controls(name, max_name_in_message);
  cut_utf8(out, max_name_in_message);
  return "'" + out + "'";
}

/// Commands whose arguments include a mailbox name, by stage. Only their refusals can be
/// about the name; the same codes on other commands (FETCH, STORE) mean something else.
bool names_mailbox(std::string_view stage) {
  constexpr std::array<std::string_view, 8> stages = {"select", "status", "create", "rename",
                                                      "delete", "copy",   "move",   "append"};
  return std::find(stages.begin(), stages.end(), stage) != stages.end();
}

/// Texts of servers that reject a mailbox name without an RFC 5530 code. Dovecot 2.3 sends
/// "Mailbox name is not valid mUTF-7" bare; its other name checks carry [CANNOT], but older
/// versions and other servers say the same in plain text.
bool refuses_name(std::string_view text) {
  constexpr std::array<std::string_view, 6> texts = {
      "invalid mailbox name",        "mailbox name is not valid",
      "not allowed in mailbox name", "not allowed in new mailbox name",
      "mailbox name too long",       "mailbox name contains"};
  return std::any_of(texts.begin(), texts.end(), [&](auto t) { return icontains(text, t); });
}

/// Texts of servers that report a missing mailbox without [NONEXISTENT] or [TRYCREATE]
/// (Dovecot does so on SELECT, EXAMINE and STATUS).
bool says_missing(std::string_view text) {
  constexpr std::array<std::string_view, 4> texts = {"doesn't exist", "does not exist",
                                                     "no such mailbox", "unknown mailbox"};
  return std::any_of(texts.begin(), texts.end(), [&](auto t) { return icontains(text, t); });
}

/// The special-use attributes of RFC 6154, canonical spelling.
constexpr std::array<std::string_view, 7> special_uses = {
    "\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"};

std::string normalized_mailbox(std::string encoded) {
  if (iequals(encoded, "INBOX"))
    return "INBOX";
  return encoded;
}

/// Checks a part number like "1.2.3": non-empty components of digits without leading zeros.
bool valid_part(std::string_view part) {
  if (part.empty())
    return true;
  std::size_t start = 0;
  while (start <= part.size()) {
    std::size_t dot = part.find('.', start);
    if (dot == std::string_view::npos)
      dot = part.size();
    std::string_view comp = part.substr(start, dot - start);
    if (comp.empty() || comp.size() > 9 || comp[0] == '0')
      return false;
    for (char c : comp)
      if (c < '0' || c > '9')
        return false;
    start = dot + 1;
  }
  return true;
}

bool valid_header_name(std::string_view name) {
  if (name.empty() || name.size() > 200)
    return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == ':')
      return false;
  }
  return is_atom(name);
}

failure invalid(std::string message, const char* stage) {
  return make_failure(error_code::invalid_input, std::move(message), stage);
}

/// Renders BODY.PEEK[...]<...> for a validated spec.
result<std::string> render_section(const section_spec& spec) {
  constexpr const char* stage = "fetch";
  if (!valid_part(spec.part))
    return invalid("body part must look like 1 or 1.2", stage);
  std::string specifier = upper(spec.specifier);
  bool fields = specifier == "HEADER.FIELDS" || specifier == "HEADER.FIELDS.NOT";
  if (!(specifier.empty() || specifier == "HEADER" || fields || specifier == "TEXT" ||
        specifier == "MIME"))
    return invalid("unknown body section specifier", stage);
  if (specifier == "MIME" && spec.part.empty())
    return invalid("MIME section needs a part number", stage);
  if (spec.binary && !specifier.empty())
    return invalid("BINARY fetches take a part number only", stage);
  if (fields && spec.fields.empty())
    return invalid("HEADER.FIELDS needs header names", stage);
  if (!fields && !spec.fields.empty())
    return invalid("header names are only allowed with HEADER.FIELDS", stage);
  for (const auto& f : spec.fields)
    if (!valid_header_name(f))
      return invalid("not a valid header field name", stage);
  if (spec.offset.has_value() != spec.length.has_value() || (spec.length && *spec.length == 0))
    return invalid("a partial fetch needs an offset and a non-zero length", stage);

  std::string out = spec.binary ? "BINARY" : "BODY";
  if (spec.peek)
    out += ".PEEK";
  out.push_back('[');
  out += spec.part;
  if (!spec.part.empty() && !specifier.empty())
    out.push_back('.');
  out += specifier;
  if (fields) {
    out += " (";
    for (std::size_t i = 0; i < spec.fields.size(); ++i) {
      if (i)
        out.push_back(' ');
      out += spec.fields[i];
    }
    out.push_back(')');
  }
  out.push_back(']');
  if (spec.offset) {
    out.push_back('<');
    out += std::to_string(*spec.offset);
    out.push_back('.');
    out += std::to_string(*spec.length);
    out.push_back('>');
  }
  return out;
}

} // namespace

// ---- value helpers ------------------------------------------------------------------------------

bool mailbox_info::selectable() const {
  for (const auto& a : attributes)
    if (iequals(a, "\\Noselect") || iequals(a, "\\NonExistent"))
      return false;
  return true;
}

std::string section_key(const section_spec& spec) {
  std::string key = spec.part;
  if (!spec.part.empty() && !spec.specifier.empty())
    key.push_back('.');
  key += spec.specifier;
  if (!spec.fields.empty()) {
    key += " (";
    for (std::size_t i = 0; i < spec.fields.size(); ++i) {
      if (i)
        key.push_back(' ');
      key += spec.fields[i];
    }
    key.push_back(')');
  }
  return normalize_section(key);
}

// ---- client: plumbing ---------------------------------------------------------------------------

client::client(std::unique_ptr<net::byte_stream> stream, client_options options)
    : stream_(std::move(stream)), options_(options), parser_(options.limits) {}

client::~client() = default;

void client::abort() {
  if (stream_)
    stream_->abort();
}

bool client::has_capability(std::string_view name) const {
  for (const auto& c : capabilities_)
    if (iequals(c, name))
      return true;
  return false;
}

const mailbox_state* client::selected() const {
  return has_selection_ ? &state_ : nullptr;
}

literal_mode client::current_literal_mode() const {
  if (has_capability("LITERAL+"))
    return literal_mode::non_synchronizing;
  if (has_capability("LITERAL-"))
    return literal_mode::limited;
  return literal_mode::synchronizing;
}

void client::forget_selection() {
  has_selection_ = false;
  selected_raw_.clear();
  state_ = mailbox_state{};
}

failure client::broken_failure(const char* stage) const {
  std::string message = "the IMAP connection is no longer usable";
  if (!bye_text_.empty())
    message += " (server said: " + bye_text_ + ")";
  return make_failure(error_code::internal, std::move(message), stage, true);
}

failure client::command_failure(const tagged_status& t, const char* stage, std::string_view mailbox,
                                std::string_view destination) const {
  std::string text = clean_server_text(t.text);
  const bool about_mailbox = names_mailbox(stage);
  error_code code = error_code::internal;
  switch (t.code.kind) {
  case code_kind::nonexistent:
  case code_kind::trycreate:
    code = error_code::not_found;
    break;
  case code_kind::cannot:
    // RFC 5530: the operation can never succeed. On a command naming a mailbox that is the
    // name (Dovecot: "Invalid mailbox name: Begins with '~'", "Character not allowed in
    // mailbox name: '.'", "Mailbox name too long"), so the caller must change its input.
    if (about_mailbox)
      code = error_code::invalid_input;
    break;
  default:
    if (about_mailbox && refuses_name(text))
      code = error_code::invalid_input;
    else if (about_mailbox && says_missing(text))
      code = error_code::not_found;
    break;
  }
  bool retryable = t.code.kind == code_kind::unavailable || t.code.kind == code_kind::limit ||
                   t.code.kind == code_kind::inuse;
  std::string message = std::string("IMAP ") + upper(stage) + " failed";
  // A refused name is only actionable when the message says which name; the server's text
  // often does not (Dovecot: "Invalid mailbox name: Begins with '~'").
  if (code == error_code::invalid_input && !mailbox.empty()) {
    bool is_destination = std::string_view(stage) == "copy" || std::string_view(stage) == "move" ||
                          std::string_view(stage) == "append";
    message += is_destination ? " for destination mailbox " : " for mailbox ";
    message += quoted_name(mailbox);
    if (!destination.empty())
      message += " -> " + quoted_name(destination);
  }
  message += ": ";
  message += text.empty()
                 ? std::string(t.status == status_kind::bad ? "the server rejected the command"
                                                            : "the server refused the command")
                 : text;
  return make_failure(code, std::move(message), stage, retryable);
}

imap_mcp::status client::read_response(response& out, const char* stage, std::string_view tag) {
  while (true) {
    switch (parser_.next(out)) {
    case parse_status::response:
      return ok_status();
    case parse_status::error: {
      failure f = parser_.error();
      f.stage = stage;
      if (parser_.failed()) {
        broken_ = true;
        return f;
      }
      // A garbled response to a command is a transport or server glitch, not a property of the
      // request: the same command may well succeed next time (this session stays usable), so
      // callers may retry. A garbled greeting (tag empty) is more likely not IMAP at all.
      if (!tag.empty())
        f.retryable = true;
      // Our own tagged response is unreadable: the command is over, outcome unknown.
      if (tag.empty() || parser_.error_tag() == tag)
        return f;
      LOG_WARN("imap", "skipping a malformed response: " << f.message);
      if (!malformed_)
        malformed_ = std::move(f);
      continue;
    }
    case parse_status::need_more: {
      auto area = parser_.prepare(read_chunk);
      auto n = stream_->read_some(area.data(), area.size());
      if (!n) {
        broken_ = true;
        if (!bye_text_.empty())
          return make_failure(error_code::internal,
                              "the server closed the connection: " + bye_text_, stage, true);
        failure f = n.error();
        if (f.stage.empty())
          f.stage = stage;
        return f;
      }
      parser_.commit(*n);
      continue;
    }
    }
  }
}

void client::absorb(response& r) {
  bool in_mailbox = has_selection_ || selecting_;
  if (auto* caps = std::get_if<capability_data>(&r)) {
    capabilities_ = std::move(caps->capabilities);
    capabilities_updated_ = true;
  } else if (auto* s = std::get_if<untagged_status>(&r)) {
    if (s->status == status_kind::bye) {
      broken_ = true;
      bye_text_ = clean_server_text(s->text);
    }
    switch (s->code.kind) {
    case code_kind::capability:
      capabilities_ = s->code.atoms;
      capabilities_updated_ = true;
      break;
    case code_kind::alert:
      LOG_WARN("imap", "server alert: " << clean_server_text(s->text));
      break;
    case code_kind::uidvalidity:
      if (in_mailbox)
        state_.uidvalidity = static_cast<std::uint32_t>(s->code.number);
      break;
    case code_kind::uidnext:
      if (in_mailbox)
        state_.uidnext = static_cast<std::uint32_t>(s->code.number);
      break;
    case code_kind::permanentflags:
      if (in_mailbox)
        state_.permanent_flags = s->code.atoms;
      break;
    case code_kind::highestmodseq:
      if (in_mailbox)
        state_.highestmodseq = s->code.number;
      break;
    default:
      break;
    }
  } else if (auto* c = std::get_if<count_data>(&r)) {
    if (in_mailbox && c->kind == count_data::kind_t::exists)
      state_.exists = c->count;
  } else if (std::holds_alternative<expunge_data>(r)) {
    if (in_mailbox && state_.exists > 0)
      --state_.exists;
  } else if (auto* f = std::get_if<flags_data>(&r)) {
    if (in_mailbox)
      state_.flags = f->flags;
  }
}

result<tagged_status> client::run(command_builder& builder, const char* stage,
                                  const data_handler& on_data, bool sensitive) {
  if (broken_)
    return broken_failure(stage);
  auto built = builder.build(current_literal_mode());
  if (!built) {
    failure f = built.error();
    if (f.stage.empty())
      f.stage = stage;
    return f;
  }
  command& cmd = *built;
  // Wipes a password-bearing command on every way out of this function.
  struct wiper {
    command& c;
    bool on;
    ~wiper() {
      if (on)
        c.wipe();
    }
  } wipe_guard{cmd, sensitive};

  current_tag_ = "A" + std::to_string(++tag_counter_);
  const std::string& tag = current_tag_;
  cmd.segments.front().insert(0, tag + " ");
  malformed_.reset();
  capabilities_updated_ = false;
  LOG_DEBUG("imap", "sending " << tag << " " << stage);

  response resp;
  for (std::size_t i = 0; i < cmd.segments.size(); ++i) {
    if (auto written = stream_->write_all(cmd.segments[i]); !written) {
      broken_ = true;
      failure f = written.error();
      if (f.stage.empty())
        f.stage = stage;
      return f;
    }
    if (i + 1 == cmd.segments.size())
      break;
    // A synchronizing literal: wait for "+" before sending its bytes.
    while (true) {
      if (auto st = read_response(resp, stage, tag); !st)
        return st.error();
      if (std::holds_alternative<continuation_request>(resp))
        break;
      if (auto* t = std::get_if<tagged_status>(&resp); t && t->tag == tag) {
        if (t->status == status_kind::ok) {
          broken_ = true;
          return make_failure(error_code::internal,
                              "the server completed a command before receiving its literal", stage,
                              true);
        }
        return std::move(*t); // refused before the literal; the caller maps NO/BAD
      }
      absorb(resp);
      if (on_data)
        on_data(resp);
    }
  }

  while (true) {
    if (auto st = read_response(resp, stage, tag); !st)
      return st.error();
    if (auto* t = std::get_if<tagged_status>(&resp)) {
      if (t->tag != tag) {
        LOG_WARN("imap", "ignoring a tagged response for an unknown tag");
        continue;
      }
      if (t->code.kind == code_kind::capability) {
        capabilities_ = t->code.atoms;
        capabilities_updated_ = true;
      }
      if (t->status == status_kind::ok && malformed_)
        return *malformed_;
      return std::move(*t);
    }
    if (std::holds_alternative<continuation_request>(resp)) {
      broken_ = true;
      return make_failure(error_code::internal, "unexpected continuation request from the server",
                          stage, true);
    }
    absorb(resp);
    if (on_data)
      on_data(resp);
  }
}

result<tagged_status> client::run_ok(command_builder& builder, const char* stage,
                                     const data_handler& on_data, std::string_view mailbox,
                                     std::string_view destination) {
  auto t = run(builder, stage, on_data);
  if (!t)
    return t;
  if (t->status != status_kind::ok)
    return command_failure(*t, stage, mailbox, destination);
  return t;
}

// ---- client: session ----------------------------------------------------------------------------

imap_mcp::status client::read_greeting() {
  constexpr const char* stage = "greeting";
  if (broken_)
    return broken_failure(stage);
  parser_.expect_greeting();
  response r;
  if (auto st = read_response(r, stage, {}); !st) {
    broken_ = true;
    return st.error();
  }
  auto* g = std::get_if<greeting>(&r);
  if (!g) {
    broken_ = true;
    return make_failure(error_code::internal, "the server sent no greeting", stage, true);
  }
  if (g->code.kind == code_kind::capability)
    capabilities_ = g->code.atoms;
  if (g->status == status_kind::bye) {
    broken_ = true;
    bye_text_ = clean_server_text(g->text);
    return make_failure(error_code::internal, "the server refused the connection: " + bye_text_,
                        stage, true);
  }
  if (g->status == status_kind::preauth)
    authenticated_ = true;
  return ok_status();
}

imap_mcp::status client::login(std::string_view user, std::string_view password) {
  constexpr const char* stage = "login";
  if (broken_)
    return broken_failure(stage);
  if (authenticated_)
    return ok_status();
  if (has_capability("LOGINDISABLED"))
    return make_failure(error_code::auth_failed,
                        "the server does not accept LOGIN on this connection", stage);
  command_builder b;
  b.atom("LOGIN").string(user).string(password);
  auto t = run(b, stage, {}, true);
  b.wipe();
  if (!t)
    return t.error();
  if (t->status != status_kind::ok) {
    std::string text = clean_server_text(t->text, password);
    auto kind = t->code.kind;
    if (kind == code_kind::unavailable || kind == code_kind::limit || kind == code_kind::inuse)
      return make_failure(error_code::internal, "the server cannot log in now: " + text, stage,
                          true);
    if (t->status == status_kind::bad)
      return make_failure(error_code::internal, "the server rejected LOGIN: " + text, stage);
    return make_failure(error_code::auth_failed,
                        text.empty() ? "the server rejected the user name or password" : text,
                        stage);
  }
  authenticated_ = true;
  if (!capabilities_updated_)
    return refresh_capabilities();
  return ok_status();
}

imap_mcp::status client::refresh_capabilities() {
  command_builder b;
  b.atom("CAPABILITY");
  auto t = run_ok(b, "capability");
  if (!t)
    return t.error();
  return ok_status();
}

imap_mcp::status client::noop() {
  command_builder b;
  b.atom("NOOP");
  auto t = run_ok(b, "noop");
  if (!t)
    return t.error();
  return ok_status();
}

imap_mcp::status client::logout() {
  if (broken_)
    return ok_status();
  command_builder b;
  b.atom("LOGOUT");
  auto t = run_ok(b, "logout");
  broken_ = true;
  if (!t)
    return t.error();
  return ok_status();
}

// ---- client: mailboxes --------------------------------------------------------------------------

result<std::vector<mailbox_info>> client::list(std::string_view reference,
                                               std::string_view pattern) {
  constexpr const char* stage = "list";
  command_builder b;
  b.atom("LIST").mailbox(reference).mailbox(pattern);
  if (has_capability("SPECIAL-USE"))
    b.atom("RETURN").open().atom("SPECIAL-USE").close();
  std::vector<mailbox_info> out;
  bool overflow = false;
  auto t = run_ok(b, stage, [&](response& r) {
    auto* l = std::get_if<list_data>(&r);
    if (!l || l->lsub)
      return;
    if (out.size() >= options_.max_records) {
      overflow = true;
      return;
    }
    auto& m = out.emplace_back();
    m.name = std::move(l->name);
    m.raw_name = std::move(l->raw_name);
    m.delimiter = std::move(l->delimiter);
    m.attributes = std::move(l->attributes);
    for (const auto& a : m.attributes) {
      for (auto su : special_uses) {
        if (iequals(a, su)) {
          m.special_use = std::string(su);
          break;
        }
      }
      if (m.special_use)
        break;
    }
  });
  if (!t)
    return t.error();
  if (overflow)
    return make_failure(error_code::internal,
                        "the server listed more than " + std::to_string(options_.max_records) +
                            " mailboxes",
                        stage);
  return out;
}

result<mailbox_state> client::select(std::string_view mailbox, bool read_only) {
  const char* stage = "select";
  auto encoded = try_encode_mailbox(mailbox);
  if (!encoded) {
    failure f = encoded.error();
    f.stage = stage;
    return f;
  }
  std::string raw = normalized_mailbox(std::move(*encoded));
  if (has_selection_ && !broken_ && raw == selected_raw_ &&
      read_only == selected_read_only_request_)
    return state_;
  forget_selection();
  command_builder b;
  b.atom(read_only ? "EXAMINE" : "SELECT").mailbox(mailbox);
  selecting_ = true;
  auto t = run_ok(b, stage, {}, mailbox);
  selecting_ = false;
  if (!t) {
    forget_selection();
    return t.error();
  }
  state_.name = std::string(mailbox);
  state_.read_only = read_only;
  if (t->code.kind == code_kind::read_only)
    state_.read_only = true;
  if (t->code.kind == code_kind::read_write)
    state_.read_only = false;
  has_selection_ = true;
  selected_raw_ = std::move(raw);
  selected_read_only_request_ = read_only;
  return state_;
}

result<status_data> client::status(std::string_view mailbox) {
  constexpr const char* stage = "status";
  command_builder b;
  b.atom("STATUS").mailbox(mailbox).open();
  b.atom("MESSAGES").atom("UIDNEXT").atom("UIDVALIDITY").atom("UNSEEN").close();
  std::optional<status_data> found;
  auto t = run_ok(
      b, stage,
      [&](response& r) {
        if (auto* s = std::get_if<status_data>(&r))
          found = std::move(*s);
      },
      mailbox);
  if (!t)
    return t.error();
  if (!found)
    return make_failure(error_code::internal, "the server sent no STATUS data", stage, true);
  return std::move(*found);
}

imap_mcp::status client::create(std::string_view mailbox) {
  command_builder b;
  b.atom("CREATE").mailbox(mailbox);
  auto t = run_ok(b, "create", {}, mailbox);
  if (!t)
    return t.error();
  return ok_status();
}

imap_mcp::status client::rename(std::string_view from, std::string_view to) {
  command_builder b;
  b.atom("RENAME").mailbox(from).mailbox(to);
  auto t = run_ok(b, "rename", {}, from, to);
  if (!t)
    return t.error();
  if (has_selection_) {
    auto encoded = try_encode_mailbox(from);
    if (encoded && normalized_mailbox(std::move(*encoded)) == selected_raw_)
      forget_selection();
  }
  return ok_status();
}

imap_mcp::status client::delete_mailbox(std::string_view mailbox) {
  command_builder b;
  b.atom("DELETE").mailbox(mailbox);
  auto t = run_ok(b, "delete", {}, mailbox);
  if (!t)
    return t.error();
  if (has_selection_) {
    auto encoded = try_encode_mailbox(mailbox);
    if (encoded && normalized_mailbox(std::move(*encoded)) == selected_raw_)
      forget_selection();
  }
  return ok_status();
}

// ---- client: messages ---------------------------------------------------------------------------

result<search_result> client::uid_search(const command_builder& criteria,
                                         const search_options& options) {
  constexpr const char* stage = "search";
  bool esearch = has_capability("ESEARCH");
  command_builder b;
  b.atom("UID").atom("SEARCH");
  if (esearch) {
    b.atom("RETURN").open();
    if (!options.count_only)
      b.atom("ALL");
    b.atom("COUNT").close();
  }
  if (options.utf8)
    b.atom("CHARSET").atom("UTF-8");
  if (criteria.empty() && criteria.ok())
    b.atom("ALL");
  else
    b.append(criteria);

  std::optional<esearch_data> es;
  std::optional<std::vector<std::uint32_t>> plain;
  auto t = run_ok(b, stage, [&](response& r) {
    if (auto* e = std::get_if<esearch_data>(&r)) {
      if (e->tag.empty() || e->tag == current_tag_)
        es = std::move(*e);
    } else if (auto* s = std::get_if<search_data>(&r)) {
      if (!plain)
        plain.emplace();
      plain->insert(plain->end(), s->numbers.begin(), s->numbers.end());
    }
  });
  if (!t)
    return t.error();

  search_result out;
  if (es) {
    std::uint64_t count = es->count.value_or(0);
    if (!es->count && !es->all.empty()) {
      // A server that ignored COUNT: count the ALL set (bounded).
      auto all = decode_sequence_set(es->all, options.max_uids);
      if (!all) {
        out.count = options.max_uids + 1;
        out.uids_omitted = true;
        return out;
      }
      count = all->size();
    }
    out.count = count;
    if (options.count_only || count == 0 || es->all.empty())
      return out;
    if (count > options.max_uids) {
      out.uids_omitted = true;
      return out;
    }
    auto all = decode_sequence_set(es->all, options.max_uids);
    if (!all) {
      failure f = all.error();
      f.code = error_code::internal;
      f.message = "the server sent an unusable ESEARCH result: " + f.message;
      f.stage = stage;
      return f;
    }
    out.uids = std::move(*all);
  } else if (plain) {
    out.count = plain->size();
    if (options.count_only)
      return out;
    if (plain->size() > options.max_uids) {
      out.uids_omitted = true;
      return out;
    }
    out.uids = std::move(*plain);
  } else {
    return out; // no result data at all: nothing matched
  }
  std::sort(out.uids.begin(), out.uids.end());
  out.uids.erase(std::unique(out.uids.begin(), out.uids.end()), out.uids.end());
  return out;
}

namespace {

/// Collects FETCH records, merging several responses for one UID.
class fetch_collector {
public:
  explicit fetch_collector(std::size_t max) : max_(max) {}

  void operator()(response& r) {
    auto* f = std::get_if<fetch_data>(&r);
    if (!f)
      return;
    fetch_record& rec = f->record;
    // Without a UID the record cannot be attributed (unsolicited updates outside UID context).
    if (!rec.uid)
      return;
    if (auto it = index_.find(*rec.uid); it != index_.end()) {
      records_[it->second].merge(std::move(rec));
      return;
    }
    if (records_.size() >= max_) {
      overflow_ = true;
      return;
    }
    index_.emplace(*rec.uid, records_.size());
    records_.push_back(std::move(rec));
  }

  bool overflow() const { return overflow_; }
  std::vector<fetch_record> take() { return std::move(records_); }

private:
  std::size_t max_;
  bool overflow_ = false;
  std::vector<fetch_record> records_;
  std::unordered_map<std::uint32_t, std::size_t> index_;
};

} // namespace

result<std::vector<fetch_record>> client::uid_fetch(const sequence_set& uids,
                                                    const fetch_items& items) {
  constexpr const char* stage = "fetch";
  command_builder b;
  b.atom("UID").atom("FETCH").sequence(uids).open().atom("UID");
  if (items.flags)
    b.atom("FLAGS");
  if (items.internaldate)
    b.atom("INTERNALDATE");
  if (items.size)
    b.atom("RFC822.SIZE");
  if (items.envelope)
    b.atom("ENVELOPE");
  if (items.bodystructure)
    b.atom("BODYSTRUCTURE");
  if (items.preview && has_capability("PREVIEW"))
    b.atom("PREVIEW");
  if (items.modseq && has_capability("CONDSTORE"))
    b.atom("MODSEQ");
  for (const auto& s : items.sections) {
    if (s.binary && !has_capability("BINARY"))
      return make_failure(error_code::internal, "the server does not support BINARY fetches",
                          stage);
    auto text = render_section(s);
    if (!text)
      return text.error();
    b.verbatim(*text);
  }
  b.close();
  fetch_collector collect(options_.max_records);
  auto t = run_ok(b, stage, std::ref(collect));
  if (!t)
    return t.error();
  if (collect.overflow())
    return make_failure(error_code::internal,
                        "the server sent more than " + std::to_string(options_.max_records) +
                            " FETCH records",
                        stage);
  return collect.take();
}

result<std::vector<fetch_record>> client::uid_store(const sequence_set& uids,
                                                    std::string_view operation,
                                                    std::span<const std::string> flags) {
  constexpr const char* stage = "store";
  std::string op = upper(operation);
  static constexpr std::array<std::string_view, 6> allowed = {
      "+FLAGS", "-FLAGS", "FLAGS", "+FLAGS.SILENT", "-FLAGS.SILENT", "FLAGS.SILENT"};
  if (std::find(allowed.begin(), allowed.end(), op) == allowed.end())
    return invalid("store operation must be +FLAGS, -FLAGS or FLAGS, optionally .SILENT", stage);
  command_builder b;
  b.atom("UID").atom("STORE").sequence(uids).atom(op).flag_list(flags);
  fetch_collector collect(options_.max_records);
  auto t = run_ok(b, stage, std::ref(collect));
  if (!t)
    return t.error();
  return collect.take();
}

copy_result client::copy_data(const response_code& code) const {
  copy_result out;
  if (code.kind != code_kind::copyuid || code.number == 0 || code.number > UINT32_MAX)
    return out;
  auto src = decode_sequence_set(code.source_uids, options_.max_uid_list);
  auto dst = decode_sequence_set(code.dest_uids, options_.max_uid_list);
  if (!src || !dst || src->size() != dst->size()) {
    LOG_WARN("imap", "ignoring unusable COPYUID data from the server");
    return out;
  }
  out.uidvalidity = static_cast<std::uint32_t>(code.number);
  out.source_uids = std::move(*src);
  out.dest_uids = std::move(*dst);
  return out;
}

result<copy_result> client::uid_copy(const sequence_set& uids, std::string_view mailbox) {
  command_builder b;
  b.atom("UID").atom("COPY").sequence(uids).mailbox(mailbox);
  auto t = run_ok(b, "copy", {}, mailbox);
  if (!t)
    return t.error();
  return copy_data(t->code);
}

result<copy_result> client::uid_move(const sequence_set& uids, std::string_view mailbox) {
  constexpr const char* stage = "move";
  if (has_capability("MOVE")) {
    command_builder b;
    b.atom("UID").atom("MOVE").sequence(uids).mailbox(mailbox);
    // RFC 6851: COPYUID comes in an untagged OK before the expunges.
    std::optional<response_code> copyuid;
    auto t = run_ok(
        b, stage,
        [&](response& r) {
          if (auto* s = std::get_if<untagged_status>(&r); s && s->code.kind == code_kind::copyuid)
            copyuid = s->code;
        },
        mailbox);
    if (!t)
      return t.error();
    return copy_data(copyuid ? *copyuid : t->code);
  }
  if (!has_capability("UIDPLUS"))
    return make_failure(error_code::internal,
                        "the server supports neither MOVE nor UIDPLUS, so messages cannot be moved "
                        "without expunging other deleted messages",
                        stage);
  auto copied = uid_copy(uids, mailbox);
  if (!copied)
    return copied.error();
  static const std::vector<std::string> deleted = {"\\Deleted"};
  if (auto stored = uid_store(uids, "+FLAGS.SILENT", deleted); !stored) {
    failure f = stored.error();
    f.message = "copied, but could not mark the originals deleted: " + f.message;
    f.stage = stage;
    return f;
  }
  if (auto expunged = uid_expunge(uids); !expunged) {
    failure f = expunged.error();
    f.message = "copied and marked deleted, but could not expunge the originals: " + f.message;
    f.stage = stage;
    return f;
  }
  return copied;
}

imap_mcp::status client::uid_expunge(const sequence_set& uids) {
  constexpr const char* stage = "expunge";
  if (!has_capability("UIDPLUS"))
    return make_failure(error_code::internal,
                        "the server lacks UIDPLUS; refusing a bare EXPUNGE that would remove "
                        "other deleted messages",
                        stage);
  command_builder b;
  b.atom("UID").atom("EXPUNGE").sequence(uids);
  auto t = run_ok(b, stage);
  if (!t)
    return t.error();
  return ok_status();
}

result<append_result> client::append(std::string_view mailbox, std::span<const std::string> flags,
                                     std::string_view internaldate, std::string_view message) {
  constexpr const char* stage = "append";
  if (!internaldate.empty() && !is_internaldate(internaldate))
    return invalid("internal date must look like 26-Feb-2024 10:30:45 +0100", stage);
  command_builder b;
  b.atom("APPEND").mailbox(mailbox);
  if (!flags.empty())
    b.flag_list(flags);
  if (!internaldate.empty())
    b.string(internaldate);
  b.literal(message);
  auto t = run_ok(b, stage, {}, mailbox);
  if (!t)
    return t.error();
  append_result out;
  if (t->code.kind == code_kind::appenduid && t->code.number > 0 && t->code.number <= UINT32_MAX) {
    auto uids = decode_sequence_set(t->code.dest_uids, 1);
    if (uids && uids->size() == 1) {
      out.uidvalidity = static_cast<std::uint32_t>(t->code.number);
      out.uid = uids->front();
    }
  }
  return out;
}

} // namespace imap_mcp::imap
