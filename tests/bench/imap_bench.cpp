// imap_bench: the IMAP side of the read-path benchmark. Opens one raw connection with the
// project's own tls::connect + imap::client, then times, on that warm connection, the same
// IMAP command sequences the read tools issue:
//   list         LIST "" "*" (imap_list_mailboxes)
//   search20     what imap_search_messages(limit 20) sends on a warm connection: NOOP (the
//                mailbox is already selected, as in the server's pool, so no EXAMINE),
//                UID SEARCH RETURN (COUNT) ALL, UID SEARCH ALL, one UID FETCH of 20 summaries
//   examine      EXAMINE of the mailbox when another one (--other-mailbox, default Sent) was
//                selected before: the extra cost of a search in a newly chosen mailbox
//   get_message  the two FETCHes of imap_get_message (structure+header, then the text and PDF
//                parts) via tools::fetch_message, the exact code the tool runs
// and reports p50/p90/p99 per sequence as JSON lines on stdout. The password comes from the
// environment variable IMAP_BENCH_PASS (never the command line).
//
//   imap_bench --host H --port P --user U --ca CA.pem --mailbox M --message-uid N
//              [--other-mailbox M] [--iterations N] [--warmup N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/defaults.hpp"
#include "protocol/imap/client.hpp"
#include "protocol/tls/tls.hpp"
#include "protocol/tools/get_message.hpp"

namespace {

using namespace imap_mcp;
using clock_type = std::chrono::steady_clock;

struct options {
  std::string host = "localhost";
  std::uint16_t port = 0;
  std::string user;
  std::string ca;
  std::string mailbox = "INBOX";
  /// Selected before each timed EXAMINE so that the EXAMINE really goes to the server.
  std::string other_mailbox = "Sent";
  std::uint32_t message_uid = 0;
  int iterations = 200;
  int warmup = 10;
};

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

/// p-th percentile (nearest rank) of sorted samples.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void report(const std::string& name, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  double sum = 0;
  for (double s : samples) sum += s;
  nlohmann::json line = {{"name", name},
                         {"n", samples.size()},
                         {"p50_ms", percentile(samples, 50)},
                         {"p90_ms", percentile(samples, 90)},
                         {"p99_ms", percentile(samples, 99)},
                         {"mean_ms", samples.empty() ? 0.0 : sum / static_cast<double>(samples.size())}};
  std::cout << line.dump() << std::endl;
}

[[noreturn]] void fail(const std::string& what, const failure& f) {
  std::cerr << "imap_bench: " << what << ": " << f.full_message() << "\n";
  std::exit(1);
}

/// Times `step` iterations times after `warmup` untimed runs; exits on the first failure.
std::vector<double> run(const options& o, const std::function<status()>& step,
                        const std::function<void()>& before = {}) {
  std::vector<double> samples;
  for (int i = 0; i < o.warmup + o.iterations; ++i) {
    if (before) before();
    auto t0 = clock_type::now();
    auto s = step();
    const double took = ms_since(t0);
    if (!s) fail("benchmark step", s.error());
    if (i >= o.warmup) samples.push_back(took);
  }
  return samples;
}

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host") o.host = value();
    else if (a == "--port") o.port = static_cast<std::uint16_t>(std::stoi(value()));
    else if (a == "--user") o.user = value();
    else if (a == "--ca") o.ca = value();
    else if (a == "--mailbox") o.mailbox = value();
    else if (a == "--other-mailbox") o.other_mailbox = value();
    else if (a == "--message-uid") o.message_uid = static_cast<std::uint32_t>(std::stoul(value()));
    else if (a == "--iterations") o.iterations = std::stoi(value());
    else if (a == "--warmup") o.warmup = std::stoi(value());
    else throw std::invalid_argument("unknown option " + a);
  }
  return o.port != 0 && !o.user.empty() && o.message_uid != 0 && o.iterations > 0;
}

/// Connect + TLS handshake + greeting + LOGIN, the cold part of a first tool call.
std::unique_ptr<imap::client> open_session(const options& o, std::shared_ptr<tls::client_context> ctx,
                                           const std::string& password) {
  tls::connect_options co;
  co.host = o.host;
  co.port = o.port;
  co.connect_timeout_ms = defaults::connect_timeout_ms;
  co.greeting_timeout_ms = defaults::greeting_timeout_ms;
  co.io_timeout_ms = defaults::socket_timeout_ms;
  auto stream = tls::connect(std::move(ctx), co);
  if (!stream) fail("connect", stream.error());
  auto client = std::make_unique<imap::client>(std::move(*stream));
  if (auto s = client->read_greeting(); !s) fail("greeting", s.error());
  if (auto s = client->login(o.user, password); !s) fail("login", s.error());
  return client;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  try {
    if (!parse(argc, argv, o)) {
      std::cerr << "usage: IMAP_BENCH_PASS=... imap_bench --host H --port P --user U --ca CA.pem "
                   "--mailbox M --message-uid N [--iterations N] [--warmup N]\n";
      return 2;
    }
  } catch (const std::exception& e) {
    std::cerr << "imap_bench: " << e.what() << "\n";
    return 2;
  }
  const char* pass = std::getenv("IMAP_BENCH_PASS");
  if (pass == nullptr) {
    std::cerr << "imap_bench: set IMAP_BENCH_PASS\n";
    return 2;
  }
  const std::string password = pass;
  auto ctx = tls::client_context::create(o.ca);
  if (!ctx) fail("tls context", ctx.error());

  // Cold: a few fresh sessions (TLS session resumption may apply after the first, as in the
  // server's pool).
  std::vector<double> cold;
  for (int i = 0; i < 5; ++i) {
    auto t0 = clock_type::now();
    auto c = open_session(o, *ctx, password);
    cold.push_back(ms_since(t0));
    (void)c->logout();
  }
  report("connect_login", cold);

  auto client = open_session(o, *ctx, password);
  imap::client& c = *client;

  report("list", run(o, [&]() -> status {
    auto r = c.list("", "*");
    if (!r) return r.error();
    return ok_status();
  }));

  imap::search_options count_opts;
  count_opts.count_only = true;
  imap::search_options uid_opts;
  uid_opts.max_uids = 20000;
  auto search20 = [&]() -> status {
    // As the tool does on a pooled connection that has the mailbox selected already.
    if (const auto* cur = c.selected(); cur != nullptr && cur->name == o.mailbox)
      if (auto n = c.noop(); !n) return n.error();
    auto sel = c.select(o.mailbox, true);
    if (!sel) return sel.error();
    imap::command_builder all;
    all.atom("ALL");
    if (c.has_capability("ESEARCH")) {
      auto n = c.uid_search(all, count_opts);
      if (!n) return n.error();
    }
    auto found = c.uid_search(all, uid_opts);
    if (!found) return found.error();
    const auto& uids = found->uids;
    const std::size_t take = std::min<std::size_t>(uids.size(), 20);
    std::vector<std::uint32_t> page(uids.end() - static_cast<std::ptrdiff_t>(take), uids.end());
    imap::fetch_items items;
    items.flags = items.internaldate = items.size = items.envelope = items.bodystructure = true;
    auto f = c.uid_fetch(imap::sequence_set::from_numbers(page), items);
    if (!f) return f.error();
    return ok_status();
  };
  report("search20", run(o, search20));

  report("examine", run(
                      o,
                      [&]() -> status {
                        auto sel = c.select(o.mailbox, true);
                        if (!sel) return sel.error();
                        return ok_status();
                      },
                      [&] {
                        if (auto s = c.select(o.other_mailbox, true); !s) fail("select other mailbox", s.error());
                      }));

  tools::get_message_args gm;
  gm.ref.account_id = "default";
  gm.ref.mailbox = o.mailbox;
  auto sel = c.select(o.mailbox, true);
  if (!sel) fail("select", sel.error());
  gm.ref.uidvalidity = sel->uidvalidity;
  gm.ref.uid = o.message_uid;
  gm.extract_attachment_text = true;
  report("get_message", run(o, [&]() -> status {
    auto f = tools::fetch_message(c, gm);
    if (!f) return f.error();
    if (f->pdfs.empty() || f->pdfs.front().data.empty())
      return make_failure(error_code::internal, "the benchmark message has no PDF part", "bench");
    return ok_status();
  }));
  (void)c.logout();
  return 0;
}
