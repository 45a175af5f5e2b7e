#include "protocol/http/messages.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "protocol/mcp/dispatcher.hpp"
#include "protocol/mcp/jsonrpc.hpp"

namespace imap_mcp::http {

namespace {

using json = nlohmann::json;

std::string serialize_id(const json& id) {
  return jsonrpc::dump(id);
}

/// What one element of a body contributes.
enum class element_kind { request, notification, client_response, invalid };

element_kind kind_of(const json& m) {
  if (!m.is_object())
    return element_kind::invalid;
  const bool has_id = m.contains("id");
  if (m.contains("method")) {
    if (has_id)
      return element_kind::request; // the dispatcher answers it, valid or not
    const bool ok = m.contains("jsonrpc") && m["jsonrpc"] == "2.0" && m["method"].is_string();
    return ok ? element_kind::notification : element_kind::invalid;
  }
  if (has_id && (m.contains("result") || m.contains("error")))
    return element_kind::client_response;
  return element_kind::invalid;
}

inbound_request request_of(const json& m) {
  inbound_request r;
  r.id = serialize_id(m["id"]);
  if (m["method"].is_string())
    r.method = m["method"].get<std::string>();
  if (r.method == "tools/call" && m.contains("params") && m["params"].is_object() &&
      m["params"].contains("name") && m["params"]["name"].is_string())
    r.tool = m["params"]["name"].get<std::string>();
  return r;
}

void note_cancel(const json& m, body_info& out) {
  if (m["method"] != "notifications/cancelled" || !m.contains("params") || !m["params"].is_object())
    return;
  const auto& params = m["params"];
  if (params.contains("requestId") &&
      (params["requestId"].is_string() || params["requestId"].is_number_integer()))
    out.cancelled.push_back(serialize_id(params["requestId"]));
}

body_info invalid(int code, std::string message) {
  body_info out;
  out.kind = body_kind::invalid;
  out.error_code = code;
  out.error_message = std::move(message);
  return out;
}

/// Tracks where a SAX parse is, to pick out the few fields the transport needs.
class outbound_handler {
public:
  explicit outbound_handler(outbound_info& out) : out_(out) {}

  bool null() { return scalar("null"); }
  bool boolean(bool v) {
    if (v && at({"result", "isError"}))
      current_status_ = "error";
    return scalar(v ? "true" : "false");
  }
  bool number_integer(json::number_integer_t v) { return scalar(std::to_string(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(std::to_string(v)); }
  bool number_float(json::number_float_t, const std::string& s) { return scalar(s); }
  bool string(std::string& v) {
    if (at({"result", "structuredContent", "data", "status"}) && current_status_ != "error")
      current_status_ = v;
    if (in_message() && stack_.size() == base_ + 1 && stack_.back().key == "id")
      current_id_ = json(v).dump();
    return true;
  }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) {
    if (stack_.empty()) {
      base_ = 0;
      begin_message();
    } else if (stack_.size() == 1 && !stack_[0].object) {
      begin_message(); // a batch member
    } else if (in_message() && stack_.size() == base_ + 1 && stack_.back().key == "error") {
      current_status_ = "rpc_error";
    }
    stack_.push_back({true, {}});
    return true;
  }
  bool key(std::string& k) {
    stack_.back().key = k;
    if (in_message() && stack_.size() == base_ + 1 && k == "method")
      is_notification_ = true;
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    if (stack_.size() == base_ && message_open_)
      end_message();
    return true;
  }
  bool start_array(std::size_t) {
    if (stack_.empty()) {
      base_ = 1;
      out_.response = true; // a batch of responses
    }
    stack_.push_back({false, {}});
    return true;
  }
  bool end_array() {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const json::exception&) { return false; }

private:
  struct level {
    bool object;
    std::string key;
  };

  bool in_message() const { return message_open_; }

  /// True when the value being read sits at that key path inside the current message.
  bool at(std::initializer_list<std::string_view> path) const {
    if (!message_open_ || stack_.size() != base_ + path.size())
      return false;
    std::size_t i = base_;
    for (auto k : path) {
      if (!stack_[i].object || stack_[i].key != k)
        return false;
      ++i;
    }
    return true;
  }

  bool scalar(const std::string& text) {
    if (in_message() && stack_.size() == base_ + 1 && stack_.back().key == "id")
      current_id_ = text;
    return true;
  }

  void begin_message() {
    message_open_ = true;
    is_notification_ = false;
    current_id_ = "null";
    current_status_ = "ok";
  }

  void end_message() {
    message_open_ = false;
    if (is_notification_ && base_ == 0)
      return;
    out_.response = true;
    out_.responses.push_back({current_id_, current_status_});
  }

  outbound_info& out_;
  std::vector<level> stack_;
  std::size_t base_ = 0;
  bool message_open_ = false;
  bool is_notification_ = false;
  std::string current_id_;
  std::string current_status_;
};

/// True when the parameters of a media range hold `q=0` (or 0.0, 0.00...).
bool zero_weight(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    auto p = params.substr(0, semi);
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    while (!p.empty() && (p.front() == ' ' || p.front() == '\t'))
      p.remove_prefix(1);
    while (!p.empty() && (p.back() == ' ' || p.back() == '\t'))
      p.remove_suffix(1);
    if (p.size() < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
      continue;
    auto v = p.substr(2);
    return v.find_first_not_of("0.") == std::string_view::npos && v.front() == '0';
  }
  return false;
}

bool media_matches(std::string_view range, std::string_view type) {
  if (range == "*/*" || range == type)
    return true;
  auto slash = type.find('/');
  return range.size() == slash + 2 && range.substr(0, slash + 1) == type.substr(0, slash + 1) &&
         range.back() == '*';
}

} // namespace

body_info classify_body(std::string_view body, std::size_t max_bytes, int max_depth,
                        bool batches_allowed) {
  std::string why;
  auto parsed = jsonrpc::parse_bounded(body, {max_bytes, max_depth}, why);
  if (!parsed)
    return invalid(static_cast<int>(jsonrpc::rpc_error::parse_error), "Parse error: " + why);
  const json& value = *parsed;
  body_info out;
  if (value.is_array()) {
    if (!batches_allowed)
      return invalid(static_cast<int>(jsonrpc::rpc_error::invalid_request),
                     "Invalid Request: JSON-RPC batches are only supported with protocol "
                     "version 2025-03-26");
    if (value.empty())
      return invalid(static_cast<int>(jsonrpc::rpc_error::invalid_request),
                     "Invalid Request: empty batch");
    out.batch = true;
    bool answered = false;
    for (const auto& m : value) {
      switch (kind_of(m)) {
      case element_kind::request:
        out.requests.push_back(request_of(m));
        answered = true;
        break;
      case element_kind::invalid:
        answered = true; // the dispatcher puts an error into the batch answer
        break;
      case element_kind::notification:
        note_cancel(m, out);
        break;
      case element_kind::client_response:
        break;
      }
    }
    out.kind = answered ? body_kind::requests : body_kind::notifications;
    return out;
  }
  switch (kind_of(value)) {
  case element_kind::request:
    out.kind = body_kind::requests;
    out.requests.push_back(request_of(value));
    if (out.requests.back().method == "initialize") {
      out.initialize = true;
      if (value.contains("params") && value["params"].is_object() &&
          value["params"].contains("protocolVersion") &&
          value["params"]["protocolVersion"].is_string())
        out.requested_version = value["params"]["protocolVersion"].get<std::string>();
    }
    return out;
  case element_kind::notification:
    out.kind = body_kind::notifications;
    note_cancel(value, out);
    return out;
  case element_kind::client_response:
    out.kind = body_kind::notifications;
    return out;
  case element_kind::invalid:
    break;
  }
  return invalid(static_cast<int>(jsonrpc::rpc_error::invalid_request),
                 "Invalid Request: expected a JSON-RPC request, notification or response");
}

outbound_info classify_outbound(std::string_view message) {
  outbound_info out;
  outbound_handler handler(out);
  if (!json::sax_parse(message.begin(), message.end(), &handler)) {
    out.response = true;
    out.responses.clear();
  }
  return out;
}

accept_info parse_accept(const std::string* accept) {
  if (accept == nullptr)
    return {true, true};
  accept_info out;
  std::string_view rest{*accept};
  bool any = false;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    auto semi = item.find(';');
    auto range = item.substr(0, semi);
    while (!range.empty() && (range.front() == ' ' || range.front() == '\t'))
      range.remove_prefix(1);
    while (!range.empty() && (range.back() == ' ' || range.back() == '\t'))
      range.remove_suffix(1);
    if (range.empty())
      continue;
    any = true;
    std::string lowered(range);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    // q=0 means "not acceptable"; any other weight counts.
    if (semi != std::string_view::npos && zero_weight(item.substr(semi + 1)))
      continue;
    out.json = out.json || media_matches(lowered, "application/json");
    out.sse = out.sse || media_matches(lowered, "text/event-stream");
  }
  if (!any)
    return {true, true};
  return out;
}

bool protocol_version_supported(std::string_view value) {
  return mcp::is_supported_version(value);
}

std::string negotiated_version(std::string_view requested) {
  return mcp::is_supported_version(requested) ? std::string(requested)
                                              : std::string(mcp::preferred_version);
}

} // namespace imap_mcp::http
