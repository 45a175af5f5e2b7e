#include "protocol/imap/response.hpp"

#include <cstring>

namespace imap_mcp::imap {

namespace {

std::string_view find_param(const std::vector<std::pair<std::string, std::string>>& params,
                            std::string_view name) {
  for (const auto& [k, v] : params)
    if (k == name)
      return v;
  return {};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Parses exactly n digits at pos.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size())
    return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i]))
      return false;
    out = out * 10 + (s[pos + i] - '0');
  }
  return true;
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

} // namespace

std::string address::email() const {
  if (host.empty())
    return mailbox;
  std::string out;
  out.reserve(mailbox.size() + 1 + host.size());
  out += mailbox;
  out.push_back('@');
  out += host;
  return out;
}

std::string_view body_part::param(std::string_view name) const {
  return find_param(params, name);
}

std::string_view body_part::disposition_param(std::string_view name) const {
  return find_param(disposition_params, name);
}

const body_section* fetch_record::section(std::string_view key) const {
  std::string normalized = normalize_section(key);
  for (const auto& s : sections)
    if (s.section == normalized)
      return &s;
  return nullptr;
}

void fetch_record::merge(fetch_record&& other) {
  if (other.uid)
    uid = other.uid;
  if (other.flags)
    flags = std::move(other.flags);
  if (!other.internaldate.empty())
    internaldate = std::move(other.internaldate);
  if (other.size)
    size = other.size;
  if (other.envelope)
    envelope = std::move(other.envelope);
  if (other.body_structure)
    body_structure = std::move(other.body_structure);
  for (auto& s : other.sections)
    sections.push_back(std::move(s));
  if (other.preview)
    preview = std::move(other.preview);
  if (other.modseq)
    modseq = other.modseq;
}

std::string normalize_section(std::string_view section) {
  std::string out;
  out.reserve(section.size());
  bool space = false;
  for (char c : section) {
    if (c == '"')
      continue;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) {
      // No space right inside parentheses: "( DATE )" and "(DATE)" compare equal.
      if (out.back() != '(' && c != ')')
        out.push_back(' ');
      space = false;
    }
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 32);
    out.push_back(c);
  }
  return out;
}

std::optional<std::int64_t> internaldate_to_unix(std::string_view s) {
  // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE,
  // here without the quotes: "dd-Mon-yyyy hh:mm:ss +zzzz" (dd may be " d").
  if (s.size() != 26)
    return std::nullopt;
  int day = 0;
  if (s[0] == ' ') {
    if (!digits(s, 1, 1, day))
      return std::nullopt;
  } else if (!digits(s, 0, 2, day)) {
    return std::nullopt;
  }
  if (s[2] != '-' || s[6] != '-' || s[11] != ' ' || s[14] != ':' || s[17] != ':' || s[20] != ' ')
    return std::nullopt;
  static constexpr const char* months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};
  char mon[3];
  for (int i = 0; i < 3; ++i) {
    char c = s[3 + i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c + 32);
    mon[i] = c;
  }
  int month = 0;
  for (int i = 0; i < 12; ++i)
    if (std::memcmp(mon, months[i], 3) == 0)
      month = i + 1;
  int year = 0, hour = 0, minute = 0, second = 0, zh = 0, zm = 0;
  if (!month || !digits(s, 7, 4, year) || !digits(s, 12, 2, hour) || !digits(s, 15, 2, minute) ||
      !digits(s, 18, 2, second) || (s[21] != '+' && s[21] != '-') || !digits(s, 22, 2, zh) ||
      !digits(s, 24, 2, zm))
    return std::nullopt;
  static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day < 1 || day > month_days[month - 1] || (month == 2 && day == 29 && !leap) || hour > 23 ||
      minute > 59 || second > 60 || zm > 59)
    return std::nullopt;
  std::int64_t t =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second;
  std::int64_t offset = zh * 3600 + zm * 60;
  return s[21] == '+' ? t - offset : t + offset;
}

bool is_internaldate(std::string_view text) {
  return internaldate_to_unix(text).has_value();
}

} // namespace imap_mcp::imap
