#include "load/raw_imap.hpp"

#include <algorithm>

#include "protocol/tools/get_message.hpp"
#include "protocol/tools/message_access.hpp"
#include "protocol/tools/search.hpp"

namespace imap_mcp::load {

std::string failure_key(const failure& f) {
  return to_string(f.code);
}

result<std::unique_ptr<raw_session>> raw_session::open(const raw_target& target) {
  tls::connect_options co;
  co.host = target.host;
  co.port = target.port;
  co.connect_timeout_ms = target.connect_timeout_ms;
  co.greeting_timeout_ms = target.connect_timeout_ms;
  co.io_timeout_ms = target.io_timeout_ms;
  auto stream = tls::connect(target.tls_context, co);
  if (!stream)
    return stream.error();
  auto client = std::make_unique<imap::client>(std::move(*stream));
  if (auto s = client->read_greeting(); !s)
    return s.error();
  if (auto s = client->login(target.user, target.password ? *target.password : std::string()); !s)
    return s.error();
  return std::unique_ptr<raw_session>(new raw_session(std::move(client)));
}

void raw_session::abort() {
  client_->abort();
}

void raw_session::logout() {
  if (!client_->broken())
    (void)client_->logout();
}

status raw_session::search(const planned_call& call, agent_state& state,
                           const load_options& options) {
  imap::client& c = *client_;
  if (const auto* cur = c.selected(); cur != nullptr && cur->name == options.mailbox)
    if (auto n = c.noop(); !n)
      return n.error();
  auto sel = c.select(options.mailbox, true);
  if (!sel)
    return sel.error();
  state.uidvalidity = sel->uidvalidity;

  imap::command_builder criteria;
  const bool page = call.cursor_page && state.raw_before_uid > 1;
  if (page)
    criteria.atom("UID").sequence(imap::sequence_set::range(1, state.raw_before_uid - 1));
  else
    criteria.atom("ALL");
  if (!page && c.has_capability("ESEARCH")) {
    imap::search_options count_opts;
    count_opts.count_only = true;
    auto n = c.uid_search(criteria, count_opts);
    if (!n)
      return n.error();
  }
  imap::search_options opts;
  opts.max_uids = tools::max_search_matches;
  auto found = c.uid_search(criteria, opts);
  if (!found)
    return found.error();
  const auto& uids = found->uids;
  const std::size_t take =
      std::min<std::size_t>(uids.size(), static_cast<std::size_t>(options.search_limit));
  std::vector<std::uint32_t> page_uids(uids.end() - static_cast<std::ptrdiff_t>(take), uids.end());
  const bool has_more = uids.size() > take;
  std::vector<known_message> learned;
  if (!page_uids.empty()) {
    imap::fetch_items items;
    items.flags = items.internaldate = items.size = items.envelope = items.bodystructure = true;
    auto f = c.uid_fetch(imap::sequence_set::from_numbers(page_uids), items);
    if (!f)
      return f.error();
    for (const auto& r : *f) {
      if (!r.uid)
        continue;
      known_message k;
      k.uid = *r.uid;
      k.uidvalidity = sel->uidvalidity;
      k.message_id = format_message_id(options.account_id, options.mailbox, k.uidvalidity, k.uid);
      k.has_attachments = r.body_structure && tools::has_attachments(*r.body_structure);
      learned.push_back(std::move(k));
    }
  }
  if (!learned.empty())
    state.messages = std::move(learned);
  state.raw_before_uid = has_more && !page_uids.empty() ? page_uids.front() : 0;
  // The shared planner pages only while a cursor is known: mirror it.
  if (state.raw_before_uid > 1)
    state.cursor = "raw";
  else
    state.cursor.reset();
  return ok_status();
}

call_outcome raw_session::run(const planned_call& call, agent_state& state,
                              const load_options& options) {
  imap::client& c = *client_;
  status s = ok_status();
  switch (call.op) {
  case op_kind::list_accounts:
    break; // answered from configuration: no IMAP
  case op_kind::list_mailboxes: {
    auto r = c.list("", "*");
    if (!r)
      s = r.error();
    break;
  }
  case op_kind::search:
    s = search(call, state, options);
    break;
  case op_kind::get_message: {
    tools::get_message_args args;
    args.ref.account_id = options.account_id;
    args.ref.mailbox = options.mailbox;
    args.ref.uidvalidity = call.target->uidvalidity;
    args.ref.uid = call.target->uid;
    args.extract_attachment_text = call.extract_pdf;
    auto f = tools::fetch_message(c, args);
    if (!f)
      s = f.error();
    break;
  }
  case op_kind::get_message_raw: {
    tools::message_ref ref;
    ref.account_id = options.account_id;
    ref.mailbox = options.mailbox;
    ref.uidvalidity = call.target->uidvalidity;
    ref.uid = call.target->uid;
    if (auto o = tools::open_message_mailbox(c, ref); !o) {
      s = o.error();
      break;
    }
    imap::fetch_items items;
    items.size = true;
    imap::section_spec whole;
    whole.offset = 0;
    whole.length = options.raw_max_bytes;
    items.sections.push_back(whole);
    auto f =
        c.uid_fetch(imap::sequence_set::from_numbers(std::vector<std::uint32_t>{ref.uid}), items);
    if (!f)
      s = f.error();
    else if (f->empty())
      s = tools::message_not_found(ref);
    break;
  }
  case op_kind::update_flags: {
    // As open_batch_mailbox: a cached read-write selection is refreshed through EXAMINE.
    if (const auto* cur = c.selected(); cur != nullptr && !cur->read_only)
      if (auto o = c.select(options.mailbox, true); !o) {
        s = o.error();
        break;
      }
    auto sel = c.select(options.mailbox, false);
    if (!sel) {
      s = sel.error();
      break;
    }
    const auto uid = imap::sequence_set::from_numbers(std::vector<std::uint32_t>{call.target->uid});
    const std::vector<std::string> flags{options.flag_keyword};
    auto st = c.uid_store(uid, call.add_keyword ? "+FLAGS.SILENT" : "-FLAGS.SILENT", flags);
    if (!st) {
      s = st.error();
      break;
    }
    imap::fetch_items items;
    items.flags = true;
    auto f = c.uid_fetch(uid, items);
    if (!f)
      s = f.error();
    else
      state.keyword_set[call.target->uid] = call.add_keyword;
    break;
  }
  }
  call_outcome out;
  if (!s) {
    out.error = failure_key(s.error());
    // What the server's envelope would say (protocol/tools/envelope.cpp).
    out.retryable = s.error().retryable || s.error().code == error_code::timeout;
  }
  return out;
}

} // namespace imap_mcp::load
