#pragma once

#include <nlohmann/json.hpp>

#include "load/options.hpp"
#include "protocol/util/error.hpp"

/// Runs a load test end to end: spawns what it must, starts the agents, stops them, reports.
namespace imap_mcp::load {

/// Runs the whole test described by `options` and returns its JSON report. Fails only when
/// the run could not take place (server did not start, no account for raw-imap...); errors
/// of calls are in the report.
result<nlohmann::json> run_load(load_options options);

} // namespace imap_mcp::load
