#include "actors/tool_runners.hpp"

#include "protocol/imap/client.hpp"
#include "protocol/tools/catalog.hpp"
#include "protocol/tools/list_accounts.hpp"
#include "protocol/tools/get_message.hpp"
#include "protocol/tools/mailboxes.hpp"
#include "protocol/tools/message_access.hpp"
#include "protocol/tools/search.hpp"
#include "protocol/tools/write_tools.hpp"
#include "config/defaults.hpp"
#include "protocol/mcp/jsonrpc.hpp"


namespace imap_mcp {

namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

std::string account_id_of(const json& arguments) {
  auto it = arguments.find("account_id");
  return it != arguments.end() && it->is_string() ? it->get<std::string>() : std::string("default");
}

/// The account named by the call, or a hard not_found.
result<const account_actor*> resolve_account(const tool_context& ctx, const std::string& id) {
  if (const auto* actor = ctx.svc->find_account(id)) return actor;
  std::string known;
  for (const auto& a : ctx.svc->config->accounts) known += (known.empty() ? "" : ", ") + a.id;
  return make_failure(error_code::not_found,
                      "account '" + id + "' is not configured (configured: " +
                        (known.empty() ? std::string("none") : known) + ")",
                      "account");
}

tools::account_summary summary_of(const account_settings& a) { return {a.id, a.host, a.port, a.secure}; }

/// Sends `job` to the account and calls `done` with its outcome (by the call's deadline).
void submit(tool_call_actor::pointer self, const tool_context& ctx, const account_actor& account,
            imap_job job, std::function<void(imap_reply)> done) {
  job.deadline = ctx.deadline;
  job.cancelled = ctx.cancelled;
  auto left = std::chrono::duration_cast<milliseconds>(ctx.deadline - clock_type::now());
  if (left <= milliseconds(0)) {
    done(imap_reply{make_failure(error_code::timeout, "the call's deadline passed", "deadline", true), {}});
    return;
  }
  // No request timeout: the account answers by the deadline itself (one timer for all its
  // jobs, see deadline_watch.hpp), and the session's watchdog backs it up.
  self->request(account, caf::infinite, std::move(job))
    .then([done](imap_reply& reply) { done(std::move(reply)); },
          [done](caf::error&) {
            done(imap_reply{make_failure(error_code::internal, "the account worker is unavailable", "account", true),
                            {}});
          });
}

/// Runs a job whose value is a tool_result (the common shape of read tools).
template <class Fn>
void run_imap_tool(tool_call_actor::pointer self, const tool_context& ctx, Fn fn, tool_reply reply,
                   bool read_only = true) {
  const auto id = account_id_of(ctx.call.arguments);
  auto account = resolve_account(ctx, id);
  if (!account) return reply(account.error());
  imap_job job;
  job.retry_on_new_session = read_only; // never repeat a write
  job.run = [fn, id](imap::client& client) -> result<std::any> {
    auto outcome = fn(client, id);
    // A failure that broke the session is the connection's to handle (it may retry reads).
    if (!outcome.ok() && client.broken()) return outcome.error();
    return std::any(std::move(outcome));
  };
  submit(self, ctx, **account, std::move(job), [reply](imap_reply r) {
    if (r.error) return reply(*r.error);
    reply(std::any_cast<tools::tool_result>(std::move(r.value)));
  });
}

tools::tool_result list_accounts(const tool_context& ctx) {
  std::vector<tools::account_summary> accounts;
  for (const auto& a : ctx.svc->config->accounts) accounts.push_back(summary_of(a));
  return tools::list_accounts(std::move(accounts));
}

void verify_account(tool_call_actor::pointer self, const tool_context& ctx, tool_reply reply) {
  const auto id = account_id_of(ctx.call.arguments);
  auto account = resolve_account(ctx, id);
  if (!account) return reply(account.error());
  const auto summary = summary_of(*ctx.svc->config->find_account(id));
  imap_job job;
  job.fresh_session = true;
  job.run = [](imap::client& client) -> result<std::any> {
    if (auto s = client.noop(); !s) return s.error();
    return std::any(client.capabilities());
  };
  const auto started = clock_type::now();
  submit(self, ctx, **account, std::move(job), [reply, summary, started](imap_reply r) {
    const auto latency = std::chrono::duration_cast<milliseconds>(clock_type::now() - started).count();
    if (r.error) return reply(tools::verify_account(summary, *r.error, latency));
    auto caps = std::any_cast<std::vector<std::string>>(std::move(r.value));
    reply(tools::verify_account(summary, std::move(caps), latency));
  });
}

void search_messages(tool_call_actor::pointer self, const tool_context& ctx, tool_reply reply) {
  auto args = tools::parse_search_args(ctx.call.arguments);
  if (!args) return reply(args.error());
  tools::search_context sctx;
  sctx.cursor_key = ctx.svc->cursor_key.reveal();
  sctx.cursor_ttl_seconds = ctx.svc->config->cursor_ttl_seconds;
  sctx.now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  // A forged, expired or mismatched cursor is refused before any IMAP traffic.
  if (auto cursor = tools::check_cursor(*args, sctx); !cursor) return reply(cursor.error());
  run_imap_tool(
    self, ctx,
    [a = std::move(*args), sctx](imap::client& client, const std::string&) {
      return tools::search_messages(client, a, sctx);
    },
    std::move(reply));
}

void get_message_raw(tool_call_actor::pointer self, const tool_context& ctx, tool_reply reply) {
  auto ref = tools::message_ref_from_arguments(ctx.call.arguments);
  if (!ref) return reply(ref.error());
  const auto offset = ctx.call.arguments.value("offset_bytes", std::uint32_t{0});
  const auto max_bytes = ctx.call.arguments.value("max_bytes", std::uint32_t{200000});
  tool_context routed = ctx;
  routed.call.arguments["account_id"] = ref->account_id;
  run_imap_tool(
    self, routed,
    [r = *ref, offset, max_bytes](imap::client& client, const std::string&) {
      return tools::get_message_raw(client, r, offset, max_bytes);
    },
    std::move(reply));
}

failure stage_timeout(const char* what) {
  return make_failure(error_code::timeout, std::string(what) + " did not finish before the deadline",
                      "deadline", true);
}

using pdf_results = std::vector<std::pair<std::string, result<pdf::pdf_text>>>;

/// imap_get_message: IMAP stage on a connection, then the MIME pool, then the PDF pool
/// (all PDFs in parallel), each bounded by what is left of the call's deadline.
void get_message(tool_call_actor::pointer self, const tool_context& ctx, tool_reply reply) {
  auto parsed = tools::parse_get_message_args(ctx.call.arguments);
  if (!parsed) return reply(parsed.error());
  auto args = std::make_shared<const tools::get_message_args>(std::move(*parsed));
  auto account = resolve_account(ctx, args->ref.account_id);
  if (!account) return reply(account.error());
  imap_job job;
  job.retry_on_new_session = true;
  job.run = [args](imap::client& client) -> result<std::any> {
    auto fetched = tools::fetch_message(client, *args);
    if (!fetched) return fetched.error();
    return std::any(std::make_shared<const tools::message_fetch>(std::move(*fetched)));
  };
  submit(self, ctx, **account, std::move(job), [self, ctx, args, reply](imap_reply r) {
    if (r.error) return reply(*r.error);
    auto fetch = std::any_cast<std::shared_ptr<const tools::message_fetch>>(std::move(r.value));
    // The MIME worker refuses a job whose deadline passed while it waited; rendering itself
    // is bounded by the guard rails, and the session's watchdog backs both up.
    self->request(ctx.svc->mime_worker(), caf::infinite, mime_job{fetch, args, ctx.deadline})
      .then(
        [self, ctx, args, fetch, reply](std::shared_ptr<const tools::rendered_message>& rendered) {
          if (!rendered) return reply(stage_timeout("message rendering"));
          if (fetch->pdfs.empty()) return reply(tools::assemble_message(*fetch, *rendered, {}, *args));
          auto results = std::make_shared<pdf_results>();
          auto remaining = std::make_shared<std::size_t>(fetch->pdfs.size());
          auto finish_one = [=](std::string section, result<pdf::pdf_text> outcome) {
            results->emplace_back(std::move(section), std::move(outcome));
            if (--*remaining == 0) reply(tools::assemble_message(*fetch, *rendered, *results, *args));
          };
          for (std::size_t i = 0; i < fetch->pdfs.size(); ++i) {
            pdf_job job{fetch, i, args->attachment_text_max_chars, ctx.deadline};
            const auto section = fetch->pdfs[i].section;
            // The PDF worker answers by the deadline itself (the reader is killed at it).
            self->request(ctx.svc->pdf_worker(), caf::infinite, std::move(job))
              .then(
                [finish_one](pdf_reply& p) {
                  if (p.error) return finish_one(p.section, *p.error);
                  pdf::pdf_text t;
                  t.text = std::move(p.text);
                  t.truncated = p.truncated;
                  finish_one(p.section, std::move(t));
                },
                [finish_one, section](caf::error&) {
                  finish_one(section, make_failure(error_code::internal, "the PDF extractor is unavailable",
                                                   "pdf", true));
                });
          }
        },
        [reply](caf::error&) {
          reply(make_failure(error_code::internal, "the MIME parser is unavailable", "mime", true));
        });
  });
}

// ---- write tools ------------------------------------------------------------------------

/// Progress and stop checks of a batch, bound to this call. The progress callback runs on the
/// connection's thread, so it talks to the sink with anon_send (thread-safe); it is sent
/// before the job's reply exists, so the final response always comes after it.
tools::batch_hooks batch_hooks_for(const tool_context& ctx) {
  tools::batch_hooks hooks;
  hooks.should_stop = [cancelled = ctx.cancelled, deadline = ctx.deadline]() -> std::optional<failure> {
    if (cancelled && cancelled->load())
      return make_failure(error_code::internal, "the call was cancelled before this message", "cancelled", true);
    // Stop early enough that the partial result still travels back before the deadline.
    if (clock_type::now() + milliseconds(defaults::deadline_margin_ms) >= deadline)
      return make_failure(error_code::timeout, "the call's deadline came before this message", "deadline", true);
    return std::nullopt;
  };
  if (ctx.call.progress_token) {
    hooks.progress = [sink = ctx.sink, token = *ctx.call.progress_token](std::size_t done, std::size_t total,
                                                                          const std::string& message) {
      caf::anon_send(sink, output_atom::value,
                     jsonrpc::notification("notifications/progress", {{"progressToken", token},
                                                                      {"progress", done},
                                                                      {"total", total},
                                                                      {"message", message}}));
    };
  }
  return hooks;
}

/// Runs a write tool's IMAP work as one job on the given account.
template <class Fn>
void run_write_job(tool_call_actor::pointer self, const tool_context& ctx, const std::string& account_id, Fn fn,
                   tool_reply reply) {
  tool_context routed = ctx;
  routed.call.arguments["account_id"] = account_id;
  run_imap_tool(self, routed, std::move(fn), std::move(reply), /*read_only=*/false);
}

void update_message_flags(tool_call_actor::pointer self, const tool_context& ctx, tool_reply reply) {
  auto args = tools::parse_flag_args(ctx.call.arguments);
  if (!args) return reply(args.error());
  const auto account = args->batch.account_id;
  run_write_job(
    self, ctx, account,
    [a = std::move(*args), hooks = batch_hooks_for(ctx)](imap::client& client, const std::string&) {
      return tools::update_message_flags(client, a, hooks);
    },
    std::move(reply));
}

void delete_message(tool_call_actor::pointer self, const tool_context& ctx, tool_reply reply) {
  auto batch = tools::parse_delete_args(ctx.call.arguments);
  if (!batch) return reply(batch.error());
  const auto account = batch->account_id;
  run_write_job(
    self, ctx, account,
    [b = std::move(*batch), hooks = batch_hooks_for(ctx)](imap::client& client, const std::string&) {
      return tools::delete_messages(client, b, hooks);
    },
    std::move(reply));
}

void manage_mailbox(tool_call_actor::pointer self, const tool_context& ctx, tool_reply reply) {
  auto args = tools::parse_mailbox_args(ctx.call.arguments);
  if (!args) return reply(args.error());
  const auto account = args->account_id;
  run_write_job(
    self, ctx, account,
    [a = std::move(*args)](imap::client& client, const std::string&) { return tools::manage_mailbox(client, a); },
    std::move(reply));
}

/// One cross-account copy in flight: fetch on the source account, APPEND on the
/// destination account, message by message (so only one message is held at a time).
struct cross_copy {
  tools::transfer_args args;
  tools::batch_report report;
  tools::batch_hooks hooks;
  const account_actor* source = nullptr;
  const account_actor* destination = nullptr;
  std::size_t next = 0;
};

using cross_copy_ptr = std::shared_ptr<cross_copy>;

void cross_copy_step(tool_call_actor::pointer self, tool_context ctx, cross_copy_ptr st, tool_reply reply) {
  const std::size_t total = st->args.batch.refs.size();
  if (st->next >= total) return reply(st->report.finish());
  if (auto stop = st->hooks.should_stop ? st->hooks.should_stop() : std::nullopt) {
    st->report.skip_rest(*stop);
    return reply(st->report.finish());
  }
  const auto ref = st->args.batch.refs[st->next];
  auto advance = [self, ctx, st, reply, total](const std::string& what) {
    ++st->next;
    if (st->hooks.progress)
      st->hooks.progress(st->next, total,
                         what + " message " + std::to_string(st->next) + " of " + std::to_string(total));
    cross_copy_step(self, ctx, st, reply);
  };
  imap_job fetch;
  fetch.run = [ref](imap::client& client) -> result<std::any> {
    auto m = tools::fetch_for_transfer(client, ref);
    if (!m) return m.error();
    return std::any(std::make_shared<const tools::transfer_message>(std::move(*m)));
  };
  submit(self, ctx, *st->source, std::move(fetch), [self, ctx, st, ref, advance](imap_reply r) {
    if (r.error) {
      st->report.fail(ref, *r.error);
      return advance("could not copy");
    }
    auto message = std::any_cast<std::shared_ptr<const tools::transfer_message>>(std::move(r.value));
    imap_job append;
    append.run = [message, account = st->args.destination_account_id,
                  mailbox = st->args.destination_mailbox](imap::client& client) -> result<std::any> {
      auto id = tools::append_transfer(client, account, mailbox, *message);
      if (!id) return id.error();
      return std::any(std::move(*id));
    };
    submit(self, ctx, *st->destination, std::move(append), [st, ref, message, advance](imap_reply a) {
      if (a.error) {
        st->report.fail(ref, *a.error);
        return advance("could not copy");
      }
      json extra = {{"flags", message->flags}};
      auto id = std::any_cast<std::string>(std::move(a.value));
      if (!id.empty()) extra["new_message_id"] = id;
      st->report.succeed(ref, std::move(extra));
      advance("copied");
    });
  });
}

/// imap_copy_message across accounts: check the destination mailbox and the source's live
/// UIDVALIDITY first (hard errors), then copy message by message.
void cross_account_copy(tool_call_actor::pointer self, const tool_context& ctx, tools::transfer_args args,
                        tool_reply reply) {
  auto source = resolve_account(ctx, args.batch.account_id);
  if (!source) return reply(source.error());
  auto destination = resolve_account(ctx, args.destination_account_id);
  if (!destination) return reply(destination.error());
  auto st = std::make_shared<cross_copy>(cross_copy{
    args, tools::batch_report(tools::names::copy_message, "copied", args.batch), batch_hooks_for(ctx), *source,
    *destination, 0});
  st->report.set("destination_mailbox", args.destination_mailbox);
  st->report.set("destination_account_id", args.destination_account_id);
  st->report.on_success(tools::destination_next_action(args.destination_account_id, args.destination_mailbox));
  imap_job check_destination;
  check_destination.run = [mailbox = args.destination_mailbox](imap::client& client) -> result<std::any> {
    auto uidvalidity = tools::existing_mailbox_uidvalidity(client, mailbox, "destination mailbox");
    if (!uidvalidity) return uidvalidity.error();
    return std::any(*uidvalidity);
  };
  submit(self, ctx, *st->destination, std::move(check_destination), [self, ctx, st, reply](imap_reply r) {
    if (r.error) return reply(*r.error);
    imap_job check_source;
    check_source.run = [batch = st->args.batch](imap::client& client) -> result<std::any> {
      if (auto s = tools::open_batch_mailbox(client, batch, true); !s) return s.error();
      return std::any(true);
    };
    submit(self, ctx, *st->source, std::move(check_source), [self, ctx, st, reply](imap_reply s) {
      if (s.error) return reply(*s.error);
      cross_copy_step(self, ctx, st, reply);
    });
  });
}

void copy_message(tool_call_actor::pointer self, const tool_context& ctx, tool_reply reply) {
  auto args = tools::parse_copy_args(ctx.call.arguments);
  if (!args) return reply(args.error());
  if (args->cross_account()) return cross_account_copy(self, ctx, std::move(*args), std::move(reply));
  const auto account = args->batch.account_id;
  run_write_job(
    self, ctx, account,
    [a = std::move(*args), hooks = batch_hooks_for(ctx)](imap::client& client, const std::string&) {
      return tools::copy_messages(client, a, hooks);
    },
    std::move(reply));
}

void move_message(tool_call_actor::pointer self, const tool_context& ctx, tool_reply reply) {
  auto args = tools::parse_move_args(ctx.call.arguments);
  if (!args) return reply(args.error());
  const auto account = args->batch.account_id;
  run_write_job(
    self, ctx, account,
    [a = std::move(*args), hooks = batch_hooks_for(ctx)](imap::client& client, const std::string&) {
      return tools::move_messages(client, a, hooks);
    },
    std::move(reply));
}

} // namespace

void run_tool(tool_call_actor::pointer self, tool_context ctx, tool_reply reply) {
  const auto& name = ctx.call.tool;
  if (name == tools::names::list_accounts) return reply(list_accounts(ctx));
  if (name == tools::names::verify_account) return verify_account(self, ctx, std::move(reply));
  if (name == tools::names::list_mailboxes)
    return run_imap_tool(self, ctx, &tools::list_mailboxes, std::move(reply));
  if (name == tools::names::search_messages) return search_messages(self, ctx, std::move(reply));
  if (name == tools::names::get_message) return get_message(self, ctx, std::move(reply));
  if (name == tools::names::get_message_raw) return get_message_raw(self, ctx, std::move(reply));
  if (name == tools::names::update_message_flags) return update_message_flags(self, ctx, std::move(reply));
  if (name == tools::names::copy_message) return copy_message(self, ctx, std::move(reply));
  if (name == tools::names::move_message) return move_message(self, ctx, std::move(reply));
  if (name == tools::names::delete_message) return delete_message(self, ctx, std::move(reply));
  if (name == tools::names::manage_mailbox) return manage_mailbox(self, ctx, std::move(reply));
  reply(make_failure(error_code::internal, "tool '" + name + "' is not implemented"));
}

} // namespace imap_mcp
