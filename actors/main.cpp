// imap-mcp: an MCP server for IMAP mailboxes. This file wires the actor system:
// configuration -> account supervisors -> MCP session(s) -> transport.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/mcp_session.hpp"
#include "actors/services.hpp"
#include "actors/stdio_transport.hpp"
#include "actors/stdout_writer.hpp"
#include "actors/system.hpp"
#include "config/defaults.hpp"
#include "config/process_guard.hpp"
#include "config/settings.hpp"
#include "config/version.hpp"
#include "protocol/pdf/zygote.hpp"
#include "protocol/util/log.hpp"

extern char** environ;

namespace {

using namespace imap_mcp;

struct cli_options {
  bool help = false;
  bool version = false;
  std::optional<std::string> transport;
  std::optional<std::string> listen;
};

result<cli_options> parse_cli(int argc, char** argv) {
  cli_options out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value_of = [&](const std::string& flag) -> std::optional<std::string> {
      if (arg.rfind(flag + "=", 0) == 0) return arg.substr(flag.size() + 1);
      if (arg == flag && i + 1 < argc) return std::string(argv[++i]);
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") out.help = true;
    else if (arg == "--version" || arg == "-V") out.version = true;
    else if (arg.rfind("--transport", 0) == 0) {
      auto v = value_of("--transport");
      if (!v || (*v != "stdio" && *v != "http"))
        return make_failure(error_code::invalid_input, "--transport must be stdio or http");
      out.transport = v;
    } else if (arg.rfind("--listen", 0) == 0) {
      auto v = value_of("--listen");
      if (!v) return make_failure(error_code::invalid_input, "--listen needs HOST:PORT");
      out.listen = v;
    } else {
      // Only the option's name is echoed: `--password=...` must not print the password.
      const std::string name = arg.substr(0, arg.find('='));
      return make_failure(error_code::invalid_input, "unknown option '" + name + "' (see --help)");
    }
  }
  return out;
}

} // namespace

int main(int argc, char** argv) {
  // The environment (account passwords, bearer tokens, the cursor key) is in memory from the
  // first instruction: no core file and no same-user ptrace from here on. Forked helpers (the
  // PDF zygote and readers) inherit this. Reported once logging is configured.
  const bool memory_protected = protect_secrets_in_memory();
  auto cli = parse_cli(argc, argv);
  if (!cli) {
    std::fprintf(stderr, "imap-mcp: %s\n", cli.error().message.c_str());
    return 2;
  }
  // The PDF zygote is forked first, while this process has one thread and has not read its
  // configuration (so no password is copied into it); it forks the PDF reader processes far
  // more cheaply than the running server could. Without it, readers are forked directly.
  std::unique_ptr<pdf::zygote> pdf_zygote;
  std::optional<failure> zygote_failure;
  if (!cli->help && !cli->version) {
    auto started = pdf::zygote::start();
    if (started) pdf_zygote = std::move(*started);
    else zygote_failure = started.error();
  }
  auto env = read_environment(environ);
  if (!env) {
    std::fprintf(stderr, "imap-mcp: configuration error: %s\n", env.error().message.c_str());
    return 2;
  }
  if (cli->help) {
    std::fputs(help_text(*env).c_str(), stdout);
    return 0;
  }
  if (cli->version) {
    std::printf("imap-mcp %s\n", version);
    return 0;
  }
  if (cli->transport) (*env)["MAIL_IMAP_TRANSPORT"] = *cli->transport;
  if (cli->listen) (*env)["MAIL_IMAP_HTTP_LISTEN"] = *cli->listen;
  auto loaded = load_settings(*env);
  if (!loaded) {
    std::fprintf(stderr, "imap-mcp: configuration error: %s\n", loaded.error().message.c_str());
    return 2;
  }
  log::level lvl;
  if (log::parse_level(loaded->log_level, lvl)) log::set_level(lvl);
  for (const auto& w : loaded->warnings) LOG_WARN("config", w);
  if (!memory_protected) LOG_WARN("main", "cannot disable core dumps; a crash may write secrets to disk");
  if (zygote_failure)
    LOG_WARN("pdf", "PDF zygote not started (" << zygote_failure->message
                                               << "); PDF readers are forked from the server");
  auto config = std::make_shared<const settings>(std::move(*loaded));
  return run_server(config, pdf_zygote.get());
}
