#include <catch2/catch.hpp>

#include "protocol/http/access_log.hpp"

using namespace imap_mcp::http;
using namespace std::chrono_literals;

TEST_CASE("an access log line has the request's facts and nothing secret") {
  access_entry e;
  e.method = "POST";
  e.path = "/mcp";
  e.status = 200;
  e.bytes = 812;
  e.duration = 3100us;
  e.session = "1a2b3c4d5e6f708192a3b4c5d6e7f801";
  e.rpc_method = "tools/call";
  e.tool = "imap_list_accounts";
  e.peer = "127.0.0.1";
  CHECK(format_access_log(e) ==
        "method=POST path=/mcp status=200 bytes=812 duration_ms=3.1 "
        "session=1a2b3c4d rpc=tools/call tool=imap_list_accounts peer=127.0.0.1");
}

TEST_CASE("hostile values cannot forge or split a log line") {
  access_entry e;
  e.method = "GET";
  e.path = "/x\r\nstatus=200 evil=\"1\"";
  e.status = 404;
  auto line = format_access_log(e);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  CHECK(line.find("evil=") == std::string::npos);
  CHECK(line.find(" status=404") != std::string::npos);
  // access_entry holds views: the long path must outlive the call (found by ASan).
  const std::string long_path(1000, 'a');
  e.path = long_path;
  line = format_access_log(e);
  CHECK(line.size() < 300);
  CHECK(line.find("...") != std::string::npos);
}
