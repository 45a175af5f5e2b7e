#include "load/options.hpp"

#include <charconv>
#include <cmath>

#include "config/defaults.hpp"
#include "config/settings.hpp"
#include "protocol/util/hostport.hpp"

namespace imap_mcp::load {

namespace {

failure bad(const std::string& message) {
  return make_failure(error_code::invalid_input, message, "options");
}

std::optional<double> to_double(const std::string& s) {
  if (s.empty())
    return std::nullopt;
  try {
    std::size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size() || !std::isfinite(v))
      return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<std::uint64_t> to_uint(const std::string& s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

struct op_alias {
  const char* alias;
  op_kind op;
};

constexpr op_alias op_aliases[] = {
    {"accounts", op_kind::list_accounts},
    {"imap_list_accounts", op_kind::list_accounts},
    {"mailboxes", op_kind::list_mailboxes},
    {"imap_list_mailboxes", op_kind::list_mailboxes},
    {"search", op_kind::search},
    {"imap_search_messages", op_kind::search},
    {"get", op_kind::get_message},
    {"imap_get_message", op_kind::get_message},
    {"raw", op_kind::get_message_raw},
    {"imap_get_message_raw", op_kind::get_message_raw},
    {"flags", op_kind::update_flags},
    {"imap_update_message_flags", op_kind::update_flags},
};

result<std::map<op_kind, double>> parse_mix(const std::string& text) {
  std::map<op_kind, double> mix;
  for (auto& op : all_ops())
    mix[op] = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (item.empty())
      continue;
    auto eq = item.find('=');
    if (eq == std::string::npos)
      return bad("--mix: expected name=weight, got '" + item + "'");
    const std::string name = item.substr(0, eq);
    auto weight = to_double(item.substr(eq + 1));
    if (!weight || *weight < 0 || *weight > 1e6)
      return bad("--mix: weight of '" + name + "' must be a number 0..1000000");
    bool found = false;
    for (const auto& a : op_aliases)
      if (name == a.alias) {
        mix[a.op] = *weight;
        found = true;
      }
    if (!found)
      return bad("--mix: unknown operation '" + name +
                 "' (use accounts, mailboxes, search, get, raw, flags or the tool names)");
  }
  return mix;
}

} // namespace

const char* tool_name(op_kind op) {
  switch (op) {
  case op_kind::list_accounts:
    return "imap_list_accounts";
  case op_kind::list_mailboxes:
    return "imap_list_mailboxes";
  case op_kind::search:
    return "imap_search_messages";
  case op_kind::get_message:
    return "imap_get_message";
  case op_kind::get_message_raw:
    return "imap_get_message_raw";
  case op_kind::update_flags:
    return "imap_update_message_flags";
  }
  return "?";
}

const std::vector<op_kind>& all_ops() {
  static const std::vector<op_kind> ops = {op_kind::list_accounts,   op_kind::list_mailboxes,
                                           op_kind::search,          op_kind::get_message,
                                           op_kind::get_message_raw, op_kind::update_flags};
  return ops;
}

result<http_url> parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    return bad("--url must start with http:// (got '" + url + "')");
  std::string rest = url.substr(scheme.size());
  http_url u;
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos)
      return bad("--url: unclosed [ in '" + url + "'");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':')
        return bad("--url: bad authority in '" + url + "'");
      port = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos)
      port = authority.substr(colon + 1);
  }
  if (u.host.empty())
    return bad("--url has no host: '" + url + "'");
  if (!port.empty()) {
    auto p = to_uint(port);
    if (!p || *p < 1 || *p > 65535)
      return bad("--url: bad port in '" + url + "'");
    u.port = static_cast<std::uint16_t>(*p);
  }
  return u;
}

std::string usage_text() {
  return R"(imap-mcp-load: simulates concurrent MCP agents against imap-mcp and reports latency
percentiles, errors, throughput and the processes' CPU and memory.

  imap-mcp-load [options]

Target
  --mode http|stdio|raw-imap|idle-sessions   (default http)
      http           each agent is its own MCP session over Streamable HTTP (--url)
      stdio          agents share --servers M spawned server processes (--spawn-server)
      raw-imap       no MCP: each agent runs the tools' IMAP commands on its own warm TLS
                     connection (account from MAIL_IMAP_<ACCOUNT>_* as the server reads it)
      idle-sessions  opens --agents idle HTTP sessions and reports the server's RSS per session
  --url URL                 http://127.0.0.1:8000/mcp (http, idle-sessions)
  --spawn-server BINARY     start the server: http on a free loopback port, stdio M times;
                            it inherits this environment and is stopped at the end
  --server-arg ARG          extra argument for spawned servers (repeatable)
  --server-log FILE         stderr of spawned servers (default: discarded)
  --servers M               stdio: server processes (1..64, default 1)
  --server-pid PID          measure this process tree as the MCP server (repeatable)
  --imap-server-pid PID     measure this process tree as the IMAP server, e.g. Dovecot's master
  --allow-remote            allow targets that are not loopback addresses

Workload
  --agents N                concurrent agents (1..1000, default 10)
  --duration SEC            measured run time after the ramp-up (default 10, at most 86400)
  --max-requests N          stop after N tool calls in total (default: no bound)
  --ramp-up SEC             agents start evenly spread over this time (default 0)
  --warmup SEC              calls started in the first SEC after the ramp-up are not counted
  --think-ms MS             pause between an agent's calls, uniform in [MS/2, 3MS/2] (default 0)
  --grace-ms MS             time agents get to finish after the stop (default: request timeout)
  --request-timeout-ms MS   deadline of one request (default: the server's tool timeout + margin)
  --connect-timeout-ms MS   deadline of a connection or a spawned server's start
  --mix LIST                weights, e.g. accounts=1,mailboxes=1,search=4,get=4,raw=1,flags=1
                            (names: accounts mailboxes search get raw flags, or tool names);
                            default accounts=1,mailboxes=1,search=4,get=3,raw=1 (+flags=1 with
                            --allow-writes). raw-imap leaves accounts out (no IMAP traffic).
  --allow-writes            allow the write mix (imap_update_message_flags toggling a keyword)
  --flag-keyword KW         the keyword toggled by the write mix (default $LoadTest)
  --account ID              account_id of every call (default "default")
  --mailbox NAME            mailbox searched (default INBOX)
  --search-limit N          limit of each search (1..50, default 20)
  --page-fraction F         share of searches that follow the previous next_cursor (default 0.25)
  --pdf-fraction F          share of get_message calls with extract_attachment_text (default 0.2)
  --message-uid UID         get_message and get_message_raw always read this UID
  --raw-max-bytes N         max_bytes of get_message_raw (1024..1000000, default 200000)
  --seed N                  random seed (default 1)

Output
  --report FILE             write the JSON report there
  --label TEXT              stored in the report
  --quiet                   no progress line on stderr

Bearer token (HTTP): IMAP_MCP_LOAD_TOKEN, else the first of MAIL_IMAP_HTTP_TOKENS.
Exit status: 0 when the run completed (even with errors: read the report), 1 when it could not
run, 2 for bad options.
)";
}

result<load_options> parse_options(const std::vector<std::string>& args) {
  load_options o;
  o.request_timeout_ms = defaults::tool_timeout_ms + defaults::deadline_margin_ms;
  o.connect_timeout_ms = defaults::connect_timeout_ms;
  bool grace_set = false;
  bool mix_set = false;
  std::string mix_text;
  std::string mode = "http";

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> result<std::string> {
      if (i + 1 >= args.size())
        return bad(a + " needs a value");
      return args[++i];
    };
    auto number = [&](double lo, double hi) -> result<double> {
      auto v = value();
      if (!v)
        return v.error();
      auto d = to_double(*v);
      if (!d || *d < lo || *d > hi)
        return bad(a + " must be a number in " + std::to_string(static_cast<long long>(lo)) + ".." +
                   std::to_string(static_cast<long long>(hi)) + " (got '" + *v + "')");
      return *d;
    };
    auto integer = [&](std::uint64_t lo, std::uint64_t hi) -> result<std::uint64_t> {
      auto v = value();
      if (!v)
        return v.error();
      auto n = to_uint(*v);
      if (!n || *n < lo || *n > hi)
        return bad(a + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                   " (got '" + *v + "')");
      return *n;
    };
    auto fraction = [&]() -> result<double> {
      auto v = value();
      if (!v)
        return v.error();
      auto d = to_double(*v);
      if (!d || *d < 0 || *d > 1)
        return bad(a + " must be a fraction 0..1 (got '" + *v + "')");
      return *d;
    };
#define LOAD_TRY(var, expr)                                                                        \
  auto var = (expr);                                                                               \
  if (!var)                                                                                        \
    return var.error();

    if (a == "-h" || a == "--help")
      return make_failure(error_code::invalid_input, usage_text(), "help");
    else if (a == "--mode") {
      LOAD_TRY(v, value());
      mode = *v;
    } else if (a == "--url") {
      LOAD_TRY(v, value());
      o.url = *v;
    } else if (a == "--spawn-server") {
      LOAD_TRY(v, value());
      o.spawn_server = *v;
    } else if (a == "--server-arg") {
      LOAD_TRY(v, value());
      o.server_args.push_back(*v);
    } else if (a == "--server-log") {
      LOAD_TRY(v, value());
      o.server_log = *v;
    } else if (a == "--servers") {
      LOAD_TRY(v, integer(1, max_servers));
      o.servers = static_cast<int>(*v);
    } else if (a == "--server-pid") {
      LOAD_TRY(v, integer(1, 1u << 30));
      o.server_pids.push_back(static_cast<int>(*v));
    } else if (a == "--imap-server-pid") {
      LOAD_TRY(v, integer(1, 1u << 30));
      o.imap_server_pids.push_back(static_cast<int>(*v));
    } else if (a == "--allow-remote")
      o.allow_remote = true;
    else if (a == "--agents") {
      LOAD_TRY(v, integer(1, max_agents));
      o.agents = static_cast<int>(*v);
    } else if (a == "--duration") {
      LOAD_TRY(v, number(0, max_duration_seconds));
      o.duration_s = *v;
    } else if (a == "--max-requests") {
      LOAD_TRY(v, integer(1, 1'000'000'000));
      o.max_requests = *v;
    } else if (a == "--ramp-up") {
      LOAD_TRY(v, number(0, 3600));
      o.ramp_up_s = *v;
    } else if (a == "--warmup") {
      LOAD_TRY(v, number(0, 3600));
      o.warmup_s = *v;
    } else if (a == "--think-ms") {
      LOAD_TRY(v, integer(0, 3'600'000));
      o.think_ms = static_cast<int>(*v);
    } else if (a == "--grace-ms") {
      LOAD_TRY(v, integer(0, 3'600'000));
      o.grace_ms = static_cast<int>(*v);
      grace_set = true;
    } else if (a == "--request-timeout-ms") {
      LOAD_TRY(v, integer(1, 3'600'000));
      o.request_timeout_ms = static_cast<int>(*v);
    } else if (a == "--connect-timeout-ms") {
      LOAD_TRY(v, integer(1, 3'600'000));
      o.connect_timeout_ms = static_cast<int>(*v);
    } else if (a == "--mix") {
      LOAD_TRY(v, value());
      mix_text = *v;
      mix_set = true;
    } else if (a == "--allow-writes")
      o.allow_writes = true;
    else if (a == "--flag-keyword") {
      LOAD_TRY(v, value());
      o.flag_keyword = *v;
    } else if (a == "--account") {
      LOAD_TRY(v, value());
      o.account_id = *v;
    } else if (a == "--mailbox") {
      LOAD_TRY(v, value());
      o.mailbox = *v;
    } else if (a == "--search-limit") {
      LOAD_TRY(v, integer(1, 50));
      o.search_limit = static_cast<int>(*v);
    } else if (a == "--page-fraction") {
      LOAD_TRY(v, fraction());
      o.page_fraction = *v;
    } else if (a == "--pdf-fraction") {
      LOAD_TRY(v, fraction());
      o.pdf_fraction = *v;
    } else if (a == "--message-uid") {
      LOAD_TRY(v, integer(1, 0xffffffffu));
      o.message_uid = static_cast<std::uint32_t>(*v);
    } else if (a == "--raw-max-bytes") {
      LOAD_TRY(v, integer(1024, 1'000'000));
      o.raw_max_bytes = static_cast<std::uint32_t>(*v);
    } else if (a == "--seed") {
      LOAD_TRY(v, integer(0, UINT64_MAX));
      o.seed = *v;
    } else if (a == "--report") {
      LOAD_TRY(v, value());
      o.report_path = *v;
    } else if (a == "--label") {
      LOAD_TRY(v, value());
      o.label = *v;
    } else if (a == "--quiet")
      o.quiet = true;
    else
      return bad("unknown option '" + a + "' (see --help)");
#undef LOAD_TRY
  }

  if (mode == "http")
    o.mode = run_mode::http;
  else if (mode == "stdio")
    o.mode = run_mode::stdio;
  else if (mode == "raw-imap")
    o.mode = run_mode::raw_imap;
  else if (mode == "idle-sessions")
    o.mode = run_mode::idle_sessions;
  else
    return bad("--mode must be http, stdio, raw-imap or idle-sessions (got '" + mode + "')");

  if (o.duration_s <= 0)
    return bad("--duration must be more than 0 seconds: every run stops by itself");
  if (!grace_set)
    o.grace_ms = o.request_timeout_ms;
  if (o.mode == run_mode::stdio && o.spawn_server.empty())
    return bad(
        "--mode stdio needs --spawn-server BINARY (the harness starts the server processes)");
  if (o.mode == run_mode::stdio && o.servers > o.agents)
    return bad("--servers (" + std::to_string(o.servers) + ") must not exceed --agents (" +
               std::to_string(o.agents) + ")");

  if (o.mode == run_mode::http || o.mode == run_mode::idle_sessions) {
    auto u = parse_http_url(o.url);
    if (!u)
      return u.error();
    if (!o.allow_remote && !net_address::is_loopback(u->host))
      return bad("--url host '" + u->host +
                 "' is not a loopback address; pass --allow-remote to load a remote server");
  }
  if (o.mode == run_mode::idle_sessions && o.server_pids.empty() && o.spawn_server.empty())
    return bad("--mode idle-sessions needs --server-pid PID or --spawn-server BINARY (it measures "
               "the server's memory)");

  if (mix_set) {
    auto m = parse_mix(mix_text);
    if (!m)
      return m.error();
    o.mix = *m;
  } else {
    for (auto& op : all_ops())
      o.mix[op] = 0;
    o.mix[op_kind::list_accounts] = 1;
    o.mix[op_kind::list_mailboxes] = 1;
    o.mix[op_kind::search] = 4;
    o.mix[op_kind::get_message] = 3;
    o.mix[op_kind::get_message_raw] = 1;
    if (o.allow_writes)
      o.mix[op_kind::update_flags] = 1;
  }
  if (o.mix[op_kind::update_flags] > 0 && !o.allow_writes)
    return bad("--mix includes flag updates: writes change the mailbox, pass --allow-writes to "
               "allow them");
  if (o.mode == run_mode::raw_imap)
    o.mix[op_kind::list_accounts] = 0;
  double total = 0;
  for (const auto& [_, w] : o.mix)
    total += w;
  if (total <= 0 && o.mode != run_mode::idle_sessions)
    return bad(
        "--mix leaves no operation with a weight above 0" +
        std::string(o.mode == run_mode::raw_imap ? " (raw-imap has no imap_list_accounts)" : ""));
  if (o.flag_keyword.empty() || o.flag_keyword.size() > 64 ||
      o.flag_keyword.find_first_not_of(
          "$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string::npos)
    return bad("--flag-keyword must be an IMAP keyword ($ letters digits _ . -, 1..64 characters)");
  if (o.mailbox.empty())
    return bad("--mailbox must not be empty");
  return o;
}

} // namespace imap_mcp::load
