#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imap_mcp::dates {

/// A calendar date.
struct ymd {
  int year = 1970;
  int month = 1;
  int day = 1;
};

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
long long days_from_civil(ymd d);
/// The civil date of a day count since 1970-01-01.
ymd civil_from_days(long long days);

/// Parses `YYYY-MM-DD` (a real calendar date); nullopt otherwise.
std::optional<ymd> parse_iso_date(std::string_view text);

/// IMAP search date, e.g. "1-Feb-2024".
std::string imap_date(ymd d);

/// Parses an RFC 5322 Date header ("Tue, 1 Jul 2003 10:52:37 +0200", obsolete zones
/// included) into Unix seconds (UTC); nullopt when unparsable.
std::optional<long long> parse_rfc5322(std::string_view text);

/// Parses an IMAP INTERNALDATE ("17-Jul-1996 02:44:25 -0700") into Unix seconds.
std::optional<long long> parse_internaldate(std::string_view text);

} // namespace imap_mcp::dates
