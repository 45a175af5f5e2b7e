// imap-mcp-load: the load testing harness of imap-mcp (docs/load-harness.md).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "load/options.hpp"
#include "load/report.hpp"
#include "load/runner.hpp"

int main(int argc, char** argv) {
  using namespace imap_mcp;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = load::parse_options(args);
  if (!options) {
    if (options.error().stage == "help") {
      std::cout << options.error().message;
      return 0;
    }
    std::cerr << "imap-mcp-load: " << options.error().message << "\n";
    return 2;
  }
  try {
    auto report = load::run_load(*options);
    if (!report) {
      std::cerr << "imap-mcp-load: " << report.error().full_message() << "\n";
      return 1;
    }
    std::cout << load::render_table(*report) << std::flush;
    if (!options->report_path.empty()) {
      std::ofstream out(options->report_path, std::ios::trunc);
      out << report->dump(2) << "\n";
      if (!out) {
        std::cerr << "imap-mcp-load: cannot write " << options->report_path << "\n";
        return 1;
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "imap-mcp-load: " << e.what() << "\n";
    return 1;
  }
}
