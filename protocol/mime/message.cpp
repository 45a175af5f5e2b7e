// Whole-message parsing (mime::parse_message): guard rails, vmime, IMAP section numbering.

#include <memory>
#include <new>

#include <vmime/body.hpp>
#include <vmime/bodyPart.hpp>
#include <vmime/header.hpp>
#include <vmime/message.hpp>
#include <vmime/utility/inputStreamByteBufferAdapter.hpp>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/prescan.hpp"
#include "protocol/mime/text_util.hpp"
#include "protocol/mime/utf8.hpp"
#include "protocol/mime/vmime_util.hpp"

namespace imap_mcp::mime {

namespace {

/// Header fields read per part; a part header is a few dozen in practice.
constexpr std::size_t max_fields_per_part = 1000;

failure refuse(std::string message) {
  return make_failure(error_code::invalid_input, std::move(message), "mime");
}

/// Lower-case type/subtype with RFC 2045 defaults for missing or broken values.
std::string media_type(std::string_view raw, bool present, bool in_digest) {
  if (!present)
    return in_digest ? "message/rfc822" : "text/plain";
  auto t = content_value(raw);
  if (t.empty())
    return in_digest ? "message/rfc822" : "text/plain";
  const auto slash = t.find('/');
  if (slash == std::string::npos)
    return t == "text" ? "text/plain" : t + "/octet-stream";
  if (slash == 0 || slash + 1 == t.size())
    return "application/octet-stream";
  return t;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string child_id(const std::string& parent, std::size_t index) {
  return parent.empty() ? std::to_string(index) : parent + "." + std::to_string(index);
}

/// Parses `bytes` as a message with vmime, without copying them.
std::shared_ptr<vmime::message> vmime_parse(std::string_view bytes) {
  auto msg = vmime::make_shared<vmime::message>();
  msg->parse(vmime::make_shared<vmime::utility::inputStreamByteBufferAdapter>(
                 reinterpret_cast<const vmime::byte_t*>(bytes.data()), bytes.size()),
             bytes.size());
  return msg;
}

/// Walks vmime's tree and fills a parsed_message. Recursion is bounded by limits::max_depth,
/// which the pre-scan enforced before vmime built the tree.
class walker {
public:
  walker(const limits& lim, parsed_message& out) : lim_(lim), out_(out) {
    budget_.header_lines = lim.max_header_lines;
    budget_.header_bytes = lim.max_header_bytes;
    budget_.boundary_lines = lim.max_boundary_lines;
  }

  scan_budget& budget() { return budget_; }

  /// An entity (message or body part) whose header and body vmime parsed from `buf`. `id` is
  /// its IMAP section ("" for the top-level message); `is_message` marks a message root, whose
  /// non-multipart body gets section `id.1`.
  void entity(vmime::bodyPart& bp, std::string_view buf, const std::string& id, int depth,
              bool in_digest, bool is_message) {
    if (full())
      return;
    const auto fields = fields_of(*bp.getHeader(), buf, max_fields_per_part);
    bool has_type = false;
    const auto type_raw = raw_value(fields, "Content-Type", &has_type);
    auto type = media_type(type_raw, has_type, in_digest);
    const auto body = bp.getBody();
    if (starts_with(type, "multipart/")) {
      if (body->getPartCount() > 0) {
        const bool digest = type == "multipart/digest";
        for (std::size_t i = 0; i < body->getPartCount(); ++i) {
          if (full())
            return;
          entity(*body->getPartAt(i), buf, child_id(id, i + 1), depth + 1, digest, false);
        }
        return;
      }
      // A multipart vmime could not split (no usable boundary) reads as plain text, as
      // IMAP servers present it.
      type = "text/plain";
    }
    const std::string leaf_id = is_message ? child_id(id, 1) : id;
    leaf(*body, fields, buf, leaf_id, std::move(type), type_raw, depth);
  }

  /// Parses an encapsulated message (the decoded body of message/rfc822 part `id`).
  void encapsulated(std::string_view bytes, const std::string& id, int depth) {
    if (depth > lim_.max_depth) {
      warn("the message attached as part " + id +
           " is nested too deeply; its parts are not listed");
      return;
    }
    const auto scan = prescan(bytes, lim_.max_depth - depth, budget_);
    if (scan.too_deep) {
      warn("the message attached as part " + id + " is nested deeper than " +
           std::to_string(lim_.max_depth) + " levels; its parts are not listed");
      return;
    }
    auto view = bytes;
    if (scan.cut != std::string_view::npos) {
      view = bytes.substr(0, scan.cut);
      cut("the message attached as part " + id +
          " has too many header or boundary lines; it was cut");
    }
    std::shared_ptr<vmime::message> msg;
    try {
      msg = vmime_parse(view);
    } catch (...) {
      warn("the message attached as part " + id + " could not be parsed");
      return;
    }
    entity(*msg, view, id, depth, false, true);
  }

  void warn(std::string text) { out_.warnings.push_back(std::move(text)); }

  void cut(std::string text) {
    out_.truncated = true;
    warn(std::move(text));
  }

private:
  bool full() {
    if (out_.parts.size() < lim_.max_parts)
      return false;
    if (!parts_capped_) {
      parts_capped_ = true;
      cut("the message has more than " + std::to_string(lim_.max_parts) +
          " parts; only the first " + std::to_string(lim_.max_parts) + " are listed");
    }
    return true;
  }

  void leaf(vmime::body& body, const std::vector<raw_field>& fields, std::string_view buf,
            const std::string& id, std::string type, std::string_view type_raw, int depth) {
    part p;
    p.part_id = id;
    p.content_type = std::move(type);
    p.charset = normalize_charset(content_param(type_raw, "charset"));
    const auto disposition_raw = raw_value(fields, "Content-Disposition");
    p.disposition = content_value(disposition_raw);
    p.filename = content_param(disposition_raw, "filename");
    if (p.filename.empty())
      p.filename = content_param(type_raw, "name");
    p.transfer_encoding = content_value(raw_value(fields, "Content-Transfer-Encoding"));

    std::string_view encoded;
    const auto off = body.getParsedOffset();
    const auto len = body.getParsedLength();
    if (off <= buf.size() && len <= buf.size() - off)
      encoded = buf.substr(off, len);
    auto decoded = decode_transfer(encoded, p.transfer_encoding);
    if (!decoded) {
      warn("part " + id + " could not be decoded");
      return;
    }
    p.decoded_size = decoded->size();

    const bool is_message =
        p.content_type == "message/rfc822" || p.content_type == "message/global";
    const bool is_text = starts_with(p.content_type, "text/");
    const bool body_text =
        (p.content_type == "text/plain" || p.content_type == "text/html") && p.filename.empty();
    p.is_attachment = p.disposition == "attachment" || is_message || !body_text;

    if (is_message) {
      p.body = *decoded;
      out_.parts.push_back(std::move(p));
      encapsulated(*decoded, id, depth + 1);
      return;
    }
    p.body = is_text ? to_utf8(*decoded, p.charset) : std::move(*decoded);
    out_.parts.push_back(std::move(p));
  }

  const limits& lim_;
  parsed_message& out_;
  scan_budget budget_;
  bool parts_capped_ = false;
};

} // namespace

result<parsed_message> parse_message(std::string_view raw, const limits& lim) {
  if (raw.size() > lim.max_message_bytes)
    return refuse("message is " + std::to_string(raw.size()) +
                  " bytes; the parser accepts at most " + std::to_string(lim.max_message_bytes));
  try {
    parsed_message out;
    walker w(lim, out);
    const auto scan = prescan(raw, lim.max_depth, w.budget());
    if (scan.too_deep)
      return refuse("MIME structure is nested deeper than " + std::to_string(lim.max_depth) +
                    " levels; the message was not parsed");
    auto view = raw;
    if (scan.cut != std::string_view::npos) {
      view = raw.substr(0, scan.cut);
      w.cut("the message has too many header or boundary lines; only its first " +
            std::to_string(view.size()) + " bytes were parsed");
    }
    std::shared_ptr<vmime::message> msg;
    try {
      msg = vmime_parse(view);
    } catch (const std::bad_alloc&) {
      throw;
    } catch (...) {
      return make_failure(error_code::internal, "the MIME parser could not read the message",
                          "mime");
    }
    for (const auto& f : fields_of(*msg->getHeader(), view, max_fields_per_part))
      out.headers.push_back(
          {repair_utf8(f.name), decode_header_value(f.value), std::string(trim(f.value))});
    w.entity(*msg, view, "", 0, false, true);
    return out;
  } catch (const std::bad_alloc&) {
    return make_failure(error_code::internal, "out of memory while parsing the message", "mime");
  } catch (...) {
    return make_failure(error_code::internal, "the MIME parser could not read the message", "mime");
  }
}

} // namespace imap_mcp::mime
