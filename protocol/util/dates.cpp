#include "protocol/util/dates.hpp"

#include <cctype>
#include <cstdio>
#include <vector>

namespace imap_mcp::dates {

namespace {

constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int month_of(std::string_view name) {
  if (name.size() < 3) return 0;
  for (int i = 0; i < 12; ++i) {
    bool eq = true;
    for (int k = 0; k < 3; ++k)
      if (std::tolower(static_cast<unsigned char>(name[k])) !=
          std::tolower(static_cast<unsigned char>(month_names[i][k])))
        eq = false;
    if (eq) return i + 1;
  }
  return 0;
}

int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return days[m - 1];
}

bool valid(ymd d) {
  return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= days_in_month(d.year, d.month);
}

/// Splits on whitespace and commas.
std::vector<std::string_view> tokens(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ','))
      ++i;
    std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ',')
      ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::optional<int> zone_minutes(std::string_view z) {
  if (z.size() == 5 && (z[0] == '+' || z[0] == '-') && all_digits(z.substr(1))) {
    int v = to_int(z.substr(1, 2)) * 60 + to_int(z.substr(3, 2));
    return z[0] == '-' ? -v : v;
  }
  struct named {
    const char* name;
    int minutes;
  };
  static const named zones[] = {{"UT", 0},      {"UTC", 0},     {"GMT", 0},     {"Z", 0},
                                {"EST", -300},  {"EDT", -240},  {"CST", -360},  {"CDT", -300},
                                {"MST", -420},  {"MDT", -360},  {"PST", -480},  {"PDT", -420}};
  for (const auto& n : zones) {
    if (z.size() != std::char_traits<char>::length(n.name)) continue;
    bool eq = true;
    for (std::size_t k = 0; k < z.size(); ++k)
      if (std::toupper(static_cast<unsigned char>(z[k])) != n.name[k]) eq = false;
    if (eq) return n.minutes;
  }
  return std::nullopt;
}

std::optional<long long> assemble(ymd d, std::string_view time, std::string_view zone) {
  if (!valid(d)) return std::nullopt;
  int hh = 0, mm = 0, ss = 0;
  // hh:mm or hh:mm:ss
  std::vector<int> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= time.size(); ++i) {
    if (i == time.size() || time[i] == ':') {
      auto piece = time.substr(start, i - start);
      if (!all_digits(piece) || piece.size() > 2) return std::nullopt;
      parts.push_back(to_int(piece));
      start = i + 1;
    }
  }
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  hh = parts[0];
  mm = parts[1];
  ss = parts.size() == 3 ? parts[2] : 0;
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  int offset = 0;
  if (!zone.empty()) {
    auto z = zone_minutes(zone);
    offset = z ? *z : 0; // unknown zones count as UTC (RFC 5322 4.3)
  }
  return days_from_civil(d) * 86400 + hh * 3600 + mm * 60 + ss - offset * 60LL;
}

} // namespace

long long days_from_civil(ymd d) {
  long long y = d.year;
  const long long m = d.month;
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

ymd civil_from_days(long long z) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const long long doe = z - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long y = yoe + era * 400;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long long mp = (5 * doy + 2) / 153;
  const long long d = doy - (153 * mp + 2) / 5 + 1;
  const long long m = mp < 10 ? mp + 3 : mp - 9;
  return ymd{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

std::optional<ymd> parse_iso_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto y = t.substr(0, 4), m = t.substr(5, 2), d = t.substr(8, 2);
  if (!all_digits(y) || !all_digits(m) || !all_digits(d)) return std::nullopt;
  ymd out{to_int(y), to_int(m), to_int(d)};
  if (!valid(out)) return std::nullopt;
  return out;
}

std::string imap_date(ymd d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d-%s-%04d", d.day, month_names[(d.month - 1) % 12], d.year);
  return buf;
}

std::optional<long long> parse_rfc5322(std::string_view text) {
  // Drop comments such as "(CET)".
  std::string clean;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    else if (c == ')' && depth > 0) --depth;
    else if (depth == 0) clean.push_back(c);
  }
  auto t = tokens(clean);
  std::size_t i = 0;
  if (i < t.size() && !all_digits(t[i])) ++i; // day of week
  if (i + 2 >= t.size()) return std::nullopt;
  if (!all_digits(t[i])) return std::nullopt;
  int day = to_int(t[i]);
  int month = month_of(t[i + 1]);
  if (month == 0 || !all_digits(t[i + 2])) return std::nullopt;
  int year = to_int(t[i + 2]);
  if (t[i + 2].size() == 2) year += year < 50 ? 2000 : 1900;
  else if (t[i + 2].size() == 3) year += 1900;
  std::string_view time = i + 3 < t.size() ? t[i + 3] : std::string_view("00:00:00");
  std::string_view zone = i + 4 < t.size() ? t[i + 4] : std::string_view();
  return assemble(ymd{year, month, day}, time, zone);
}

std::optional<long long> parse_internaldate(std::string_view text) {
  // "17-Jul-1996 02:44:25 -0700" (day may be space-padded)
  auto t = tokens(text);
  if (t.size() != 3) return std::nullopt;
  auto date = t[0];
  auto d1 = date.find('-');
  auto d2 = date.rfind('-');
  if (d1 == std::string_view::npos || d2 == d1) return std::nullopt;
  auto day = date.substr(0, d1), mon = date.substr(d1 + 1, d2 - d1 - 1), year = date.substr(d2 + 1);
  if (!all_digits(day) || !all_digits(year)) return std::nullopt;
  int month = month_of(mon);
  if (month == 0) return std::nullopt;
  return assemble(ymd{to_int(year), month, to_int(day)}, t[1], t[2]);
}

} // namespace imap_mcp::dates
