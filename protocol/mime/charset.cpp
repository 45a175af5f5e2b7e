// Charset conversion to UTF-8 (mime::to_utf8) on top of vmime's ICU converter.

#include <memory>
#include <string>
#include <unordered_map>

#include <vmime/charset.hpp>
#include <vmime/charsetConverter.hpp>
#include <vmime/utility/inputStreamByteBufferAdapter.hpp>
#include <vmime/utility/outputStreamStringAdapter.hpp>

#include "protocol/mime/mime.hpp"
#include "protocol/mime/text_util.hpp"
#include "protocol/mime/utf8.hpp"

namespace imap_mcp::mime {

namespace {

/// Labels whose bytes are sniffed: valid UTF-8 stays, anything else is Windows-1252.
bool is_sniffed_label(std::string_view cs) {
  return cs.empty() || cs == "us-ascii" || cs == "ascii" || cs == "ansi_x3.4-1968" ||
         cs == "iso646-us" || cs == "us" || cs == "unknown-8bit" || cs == "x-unknown" ||
         cs == "unknown" || cs == "default" || cs == "8bit" || cs == "x-user-defined";
}

/// Labels decoded as Windows-1252 directly, as the WHATWG Encoding Standard does: mail that
/// says ISO-8859-1 routinely holds Windows-1252 quotes and euro signs.
bool is_windows_1252_label(std::string_view cs) {
  return cs == "iso-8859-1" || cs == "iso8859-1" || cs == "iso_8859-1" || cs == "latin1" ||
         cs == "l1" || cs == "cp819" || cs == "ibm819" || cs == "iso-ir-100" ||
         cs == "windows-1252" || cs == "cp1252" || cs == "x-cp1252" || cs == "iso_8859-1:1987" ||
         cs == "csisolatin1";
}

bool is_utf8_label(std::string_view cs) {
  return cs == "utf-8" || cs == "utf8" || cs == "unicode-1-1-utf-8" || cs == "x-unicode20utf8";
}

/// Supersets that decode more real-world mail than the label's strict table (WHATWG choices).
std::string_view icu_name(std::string_view cs) {
  if (cs == "gb2312" || cs == "gbk" || cs == "x-gbk" || cs == "cp936" || cs == "euc-cn" ||
      cs == "csgb2312" || cs == "chinese")
    return "gb18030";
  if (cs == "shift_jis" || cs == "shift-jis" || cs == "sjis" || cs == "x-sjis" ||
      cs == "ms_kanji" || cs == "csshiftjis" || cs == "cp932" || cs == "ms932")
    return "windows-31j";
  if (cs == "ks_c_5601-1987" || cs == "ks_c_5601-1989" || cs == "ksc5601" || cs == "euc-kr" ||
      cs == "cseuckr" || cs == "korean")
    return "windows-949";
  if (cs == "tis-620" || cs == "iso-8859-11")
    return "windows-874";
  if (cs == "iso-8859-9" || cs == "latin5")
    return "windows-1254";
  if (cs == "big5")
    return "big5-hkscs";
  if (cs == "iso-8859-8-i")
    return "iso-8859-8";
  return cs;
}

/// Charset names go to ICU, which resolves them to data files: allow only plain label
/// characters.
bool plausible_name(std::string_view cs) {
  if (cs.empty() || cs.size() > 40)
    return false;
  for (char c : cs) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.' || c == ':' || c == '+';
    if (!ok)
      return false;
  }
  return true;
}

/// Converters are costly to open (ICU table lookup) and not thread-safe, so each thread keeps
/// its own small cache; a null entry remembers a charset ICU does not know.
class converter_cache {
public:
  vmime::charsetConverter* get(const std::string& name) {
    auto it = map_.find(name);
    if (it != map_.end())
      return it->second.get();
    if (map_.size() >= max_entries)
      map_.clear();
    std::shared_ptr<vmime::charsetConverter> conv;
    try {
      conv = vmime::charsetConverter::create(vmime::charset(name), vmime::charset("utf-8"));
    } catch (...) {
      conv.reset();
    }
    auto* raw = conv.get();
    map_.emplace(name, std::move(conv));
    return raw;
  }

  /// Drops a converter whose state may be inconsistent after a failed conversion.
  void evict(const std::string& name) { map_.erase(name); }

private:
  static constexpr std::size_t max_entries = 32;
  std::unordered_map<std::string, std::shared_ptr<vmime::charsetConverter>> map_;
};

converter_cache& cache() {
  thread_local converter_cache c;
  return c;
}

std::string sniffed(std::string_view bytes) {
  if (is_valid_utf8(bytes))
    return std::string(bytes);
  std::string out;
  append_windows_1252(out, bytes);
  return out;
}

} // namespace

std::string normalize_charset(std::string_view charset) {
  auto cs = trim(charset);
  while (!cs.empty() && (cs.front() == '"' || cs.front() == '\''))
    cs.remove_prefix(1);
  while (!cs.empty() && (cs.back() == '"' || cs.back() == '\''))
    cs.remove_suffix(1);
  return to_lower(trim(cs));
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  try {
    if (bytes.empty())
      return {};
    const std::string cs = normalize_charset(charset);
    if (is_utf8_label(cs))
      return repair_utf8(bytes);
    if (is_ascii(bytes)) {
      // Every ASCII-compatible charset maps these bytes to themselves; UTF-16/32 and the
      // stateful ISO-2022 family do not, so they still go through ICU.
      const bool ascii_compatible = cs.rfind("utf-16", 0) != 0 && cs.rfind("utf-32", 0) != 0 &&
                                    cs.rfind("iso-2022", 0) != 0 && cs.rfind("utf-7", 0) != 0 &&
                                    cs != "unicode-1-1-utf-7" && cs.rfind("ucs", 0) != 0 &&
                                    cs.rfind("hz", 0) != 0;
      if (ascii_compatible)
        return std::string(bytes);
    }
    if (is_sniffed_label(cs))
      return sniffed(bytes);
    if (is_windows_1252_label(cs)) {
      std::string out;
      append_windows_1252(out, bytes);
      return out;
    }
    const std::string name(icu_name(cs));
    if (!plausible_name(name))
      return sniffed(bytes);
    auto* conv = cache().get(name);
    if (conv == nullptr)
      return sniffed(bytes);
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 2);
    try {
      vmime::utility::inputStreamByteBufferAdapter in(
          reinterpret_cast<const vmime::byte_t*>(bytes.data()), bytes.size());
      vmime::utility::outputStreamStringAdapter sink(out);
      conv->convert(in, sink);
      sink.flush();
    } catch (...) {
      cache().evict(name);
      return sniffed(bytes);
    }
    // ICU substitutes U+001A (SUB) for bad input in some tables (Shift_JIS among them). When
    // the input holds no 0x1A byte, every SUB is such a substitution: show it as U+FFFD.
    if (out.find('\x1A') != std::string::npos && bytes.find('\x1A') == std::string_view::npos) {
      std::string fixed;
      fixed.reserve(out.size() + 16);
      for (char c : out) {
        if (c == '\x1A')
          fixed += "\xEF\xBF\xBD";
        else
          fixed.push_back(c);
      }
      out = std::move(fixed);
    }
    // A final check keeps the output valid whatever the converter did.
    if (!is_valid_utf8(out))
      return repair_utf8(out);
    return out;
  } catch (...) {
    // Only allocation failures get here; an empty string is the honest answer.
    return {};
  }
}

} // namespace imap_mcp::mime
