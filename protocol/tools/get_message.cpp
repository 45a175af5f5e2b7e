#include "protocol/tools/get_message.hpp"

#include <algorithm>
#include <map>

#include "protocol/tools/catalog.hpp"
#include "protocol/tools/envelope.hpp"
#include "protocol/tools/message_access.hpp"
#include "protocol/tools/search.hpp"
#include "protocol/util/dates.hpp"

namespace imap_mcp::tools {

using json = nlohmann::json;

namespace {

failure invalid(const std::string& message) {
  return make_failure(error_code::invalid_input, message, "validate");
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// The attachment's file name: RFC 2231 / RFC 2047 decoded, from the disposition's
/// filename or the content type's name.
std::string filename_of(const imap::body_part& p) {
  std::string header = "attachment";
  for (const auto& [k, v] : p.disposition_params) header += "; " + k + "=\"" + v + "\"";
  for (const auto& [k, v] : p.params)
    if (k.rfind("name", 0) == 0) header += "; " + (k == "name" ? std::string("filename") : "filename" + k.substr(4)) + "=\"" + v + "\"";
  auto name = mime::content_param(header, "filename");
  if (name.empty()) return {};
  return mime::decode_header_value(name);
}

std::uint64_t decoded_estimate(const imap::body_part& p) {
  // Whole 78-byte lines (76 characters + CRLF) hold 57 bytes each; the rest is one short line.
  if (p.encoding == "base64") return p.size / 78 * 57 + (p.size % 78 > 2 ? (p.size % 78 - 2) * 3 / 4 : 0);
  return p.size;
}

bool is_pdf(const imap::body_part& p, const std::string& filename) {
  if (p.type == "application" && p.subtype == "pdf") return true;
  if (p.type == "application" && p.subtype == "octet-stream") {
    auto f = lower(filename);
    return f.size() > 4 && f.compare(f.size() - 4, 4, ".pdf") == 0;
  }
  return false;
}

fetched_part part_of(const imap::body_part& p) {
  fetched_part f;
  f.section = p.section;
  f.type = p.type;
  f.subtype = p.subtype;
  f.charset = std::string(p.param("charset"));
  f.encoding = p.encoding;
  f.encoded_size = p.size;
  f.filename = filename_of(p);
  return f;
}

/// Walks the structure: the first plain and html body parts, and the attachments. A
/// message/rfc822 part is one attachment (its inner parts are not body parts).
void classify(const imap::body_part& root, message_fetch& out, const imap::body_part*& plain,
              const imap::body_part*& html, std::vector<const imap::body_part*>& pdf_parts) {
  std::vector<const imap::body_part*> stack{&root};
  while (!stack.empty()) {
    const auto* p = stack.back();
    stack.pop_back();
    if (p->is_multipart()) {
      for (auto it = p->children.rbegin(); it != p->children.rend(); ++it) stack.push_back(&*it);
      continue;
    }
    const std::string filename = filename_of(*p);
    // Every non-text leaf is an attachment (inline images included); a text part is one when
    // it is marked so or carries a file name without being inline.
    const bool attachment = p->disposition == "attachment" || p->type != "text" ||
                            (!filename.empty() && p->disposition != "inline");
    if (!attachment && p->type == "text") {
      if (p->subtype == "plain" && plain == nullptr) { plain = p; continue; }
      if (p->subtype == "html" && html == nullptr) { html = p; continue; }
    }
    if (p->type == "text" && !attachment) continue; // other inline text (e.g. text/calendar inline)
    ++out.attachments_total;
    const bool pdf = is_pdf(*p, filename);
    if (out.attachments.size() < max_attachments_listed) {
      attachment_info a;
      a.filename = filename;
      a.content_type = p->type + "/" + p->subtype;
      a.size_bytes = decoded_estimate(*p);
      a.part_id = p->section;
      a.is_pdf = pdf;
      out.attachments.push_back(std::move(a));
      if (pdf) pdf_parts.push_back(p);
    }
  }
}

std::string format_date(const imap::envelope* env, const std::string& internaldate) {
  if (env && !env->date.empty())
    if (auto t = dates::parse_rfc5322(env->date)) return format_utc(*t);
  if (auto t = dates::parse_internaldate(internaldate)) return format_utc(*t);
  return "";
}

} // namespace

result<get_message_args> parse_get_message_args(const json& a) {
  auto ref = message_ref_from_arguments(a);
  if (!ref) return ref.error();
  get_message_args g;
  g.ref = *ref;
  g.body_max_chars = a.value("body_max_chars", std::size_t{2000});
  g.include_headers = a.value("include_headers", true);
  g.include_all_headers = a.value("include_all_headers", false);
  g.include_html = a.value("include_html", false);
  g.extract_attachment_text = a.value("extract_attachment_text", false);
  if (a.contains("attachment_text_max_chars")) {
    if (!g.extract_attachment_text)
      return invalid("attachment_text_max_chars requires extract_attachment_text=true");
    g.attachment_text_max_chars = a["attachment_text_max_chars"].get<std::size_t>();
  }
  return g;
}

result<message_fetch> fetch_message(imap::client& client, const get_message_args& args) {
  const auto& ref = args.ref;
  if (auto s = open_message_mailbox(client, ref); !s) return s.error();
  const std::vector<std::uint32_t> one{ref.uid};
  imap::fetch_items items;
  items.flags = items.internaldate = items.envelope = items.bodystructure = true;
  imap::section_spec header;
  header.specifier = "HEADER";
  items.sections.push_back(header);
  auto first = client.uid_fetch(imap::sequence_set::from_numbers(one), items);
  bool structure_unreadable = false;
  if (!first && !client.broken() && first.error().message.find("nesting") != std::string::npos) {
    // A structure nested beyond the parser's bound (hostile or broken mail): still show the
    // headers, and say why the body is missing.
    items.bodystructure = false;
    first = client.uid_fetch(imap::sequence_set::from_numbers(one), items);
    structure_unreadable = true;
  }
  if (!first) return first.error();
  imap::fetch_record* record = nullptr;
  for (auto& r : *first)
    if (r.uid && *r.uid == ref.uid) record = &r;
  if (record == nullptr) return message_not_found(ref);

  message_fetch out;
  out.ref = ref;
  out.flags = record->flags.value_or(std::vector<std::string>{});
  out.internaldate = record->internaldate;
  out.envelope = record->envelope;
  if (const auto* h = record->section("HEADER")) out.header_block = h->data;
  if (structure_unreadable) {
    out.issues.push_back(make_issue(make_failure(
      error_code::invalid_input,
      "the message's MIME structure is nested too deeply to be read; body and attachments are "
      "not shown (imap_get_message_raw returns the source)",
      "bodystructure")));
    return out;
  }
  if (!record->body_structure)
    return make_failure(error_code::internal, "server sent no BODYSTRUCTURE", "fetch", true);

  const imap::body_part* plain = nullptr;
  const imap::body_part* html = nullptr;
  std::vector<const imap::body_part*> pdf_parts;
  classify(*record->body_structure, out, plain, html, pdf_parts);
  if (out.attachments_total > max_attachments_listed)
    out.issues.push_back({{"code", "truncated"},
                          {"stage", "attachments"},
                          {"message", "the message has " + std::to_string(out.attachments_total) +
                                        " attachments; only the first " +
                                        std::to_string(max_attachments_listed) + " are listed"},
                          {"retryable", false}});

  // Second round trip: only the parts the answer needs.
  imap::fetch_items parts;
  // Enough encoded bytes for body_max_chars characters in any charset and encoding.
  const std::uint64_t text_window = std::max<std::uint64_t>(65536, args.body_max_chars * 12);
  auto want = [&](const imap::body_part* p, std::uint64_t window, std::optional<fetched_part>& slot) {
    slot = part_of(*p);
    imap::section_spec spec;
    spec.part = p->section == "TEXT" ? "" : p->section;
    if (p->section == "TEXT") spec.specifier = "TEXT";
    if (p->size > window) {
      spec.offset = 0;
      spec.length = static_cast<std::uint32_t>(window);
      slot->partial = true;
    }
    parts.sections.push_back(spec);
  };
  if (plain) want(plain, text_window, out.plain);
  const bool plain_may_be_empty = plain == nullptr || plain->size < 64;
  if (html && (args.include_html || plain_may_be_empty)) want(html, max_html_fetch, out.html);
  if (args.extract_attachment_text) {
    for (const auto* p : pdf_parts) {
      if (decoded_estimate(*p) > max_pdf_bytes) {
        out.issues.push_back(make_issue(
          make_failure(error_code::invalid_input,
                       "PDF attachment part " + p->section + " is about " +
                         std::to_string(decoded_estimate(*p)) + " bytes; text is extracted only up to " +
                         std::to_string(max_pdf_bytes) + " bytes",
                       "pdf")));
        continue;
      }
      out.pdfs.push_back(part_of(*p));
      imap::section_spec spec;
      spec.part = p->section;
      parts.sections.push_back(spec);
    }
  }
  if (!parts.sections.empty()) {
    auto second = client.uid_fetch(imap::sequence_set::from_numbers(one), parts);
    if (!second) return second.error();
    const imap::fetch_record* r2 = nullptr;
    for (const auto& r : *second)
      if (r.uid && *r.uid == ref.uid) r2 = &r;
    if (r2 == nullptr) return message_not_found(ref);
    auto fill = [&](fetched_part& f) {
      const std::string key = f.section == "TEXT" ? "TEXT" : f.section;
      if (const auto* s = r2->section(key)) f.data = s->data;
    };
    if (out.plain) fill(*out.plain);
    if (out.html) fill(*out.html);
    for (auto& p : out.pdfs) fill(p);
  }
  return out;
}

rendered_message render_message(const message_fetch& fetch, const get_message_args& args) {
  rendered_message r;
  auto headers = mime::parse_header_block(fetch.header_block);
  static const char* curated[] = {"Date", "From", "To", "Cc", "Subject", "Message-ID"};
  auto value_of = [&](std::string_view name) -> std::string {
    const auto* f = mime::find_header(headers, name);
    return f ? f->value : std::string();
  };
  // Address lists are parsed from the value as sent: a decoded display name may hold commas.
  auto addresses_of = [&](std::string_view name) -> std::string {
    const auto* f = mime::find_header(headers, name);
    return f ? mime::format_addresses(f->raw) : std::string();
  };
  if (args.include_headers) {
    if (args.include_all_headers) {
      for (const auto& h : headers) r.headers.push_back({h.name, h.value});
    } else {
      for (const char* name : curated)
        for (const auto& h : headers)
          if (lower(h.name) == lower(name)) r.headers.push_back({h.name, h.value});
    }
  }
  r.subject = value_of("Subject");
  r.from = addresses_of("From");
  r.to = addresses_of("To");
  r.cc = addresses_of("Cc");
  if (fetch.envelope) {
    if (r.subject.empty()) r.subject = mime::decode_header_value(fetch.envelope->subject);
    if (r.from.empty()) r.from = format_address_list(fetch.envelope->from);
    if (r.to.empty()) r.to = format_address_list(fetch.envelope->to);
    if (r.cc.empty()) r.cc = format_address_list(fetch.envelope->cc);
  }
  r.date = format_date(fetch.envelope ? &*fetch.envelope : nullptr, fetch.internaldate);

  std::vector<mime::part> text_parts;
  auto add = [&](const std::optional<fetched_part>& f) {
    if (!f) return;
    mime::part p;
    p.part_id = f->section;
    p.content_type = f->type + "/" + f->subtype;
    p.charset = f->charset;
    p.transfer_encoding = f->encoding;
    std::string data = f->data;
    if (f->partial && f->encoding == "base64") {
      // Keep whole base64 quanta only, so the cut never decodes into garbage.
      std::string clean;
      for (char c : data)
        if (c != '\r' && c != '\n') clean.push_back(c);
      clean.resize(clean.size() - clean.size() % 4);
      data = std::move(clean);
    }
    auto decoded = mime::decode_transfer(data, f->encoding);
    p.body = mime::to_utf8(decoded ? *decoded : data, f->charset);
    p.decoded_size = p.body.size();
    text_parts.push_back(std::move(p));
  };
  add(fetch.plain);
  add(fetch.html);
  mime::render_options opts;
  opts.body_max_chars = args.body_max_chars;
  opts.include_html = args.include_html;
  r.body = mime::render_body(text_parts, opts);
  // A partial fetch means the text continues beyond what was read.
  if (fetch.plain && fetch.plain->partial && !r.body.body_text.empty() && text_parts.size() &&
      text_parts.front().content_type == "text/plain")
    r.body.body_text_truncated = true;
  return r;
}

result<pdf::pdf_text> extract_pdf(const fetched_part& part, std::size_t max_chars, int deadline_ms,
                                  pdf::zygote_channel* channel) {
  auto decoded = mime::decode_transfer(part.data, part.encoding);
  if (!decoded) return decoded.error();
  pdf::pdf_limits limits;
  limits.max_bytes = max_pdf_bytes;
  limits.max_chars = max_chars;
  limits.deadline_ms = std::max(1, deadline_ms);
  // A separate process per document: poppler cannot be interrupted inside a page, and a
  // crafted PDF can hold a thread for minutes; the child is killed at the deadline. The zygote
  // forks it far more cheaply than this large multithreaded process could.
  return pdf::extract_text_isolated(*decoded, limits, pdf::isolation_limits{}, {}, channel);
}

tool_output assemble_message(const message_fetch& fetch, const rendered_message& rendered,
                             const std::vector<std::pair<std::string, result<pdf::pdf_text>>>& pdf_results,
                             const get_message_args& args) {
  json issues = fetch.issues;
  json attachments = json::array();
  for (const auto& a : fetch.attachments) {
    json entry = {{"filename", a.filename},
                  {"content_type", a.content_type},
                  {"size_bytes", a.size_bytes},
                  {"part_id", a.part_id}};
    for (const auto& [section, outcome] : pdf_results) {
      if (section != a.part_id) continue;
      if (outcome.ok()) {
        entry["extracted_text"] = outcome->text;
        if (outcome->truncated) entry["extracted_text_truncated"] = true;
      } else {
        issues.push_back(make_issue(outcome.error()));
        issues.back()["message"] = "attachment " + a.part_id + " (" + a.filename + "): " +
                                   issues.back()["message"].get<std::string>();
      }
    }
    attachments.push_back(std::move(entry));
  }
  const auto id = format_message_id(fetch.ref);
  json message = {{"message_id", id},
                  {"mailbox", fetch.ref.mailbox},
                  {"uidvalidity", fetch.ref.uidvalidity},
                  {"uid", fetch.ref.uid},
                  {"date", rendered.date},
                  {"from", rendered.from},
                  {"to", rendered.to},
                  {"cc", rendered.cc},
                  {"subject", rendered.subject},
                  {"flags", fetch.flags},
                  {"body_text", rendered.body.body_text},
                  {"body_text_truncated", rendered.body.body_text_truncated},
                  {"attachments", attachments}};
  if (args.include_headers) message["headers"] = rendered.headers;
  if (args.include_html) {
    message["body_html"] = rendered.body.body_html.value_or("");
    message["body_html_truncated"] = rendered.body.body_html_truncated;
  }
  const bool degraded = !issues.empty() &&
                        std::any_of(issues.begin(), issues.end(),
                                    [](const json& i) { return i.value("code", "") != "truncated"; });
  json data = {{"status", degraded ? "partial" : "ok"},
               {"issues", issues},
               {"account_id", fetch.ref.account_id},
               {"message", std::move(message)}};
  if (rendered.body.body_text_truncated)
    data["next_action"] = next_action("Read more of the body (or the raw source)", names::get_message,
                                      {{"account_id", fetch.ref.account_id},
                                       {"message_id", id},
                                       {"body_max_chars", 20000}});
  tool_output out;
  out.summary = "message retrieved: \"" + rendered.subject.substr(0, 80) + "\"" +
                (attachments.empty() ? "" : " with " + std::to_string(fetch.attachments_total) + " attachment(s)") +
                (degraded ? " (with issues)" : "");
  out.data = std::move(data);
  return out;
}

} // namespace imap_mcp::tools
