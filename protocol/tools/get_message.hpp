#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/imap/client.hpp"
#include "protocol/mime/mime.hpp"
#include "protocol/pdf/isolated.hpp"
#include "protocol/pdf/pdf.hpp"
#include "protocol/tools/ids.hpp"
#include "protocol/tools/output.hpp"

namespace imap_mcp::tools {

/// Bounds of imap_get_message (contract tool 5).
inline constexpr std::size_t max_attachments_listed = 50;
inline constexpr std::uint64_t max_pdf_bytes = 5'000'000;
/// Most bytes of a text/html part fetched for rendering.
inline constexpr std::uint32_t max_html_fetch = 2u << 20;

/// Validated imap_get_message arguments.
struct get_message_args {
  message_ref ref;
  std::size_t body_max_chars = 2000;
  bool include_headers = true;
  bool include_all_headers = false;
  bool include_html = false;
  bool extract_attachment_text = false;
  std::size_t attachment_text_max_chars = 10000;
};

result<get_message_args> parse_get_message_args(const nlohmann::json& arguments);

/// One body part as fetched over IMAP (still transfer-encoded).
struct fetched_part {
  std::string section;
  std::string type, subtype; ///< lower case
  std::string charset;
  std::string encoding; ///< lower case transfer encoding
  std::string filename;
  std::uint64_t encoded_size = 0;
  std::string data;
  bool partial = false; ///< only a prefix was fetched
};

/// An attachment as listed to the agent.
struct attachment_info {
  std::string filename;
  std::string content_type;
  std::uint64_t size_bytes = 0; ///< decoded size (estimated from the encoded size)
  std::string part_id;
  bool is_pdf = false;
};

/// Everything the IMAP stage fetched for one message.
struct message_fetch {
  message_ref ref;
  std::vector<std::string> flags;
  std::string internaldate;
  std::optional<imap::envelope> envelope;
  std::string header_block;
  std::optional<fetched_part> plain, html;
  std::vector<attachment_info> attachments; ///< first max_attachments_listed
  std::size_t attachments_total = 0;
  std::vector<fetched_part> pdfs; ///< PDF parts to extract (when asked)
  nlohmann::json issues = nlohmann::json::array();
};

/// IMAP stage: EXAMINE + UIDVALIDITY check, BODYSTRUCTURE/ENVELOPE/FLAGS/HEADER in one
/// FETCH, then only the needed parts in a second one. Never sets \Seen.
result<message_fetch> fetch_message(imap::client& client, const get_message_args& args);

/// What the MIME stage produces.
struct rendered_message {
  nlohmann::json headers = nlohmann::json::array(); ///< [name, value] pairs
  std::string subject, from, to, cc, date;
  mime::rendered_body body;
};

/// MIME stage (runs in the MIME parser pool): decodes headers, transfer encodings and
/// charsets, picks and renders the body, sanitizes HTML.
rendered_message render_message(const message_fetch& fetch, const get_message_args& args);

/// PDF stage (runs in the PDF extractor pool): decodes and extracts one PDF part, in a reader
/// process forked by the zygote behind `channel` (the worker's own), or directly when null.
result<pdf::pdf_text> extract_pdf(const fetched_part& part, std::size_t max_chars, int deadline_ms,
                                  pdf::zygote_channel* channel = nullptr);

/// Assembles data.message from the three stages' outputs (pdf_results by section).
tool_output assemble_message(const message_fetch& fetch, const rendered_message& rendered,
                             const std::vector<std::pair<std::string, result<pdf::pdf_text>>>& pdf_results,
                             const get_message_args& args);

} // namespace imap_mcp::tools
