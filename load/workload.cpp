#include "load/workload.hpp"

namespace imap_mcp::load {

using json = nlohmann::json;

op_kind pick_op(const std::map<op_kind, double>& mix, std::mt19937_64& rng) {
  double total = 0;
  for (const auto& [_, w] : mix)
    total += w;
  std::uniform_real_distribution<double> dist(0, total);
  double x = dist(rng);
  op_kind last = op_kind::search;
  for (const auto& [op, w] : mix) {
    if (w <= 0)
      continue;
    last = op;
    if (x < w)
      return op;
    x -= w;
  }
  return last;
}

std::string format_message_id(const std::string& account, const std::string& mailbox,
                              std::uint32_t uidvalidity, std::uint32_t uid) {
  return "imap:" + account + ":" + mailbox + ":" + std::to_string(uidvalidity) + ":" +
         std::to_string(uid);
}

planned_call plan_call(op_kind op, agent_state& state, const load_options& options) {
  std::uniform_real_distribution<double> coin(0, 1);
  bool needs_message =
      op == op_kind::get_message || op == op_kind::get_message_raw || op == op_kind::update_flags;
  // Nothing to read yet (or the pinned message's UIDVALIDITY is unknown): search first.
  if (needs_message && (options.message_uid ? state.uidvalidity == 0 : state.messages.empty())) {
    op = op_kind::search;
    needs_message = false;
  }

  planned_call call;
  call.op = op;
  call.operation = tool_name(op);
  if (op == op_kind::search && state.cursor && coin(state.rng) < options.page_fraction) {
    call.cursor_page = true;
    call.operation += "+cursor";
  }
  if (needs_message) {
    if (options.message_uid) {
      call.target = known_message{format_message_id(options.account_id, options.mailbox,
                                                    state.uidvalidity, *options.message_uid),
                                  state.uidvalidity, *options.message_uid, true};
    }
    if (op == op_kind::get_message && coin(state.rng) < options.pdf_fraction) {
      call.extract_pdf = true;
      call.operation += "+pdf";
    }
    if (!call.target) {
      std::vector<const known_message*> pool;
      if (call.extract_pdf)
        for (const auto& m : state.messages)
          if (m.has_attachments)
            pool.push_back(&m);
      if (pool.empty())
        for (const auto& m : state.messages)
          pool.push_back(&m);
      std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);
      call.target = *pool[pick(state.rng)];
    }
    if (op == op_kind::update_flags) {
      auto it = state.keyword_set.find(call.target->uid);
      call.add_keyword = it == state.keyword_set.end() || !it->second;
    }
  }
  return call;
}

json tool_call_params(const planned_call& call, const agent_state& state,
                      const load_options& options) {
  json args = json::object();
  switch (call.op) {
  case op_kind::list_accounts:
    break;
  case op_kind::list_mailboxes:
    args["account_id"] = options.account_id;
    break;
  case op_kind::search:
    args["account_id"] = options.account_id;
    args["mailbox"] = options.mailbox;
    args["limit"] = options.search_limit;
    if (call.cursor_page && state.cursor)
      args["cursor"] = *state.cursor;
    break;
  case op_kind::get_message:
    args["account_id"] = options.account_id;
    args["message_id"] = call.target->message_id;
    if (call.extract_pdf)
      args["extract_attachment_text"] = true;
    break;
  case op_kind::get_message_raw:
    args["account_id"] = options.account_id;
    args["message_id"] = call.target->message_id;
    args["max_bytes"] = options.raw_max_bytes;
    break;
  case op_kind::update_flags:
    args["account_id"] = options.account_id;
    args["message_id"] = call.target->message_id;
    args[call.add_keyword ? "add_flags" : "remove_flags"] = json::array({options.flag_keyword});
    break;
  }
  return {{"name", tool_name(call.op)}, {"arguments", std::move(args)}};
}

namespace {

/// Whether `object` has `key` set to the boolean true (anything else, or not an object: false).
bool is_true(const json& object, const char* key) {
  if (!object.is_object())
    return false;
  const auto v = object.find(key);
  return v != object.end() && v->is_boolean() && v->get<bool>();
}

} // namespace

call_outcome classify_rpc_response(const json& response) {
  call_outcome out;
  if (!response.is_object()) {
    out.error = "rpc:malformed";
  } else if (auto e = response.find("error"); e != response.end()) {
    const auto code = e->is_object() ? e->find("code") : e->end();
    out.error =
        "rpc:" + (e->is_object() && code != e->end() ? code->dump() : std::string("malformed"));
  } else if (!response.contains("result")) {
    out.error = "rpc:malformed";
  }
  return out;
}

call_outcome classify_tool_response(const json& response) {
  call_outcome out = classify_rpc_response(response);
  if (!out.error.empty())
    return out;
  const json& result = response["result"];
  if (!result.is_object())
    return {"rpc:malformed", false, false};
  if (result.value("isError", false)) {
    // The hard error's body is the text of the first content item.
    try {
      const json body = json::parse(result.at("content").at(0).at("text").get<std::string>());
      out.error = body.at("error").at("code").get<std::string>();
      const auto& err = body.at("error");
      if (auto d = err.find("details"); d != err.end() && d->is_object())
        out.retryable = is_true(*d, "retryable");
    } catch (...) {
      out.error = "error:unparsable";
    }
    return out;
  }
  const auto sc = result.find("structuredContent");
  if (sc == result.end() || !sc->is_object())
    return out;
  const auto data = sc->find("data");
  if (data == sc->end() || !data->is_object())
    return out;
  const std::string status = data->value("status", "ok");
  if (status == "failed") {
    std::string code = "unknown";
    if (auto issues = data->find("issues"); issues != data->end() && issues->is_array() &&
                                            !issues->empty() && issues->front().is_object()) {
      code = issues->front().value("code", "unknown");
      out.retryable = true;
      for (const auto& issue : *issues)
        if (!is_true(issue, "retryable"))
          out.retryable = false;
    }
    out.error = "failed:" + code;
  } else if (status == "partial") {
    out.partial = true;
  }
  return out;
}

void learn_from_search(agent_state& state, const json& structured) {
  if (!structured.is_object())
    return;
  const auto data = structured.find("data");
  if (data == structured.end() || !data->is_object())
    return;
  std::vector<known_message> found;
  if (auto msgs = data->find("messages"); msgs != data->end() && msgs->is_array()) {
    for (const auto& m : *msgs) {
      if (!m.is_object() || !m.contains("message_id"))
        continue;
      known_message k;
      k.message_id = m.value("message_id", "");
      k.uidvalidity = m.value("uidvalidity", 0u);
      k.uid = m.value("uid", 0u);
      k.has_attachments = m.value("has_attachments", false);
      found.push_back(std::move(k));
    }
  }
  if (!found.empty()) {
    state.uidvalidity = found.front().uidvalidity;
    state.messages = std::move(found);
  }
  const auto next = data->find("next_cursor");
  if (next != data->end() && next->is_string() && data->value("has_more", false))
    state.cursor = next->get<std::string>();
  else
    state.cursor.reset();
}

} // namespace imap_mcp::load
