#include "protocol/tools/schema.hpp"

#include <cmath>

#include "protocol/util/utf8.hpp"

namespace imap_mcp::tools {

using json = nlohmann::json;

std::optional<std::size_t> utf8_length(std::string_view text) {
  return utf8::length(text);
}

namespace {

std::string type_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "value";
  }
}

bool has_type(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number() && std::isfinite(v.get<double>());
  if (type == "null") return v.is_null();
  return false;
}

/// Matches the anchored character-class patterns used in our schemas, e.g.
/// `^[A-Za-z0-9_-]+$` or `^\$?[A-Za-z0-9_.-]{1,64}$`. Unsupported patterns match anything
/// (the tool code checks them again).
bool class_pattern_matches(const std::string& pattern, const std::string& value) {
  std::size_t p = 0;
  if (pattern.compare(0, 1, "^") != 0) return true;
  p = 1;
  bool optional_dollar = false;
  if (pattern.compare(p, 3, "\\$?") == 0) {
    optional_dollar = true;
    p += 3;
  }
  if (p >= pattern.size() || pattern[p] != '[') return true;
  auto close = pattern.find(']', p + 1);
  if (close == std::string::npos) return true;
  std::string cls = pattern.substr(p + 1, close - p - 1);
  std::string quant = pattern.substr(close + 1);
  std::size_t lo = 1, hi = SIZE_MAX;
  if (quant == "+$") {}
  else if (quant == "*$") lo = 0;
  else if (quant.size() > 3 && quant.front() == '{' && quant.back() == '$') {
    auto comma = quant.find(',');
    if (comma == std::string::npos) return true;
    lo = std::stoul(quant.substr(1, comma - 1));
    hi = std::stoul(quant.substr(comma + 1, quant.size() - comma - 3));
  } else return true;
  auto in_class = [&](char c) {
    for (std::size_t i = 0; i < cls.size(); ++i) {
      if (i + 2 < cls.size() && cls[i + 1] == '-') {
        if (c >= cls[i] && c <= cls[i + 2]) return true;
        i += 2;
      } else if (cls[i] == '\\' && i + 1 < cls.size()) {
        if (c == cls[++i]) return true;
      } else if (c == cls[i]) return true;
    }
    return false;
  };
  std::size_t start = 0;
  if (optional_dollar && !value.empty() && value[0] == '$') start = 1;
  std::size_t len = value.size() - start;
  if (len < lo || len > hi) return false;
  for (std::size_t i = start; i < value.size(); ++i)
    if (!in_class(value[i])) return false;
  return true;
}

std::optional<std::string> check(const json& schema, const json& value, const std::string& path);

std::optional<std::string> check_string(const json& schema, const std::string& s,
                                        const std::string& path) {
  auto len = utf8_length(s);
  if (!len) return path + " must be valid UTF-8";
  if (schema.contains("maxLength") && *len > schema["maxLength"].get<std::size_t>())
    return path + " must be at most " + std::to_string(schema["maxLength"].get<std::size_t>()) +
           " characters";
  if (schema.contains("minLength") && *len < schema["minLength"].get<std::size_t>())
    return path + " must be at least " + std::to_string(schema["minLength"].get<std::size_t>()) +
           " character(s)";
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return path + " must not contain control characters";
  if (schema.contains("enum")) {
    bool found = false;
    std::string allowed;
    for (const auto& e : schema["enum"]) {
      if (e == s) found = true;
      allowed += (allowed.empty() ? "" : ", ") + e.get<std::string>();
    }
    if (!found) return path + " must be one of: " + allowed;
  }
  if (schema.contains("pattern") && !class_pattern_matches(schema["pattern"].get<std::string>(), s))
    return path + " must match " + schema["pattern"].get<std::string>();
  return std::nullopt;
}

std::optional<std::string> check(const json& schema, const json& value, const std::string& path) {
  if (schema.contains("type")) {
    const auto type = schema["type"].get<std::string>();
    if (!has_type(value, type)) {
      if (type == "integer" && value.is_number_float())
        return path + " must be an integer";
      return path + " must be " + (type == "integer" || type == "object" || type == "array" ? "an " : "a ") +
             type + ", not " + (value.is_number_float() && !std::isfinite(value.get<double>()) ? std::string("a non-finite number") : type_of(value));
    }
  }
  if (value.is_string()) return check_string(schema, value.get_ref<const std::string&>(), path);
  if (value.is_number()) {
    double v = value.get<double>();
    if (schema.contains("minimum") && v < schema["minimum"].get<double>())
      return path + " must be at least " + schema["minimum"].dump();
    if (schema.contains("maximum") && v > schema["maximum"].get<double>())
      return path + " must be at most " + schema["maximum"].dump();
    return std::nullopt;
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<std::size_t>())
      return path + " must have at least " + schema["minItems"].dump() + " item(s)";
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>())
      return path + " must have at most " + schema["maxItems"].dump() + " items";
    if (schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i)
        if (auto err = check(schema["items"], value[i], path + "[" + std::to_string(i) + "]"))
          return err;
    }
    return std::nullopt;
  }
  if (value.is_object()) {
    static const json empty = json::object();
    const json& props = schema.contains("properties") ? schema["properties"] : empty;
    const bool closed = schema.contains("additionalProperties") &&
                        schema["additionalProperties"].is_boolean() &&
                        !schema["additionalProperties"].get<bool>();
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string child = path.empty() ? it.key() : path + "." + it.key();
      if (!props.contains(it.key())) {
        if (closed) {
          std::string key = it.key();
          if (!utf8_length(key) || key.size() > 64) key = "<unprintable>";
          for (unsigned char c : key)
            if (c < 0x20 || c == 0x7F) { key = "<unprintable>"; break; }
          return "unknown argument '" + key + "'";
        }
        continue;
      }
      if (auto err = check(props[it.key()], it.value(), child)) return err;
    }
    if (schema.contains("required")) {
      for (const auto& r : schema["required"]) {
        const auto& name = r.get_ref<const std::string&>();
        if (!value.contains(name))
          return (path.empty() ? name : path + "." + name) + " is required";
      }
    }
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> validate_arguments(const json& schema, const json& arguments) {
  if (!arguments.is_object()) return "arguments must be an object";
  return check(schema, arguments, "");
}

} // namespace imap_mcp::tools
