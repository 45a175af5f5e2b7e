#include "protocol/tools/search.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "protocol/html/html.hpp"
#include "protocol/mime/mime.hpp"
#include "protocol/tools/catalog.hpp"
#include "protocol/tools/envelope.hpp"
#include "protocol/tools/ids.hpp"

namespace imap_mcp::tools {

using json = nlohmann::json;

namespace {

failure invalid(const std::string& message) {
  return make_failure(error_code::invalid_input, message, "validate");
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

std::optional<std::string> string_arg(const json& args, const char* name) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

/// The first text part worth previewing: text/plain preferred, else text/html.
const imap::body_part* preview_part(const imap::body_part& root) {
  const imap::body_part* html = nullptr;
  std::vector<const imap::body_part*> stack{&root};
  while (!stack.empty()) {
    const auto* p = stack.back();
    stack.pop_back();
    if (p->is_multipart()) {
      for (auto it = p->children.rbegin(); it != p->children.rend(); ++it) stack.push_back(&*it);
      continue;
    }
    if (p->type != "text" || p->disposition == "attachment") continue;
    if (p->subtype == "plain") return p;
    if (p->subtype == "html" && html == nullptr) html = p;
  }
  return html;
}

std::string decode_words(std::string_view raw) { return mime::decode_header_value(raw); }

} // namespace

result<search_args> parse_search_args(const json& a) {
  search_args s;
  if (auto v = string_arg(a, "account_id")) s.account_id = *v;
  s.mailbox = a.value("mailbox", "");
  s.cursor = string_arg(a, "cursor");
  s.query = string_arg(a, "query");
  s.from = string_arg(a, "from");
  s.to = string_arg(a, "to");
  s.subject = string_arg(a, "subject");
  s.unread_only = a.value("unread_only", false);
  if (a.contains("last_days")) s.last_days = a["last_days"].get<int>();
  if (auto v = string_arg(a, "start_date")) {
    s.start_date = dates::parse_iso_date(*v);
    if (!s.start_date) return invalid("start_date must be a calendar date YYYY-MM-DD");
  }
  if (auto v = string_arg(a, "end_date")) {
    s.end_date = dates::parse_iso_date(*v);
    if (!s.end_date) return invalid("end_date must be a calendar date YYYY-MM-DD");
  }
  if (s.last_days && (s.start_date || s.end_date))
    return invalid("last_days cannot be combined with start_date or end_date");
  if (s.start_date && s.end_date &&
      dates::days_from_civil(*s.start_date) > dates::days_from_civil(*s.end_date))
    return invalid("start_date must not be after end_date");
  s.limit = a.value("limit", 10);
  s.include_snippet = a.value("include_snippet", false);
  if (a.contains("snippet_max_chars")) {
    if (!s.include_snippet) return invalid("snippet_max_chars requires include_snippet=true");
    s.snippet_max_chars = a["snippet_max_chars"].get<int>();
  }
  s.has_criteria = s.query || s.from || s.to || s.subject || a.contains("unread_only") ||
                   s.last_days || s.start_date || s.end_date;
  return s;
}

json canonical_criteria(const search_args& s) {
  json c = json::object();
  if (s.query) c["query"] = *s.query;
  if (s.from) c["from"] = *s.from;
  if (s.to) c["to"] = *s.to;
  if (s.subject) c["subject"] = *s.subject;
  if (s.unread_only) c["unread_only"] = true;
  if (s.last_days) c["last_days"] = *s.last_days;
  auto iso = [](dates::ymd d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
    return std::string(buf);
  };
  if (s.start_date) c["start_date"] = iso(*s.start_date);
  if (s.end_date) c["end_date"] = iso(*s.end_date);
  return c;
}

imap::command_builder build_criteria(const search_args& s, dates::ymd today, bool& utf8) {
  imap::command_builder b;
  utf8 = false;
  auto text = [&](const char* key, const std::optional<std::string>& value) {
    if (!value) return;
    if (!is_ascii(*value)) utf8 = true;
    b.atom(key).string(*value);
  };
  text("TEXT", s.query);
  text("FROM", s.from);
  text("TO", s.to);
  text("SUBJECT", s.subject);
  if (s.unread_only) b.atom("UNSEEN");
  if (s.last_days) {
    auto since = dates::civil_from_days(dates::days_from_civil(today) - *s.last_days);
    b.atom("SINCE").date(since.year, since.month, since.day);
  }
  if (s.start_date) b.atom("SINCE").date(s.start_date->year, s.start_date->month, s.start_date->day);
  if (s.end_date) {
    // BEFORE is exclusive; the contract's end_date is inclusive.
    auto next = dates::civil_from_days(dates::days_from_civil(*s.end_date) + 1);
    b.atom("BEFORE").date(next.year, next.month, next.day);
  }
  if (b.empty()) b.atom("ALL");
  return b;
}

std::string format_address_list(const std::vector<imap::address>& list) {
  std::string out;
  for (const auto& a : list) {
    if (a.kind != imap::address::kind_t::mailbox) continue;
    if (!out.empty()) out += ", ";
    std::string name = a.name.empty() ? std::string() : decode_words(a.name);
    std::string email = a.email();
    if (!name.empty() && name != email) out += name + " <" + email + ">";
    else out += email;
  }
  return out;
}

std::string message_date(const imap::fetch_record& r) {
  if (r.envelope && !r.envelope->date.empty())
    if (auto t = dates::parse_rfc5322(r.envelope->date)) return format_utc(*t);
  if (auto t = dates::parse_internaldate(r.internaldate)) return format_utc(*t);
  return "";
}

bool has_attachments(const imap::body_part& root) {
  std::vector<const imap::body_part*> stack{&root};
  while (!stack.empty()) {
    const auto* p = stack.back();
    stack.pop_back();
    if (p->is_multipart()) {
      for (const auto& c : p->children) stack.push_back(&c);
      continue;
    }
    if (p->disposition == "attachment") return true;
    if (p->type == "message" && p->subtype == "rfc822") return true;
    const bool named = !p->param("name").empty() || !p->disposition_param("filename").empty() ||
                       !p->disposition_param("filename*").empty() || !p->param("name*").empty();
    if (named && p->type != "text") return true;
  }
  return false;
}

json message_summary(const imap::fetch_record& r, const std::string& account_id,
                     const std::string& mailbox, std::uint32_t uidvalidity) {
  const std::uint32_t uid = r.uid.value_or(0);
  json m = {{"message_id", format_message_id({account_id, mailbox, uidvalidity, uid})},
            {"mailbox", mailbox},
            {"uidvalidity", uidvalidity},
            {"uid", uid},
            {"date", message_date(r)},
            {"from", r.envelope ? format_address_list(r.envelope->from) : ""},
            {"to", r.envelope ? format_address_list(r.envelope->to) : ""},
            {"subject", r.envelope ? decode_words(r.envelope->subject) : ""},
            {"flags", r.flags ? *r.flags : std::vector<std::string>{}},
            {"size_bytes", r.size.value_or(0)},
            {"has_attachments", r.body_structure ? has_attachments(*r.body_structure) : false}};
  return m;
}

result<std::optional<cursor_state>> check_cursor(const search_args& args, const search_context& ctx) {
  if (!args.cursor) return std::optional<cursor_state>();
  auto decoded = decode_cursor(*args.cursor, ctx.cursor_key, ctx.now);
  if (!decoded) return decoded.error();
  if (decoded->account_id != args.account_id || decoded->mailbox != args.mailbox)
    return invalid("cursor belongs to another account or mailbox");
  if (args.has_criteria && decoded->criteria != canonical_criteria(args))
    return invalid("cursor was made for different search criteria; send it alone or with the same criteria");
  return std::optional<cursor_state>(std::move(*decoded));
}

tool_result search_messages(imap::client& client, const search_args& args, const search_context& ctx) {
  auto checked = check_cursor(args, ctx);
  if (!checked) return checked.error();
  std::optional<cursor_state> cursor = std::move(*checked);
  // A pooled connection keeps its selection and select() then sends nothing; the server only
  // reports mail that arrived (or vanished) since the last command when asked. NOOP makes it
  // do so, or a warm search would miss new messages.
  if (const auto* current = client.selected(); current != nullptr && current->name == args.mailbox)
    if (auto synced = client.noop(); !synced) return synced.error();
  auto selected = client.select(args.mailbox, true);
  if (!selected) return selected.error();
  const std::uint32_t uidvalidity = selected->uidvalidity;
  if (cursor && cursor->uidvalidity != uidvalidity)
    return make_failure(error_code::conflict, "mailbox snapshot changed; rerun search", "cursor");

  search_args effective = args;
  if (cursor) {
    // Rebuild the criteria from the cursor so a cursor sent alone means the same search.
    const auto& c = cursor->criteria;
    effective.query = c.contains("query") ? std::optional<std::string>(c["query"]) : std::nullopt;
    effective.from = c.contains("from") ? std::optional<std::string>(c["from"]) : std::nullopt;
    effective.to = c.contains("to") ? std::optional<std::string>(c["to"]) : std::nullopt;
    effective.subject = c.contains("subject") ? std::optional<std::string>(c["subject"]) : std::nullopt;
    effective.unread_only = c.value("unread_only", false);
    effective.last_days = c.contains("last_days") ? std::optional<int>(c["last_days"].get<int>()) : std::nullopt;
    effective.start_date = c.contains("start_date") ? dates::parse_iso_date(c["start_date"].get<std::string>()) : std::nullopt;
    effective.end_date = c.contains("end_date") ? dates::parse_iso_date(c["end_date"].get<std::string>()) : std::nullopt;
  }
  const auto today = dates::civil_from_days(ctx.now / 86400);
  bool utf8 = false;
  auto criteria = build_criteria(effective, today, utf8);
  if (cursor) {
    if (cursor->before_uid <= 1) return invalid("cursor is invalid or expired");
    criteria.atom("UID").sequence(imap::sequence_set::range(1, cursor->before_uid - 1));
  }

  std::uint64_t total = 0;
  if (!cursor) {
    imap::search_options count_opts;
    count_opts.count_only = true;
    count_opts.utf8 = utf8;
    if (client.has_capability("ESEARCH")) {
      auto counted = client.uid_search(criteria, count_opts);
      if (!counted) return counted.error();
      if (counted->count > max_search_matches)
        return invalid("search matched " + std::to_string(counted->count) +
                       " messages; narrow filters to at most 20000 results");
    }
  }
  imap::search_options opts;
  opts.utf8 = utf8;
  opts.max_uids = max_search_matches;
  auto found = client.uid_search(criteria, opts);
  if (!found) return found.error();
  if (found->count > max_search_matches)
    return invalid("search matched " + std::to_string(found->count) +
                   " messages; narrow filters to at most 20000 results");
  total = cursor ? cursor->total : found->count;

  auto& uids = found->uids; // ascending
  const std::size_t take = std::min<std::size_t>(uids.size(), static_cast<std::size_t>(args.limit));
  std::vector<std::uint32_t> page(uids.end() - static_cast<std::ptrdiff_t>(take), uids.end());
  std::reverse(page.begin(), page.end());
  const bool has_more = uids.size() > take;

  json messages = json::array();
  json issues = json::array();
  std::size_t failed = 0;
  if (!page.empty()) {
    imap::fetch_items items;
    items.flags = items.internaldate = items.size = items.envelope = items.bodystructure = true;
    const bool use_preview = args.include_snippet && client.has_capability("PREVIEW") &&
                             args.snippet_max_chars <= 200;
    items.preview = use_preview;
    auto fetched = client.uid_fetch(imap::sequence_set::from_numbers(page), items);
    if (!fetched && !client.broken() && fetched.error().message.find("nesting") != std::string::npos) {
      // One message's structure is nested beyond the parser's bound: list the page without
      // structures (has_attachments and snippets are then unknown) rather than fail it.
      items.bodystructure = false;
      fetched = client.uid_fetch(imap::sequence_set::from_numbers(page), items);
      issues.push_back(make_issue(make_failure(error_code::invalid_input,
                                               "a message's MIME structure is nested too deeply to be read; "
                                               "has_attachments and snippets are omitted on this page",
                                               "bodystructure")));
    }
    if (!fetched) return fetched.error();
    std::map<std::uint32_t, imap::fetch_record*> by_uid;
    for (auto& r : *fetched)
      if (r.uid) by_uid[*r.uid] = &r;

    // Snippets without PREVIEW: one batched partial fetch of each message's first text part.
    std::map<std::uint32_t, std::string> snippets;
    if (args.include_snippet && !use_preview) {
      const std::uint32_t window = static_cast<std::uint32_t>(args.snippet_max_chars) * 8 + 1024;
      std::map<std::string, std::vector<std::uint32_t>> by_section;
      std::map<std::uint32_t, const imap::body_part*> part_of;
      for (auto uid : page) {
        auto it = by_uid.find(uid);
        if (it == by_uid.end() || !it->second->body_structure) continue;
        if (const auto* p = preview_part(*it->second->body_structure)) {
          by_section[p->section].push_back(uid);
          part_of[uid] = p;
        }
      }
      for (auto& [section, section_uids] : by_section) {
        imap::fetch_items partial;
        imap::section_spec spec;
        spec.part = section;
        spec.offset = 0;
        spec.length = window;
        partial.sections.push_back(spec);
        auto got = client.uid_fetch(imap::sequence_set::from_numbers(section_uids), partial);
        if (!got) {
          issues.push_back(make_issue(got.error()));
          continue;
        }
        for (auto& r : *got) {
          if (!r.uid || r.sections.empty()) continue;
          const auto* p = part_of[*r.uid];
          std::string_view data = r.sections.front().data;
          std::string encoded(data);
          if (p->encoding == "base64") encoded.resize(encoded.size() - encoded.size() % 4);
          auto decoded = mime::decode_transfer(encoded, p->encoding);
          if (!decoded) continue;
          auto text = mime::to_utf8(*decoded, p->param("charset"));
          snippets[*r.uid] = html::snippet(text, p->subtype == "html",
                                           static_cast<std::size_t>(args.snippet_max_chars));
        }
      }
    }

    for (auto uid : page) {
      auto it = by_uid.find(uid);
      if (it == by_uid.end()) {
        ++failed;
        issues.push_back(make_issue(make_failure(error_code::not_found,
                                                 "message disappeared before it could be fetched",
                                                 "fetch"),
                                    uid, format_message_id({args.account_id, args.mailbox, uidvalidity, uid})));
        continue;
      }
      json summary = message_summary(*it->second, args.account_id, args.mailbox, uidvalidity);
      if (args.include_snippet) {
        if (use_preview) {
          summary["snippet"] = html::snippet(it->second->preview.value_or(""), false,
                                             static_cast<std::size_t>(args.snippet_max_chars));
        } else {
          auto s = snippets.find(uid);
          summary["snippet"] = s == snippets.end() ? "" : s->second;
        }
      }
      messages.push_back(std::move(summary));
    }
  }

  // The page is moved into the result (a deep copy of 20-250 summaries is measurable).
  const std::size_t returned = messages.size();
  const json first_id = messages.empty() ? json() : messages.front()["message_id"];
  json data = {{"account_id", args.account_id},
               {"mailbox", args.mailbox},
               {"total", total},
               {"attempted", page.size()},
               {"returned", returned},
               {"failed", failed},
               {"messages", std::move(messages)},
               {"has_more", has_more},
               {"next_cursor", nullptr}};
  if (has_more) {
    cursor_state next;
    next.account_id = args.account_id;
    next.mailbox = args.mailbox;
    next.uidvalidity = uidvalidity;
    next.criteria = canonical_criteria(effective);
    next.before_uid = page.back();
    next.total = total;
    next.expires_at = ctx.now + ctx.cursor_ttl_seconds;
    data["next_cursor"] = encode_cursor(next, ctx.cursor_key);
  }
  data["status"] = failed == 0 ? "ok" : (returned == 0 ? "failed" : "partial");
  data["issues"] = std::move(issues);
  if (returned > 0)
    data["next_action"] = next_action("Read a message", names::get_message,
                                      {{"account_id", args.account_id},
                                       {"message_id", first_id}});
  else if (!has_more)
    data["next_action"] = next_action("Broaden the search or pick another mailbox", names::list_mailboxes,
                                      {{"account_id", args.account_id}});
  tool_output out;
  out.summary = std::to_string(returned) + " message(s) returned of " + std::to_string(total) +
                " matching" + (has_more ? "; more available with next_cursor" : "");
  out.data = std::move(data);
  return out;
}

} // namespace imap_mcp::tools
