#include "cluster/time_text.hpp"

#include "cluster/http_types.hpp"
#include "schemas/errc.hpp"
#include "schemas/ids.hpp"

#include <chrono>
#include <cstdio>

namespace fp::cluster {

std::string format_rfc3339_ns(std::int64_t ns_since_epoch) {
  using namespace std::chrono;
  sys_time<nanoseconds> t{nanoseconds(ns_since_epoch)};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%09lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()),
                static_cast<long long>(hms.subseconds().count()));
  return buf;
}

expected<std::int64_t> parse_rfc3339_ns(std::string_view field, std::string_view text) {
  if (!schemas::is_rfc3339_utc(text))
    return bad_parameter(field, "must be an RFC 3339 UTC time like 2026-01-01T00:00:00Z, got " +
                                    schemas::quote_value(text));
  using namespace std::chrono;
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v = v * 10 + (text[at + i] - '0');
    return v;
  };
  // Nanoseconds since 1970 in an int64 reach from 1677-09-21 to 2262-04-11; outside whole
  // years 1678..2261 the value would wrap and be stored as another time.
  if (num(0, 4) < 1678 || num(0, 4) > 2261)
    return bad_parameter(field,
                         "must be within the years 1678..2261, got " + schemas::quote_value(text));
  year_month_day ymd{year(num(0, 4)), month(unsigned(num(5, 2))), day(unsigned(num(8, 2)))};
  std::int64_t ns = 0;
  std::size_t digits = 0;
  for (std::size_t i = 20; i < text.size() && text[i] != 'Z'; ++i, ++digits)
    ns = ns * 10 + (text[i] - '0');
  for (; digits < 9; ++digits)
    ns *= 10;
  auto t = sys_days(ymd) + hours(num(11, 2)) + minutes(num(14, 2)) + seconds(num(17, 2));
  return duration_cast<nanoseconds>(t.time_since_epoch()).count() + ns;
}

} // namespace fp::cluster
