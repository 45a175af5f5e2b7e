#include "actors/tool_runners.hpp"

#include "protocol/imap/client.hpp"
#include "protocol/tools/catalog.hpp"
#include "protocol/tools/list_accounts.hpp"
#include "protocol/tools/mailboxes.hpp"

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
  // The account answers by the deadline itself; the margin covers the trip back.
  self->request(account, left + milliseconds(50), std::move(job))
    .then([done](imap_reply& reply) { done(std::move(reply)); },
          [done](caf::error& err) {
            done(imap_reply{err == caf::sec::request_timeout
                              ? make_failure(error_code::timeout, "IMAP operation did not finish before the deadline",
                                             "deadline", true)
                              : make_failure(error_code::internal, "the account worker is unavailable",
                                             "account", true),
                            {}});
          });
}

/// Runs a job whose value is a tool_result (the common shape of read tools).
template <class Fn>
void run_imap_tool(tool_call_actor::pointer self, const tool_context& ctx, Fn fn, tool_reply reply) {
  const auto id = account_id_of(ctx.call.arguments);
  auto account = resolve_account(ctx, id);
  if (!account) return reply(account.error());
  imap_job job;
  job.run = [fn, id](imap::client& client) -> result<std::any> {
    return std::any(fn(client, id));
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

} // namespace

void run_tool(tool_call_actor::pointer self, tool_context ctx, tool_reply reply) {
  const auto& name = ctx.call.tool;
  if (name == tools::names::list_accounts) return reply(list_accounts(ctx));
  if (name == tools::names::verify_account) return verify_account(self, ctx, std::move(reply));
  if (name == tools::names::list_mailboxes)
    return run_imap_tool(self, ctx, &tools::list_mailboxes, std::move(reply));
  reply(make_failure(error_code::internal, "tool '" + name + "' is not implemented"));
}

} // namespace imap_mcp
