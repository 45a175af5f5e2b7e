#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "protocol/http/response.hpp"
#include "tests/protocol/http/support.hpp"

using namespace imap_mcp::http;
using http_test::split_response;

TEST_CASE("a complete response carries its length and the connection decision") {
  std::string out;
  header_field h[] = {{"Content-Type", "application/json"}, {"Mcp-Session-Id", "abc"}};
  write_response(out, 200, h, R"({"ok":true})", {true, 30});
  CHECK(out == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: abc\r\n"
               "Connection: keep-alive\r\nKeep-Alive: timeout=30\r\nContent-Length: "
               "11\r\n\r\n{\"ok\":true}");
  out.clear();
  write_response(out, 413, {}, "too big", {false, 30});
  auto r = split_response(out);
  CHECK(r.status == 413);
  CHECK(r.headers["connection"] == "close");
  CHECK(r.headers.count("keep-alive") == 0);
  CHECK(r.headers["content-length"] == "7");
  CHECK(r.body == "too big");
}

TEST_CASE("204 and 100 have no body and no length") {
  std::string out;
  write_response(out, 204, {}, "ignored", {true, 0});
  CHECK(out == "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
  out.clear();
  write_continue(out);
  CHECK(out == "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST_CASE("SSE events are framed as chunks a client decodes back to the messages") {
  std::string out;
  header_field h[] = {{"Content-Type", "text/event-stream"}};
  write_stream_head(out, 200, h, {true, 0});
  const std::string progress =
      R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}})";
  const std::string response = R"({"id":1,"jsonrpc":"2.0","result":{}})";
  write_sse_message(out, progress);
  write_sse_message(out, "a\nb"); // never produced by the server, but must stay framed
  write_sse_message(out, response);
  write_last_chunk(out);
  auto r = split_response(out);
  CHECK(r.headers["transfer-encoding"] == "chunked");
  CHECK(r.headers.count("content-length") == 0);
  bool complete = false;
  auto stream = http_test::dechunk(r.body, complete);
  CHECK(complete);
  auto messages = http_test::sse_messages(stream);
  REQUIRE(messages.size() == 3);
  CHECK(messages[0] == progress);
  CHECK(messages[1] == "a\nb");
  CHECK(messages[2] == response);
}

TEST_CASE("an empty chunk is never written by accident") {
  std::string out;
  write_chunk(out, "");
  CHECK(out.empty());
  write_chunk(out, std::string(255, 'x'));
  CHECK(out.rfind("ff\r\n", 0) == 0);
}

TEST_CASE("transport error bodies are valid JSON-RPC with escaped messages") {
  auto body = jsonrpc_error_body(-32600, "Bad \"thing\"\n", "7");
  auto j = nlohmann::json::parse(body);
  CHECK(j["jsonrpc"] == "2.0");
  CHECK(j["id"] == 7);
  CHECK(j["error"]["code"] == -32600);
  CHECK(j["error"]["message"] == "Bad \"thing\"\n");
  CHECK(nlohmann::json::parse(jsonrpc_error_body(-32000, "x"))["id"].is_null());
}
