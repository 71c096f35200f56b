#include "schemas/ids.hpp"

#include "schemas/errc.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

namespace fp::schemas {

namespace {

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// The path-safe bytes: `[A-Za-z0-9._:=-]` (bit 0), and the same without '=' (bit 1).
constexpr std::array<std::uint8_t, 256> id_chars = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool base = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == ':' || c == '-';
    t[static_cast<std::size_t>(c)] =
        static_cast<std::uint8_t>((base || c == '=' ? 1 : 0) | (base ? 2 : 0));
  }
  return t;
}();

bool id_char(char c, bool allow_equals) noexcept {
  return (id_chars[static_cast<unsigned char>(c)] & (allow_equals ? 1 : 2)) != 0;
}

/// The number in `s[pos, pos + len)` when every character there is a digit, else -1.
int digits_at(std::string_view s, std::size_t pos, std::size_t len) noexcept {
  int v = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (i >= s.size() || !is_digit(s[i]))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool is_leap(int year) noexcept {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

bool valid_date(int y, int m, int d) noexcept {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 0 || m < 1 || m > 12 || d < 1)
    return false;
  int last = days[m - 1] + (m == 2 && is_leap(y) ? 1 : 0);
  return d <= last;
}

bool valid_time(int h, int mi, int s) noexcept {
  return h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 60;
}

expected<void> reject(errc code, std::string_view field, std::string_view rule,
                      std::string_view value) {
  return fp::error{code,
                   std::string(field) + ": " + std::string(rule) + " (" + quote_value(value) + ")"};
}

} // namespace

bool is_path_safe_id(std::string_view value) noexcept {
  if (value.empty() || value.size() > max_path_segment || value == "." || value == "..")
    return false;
  for (char c : value)
    if (!id_char(c, true))
      return false;
  return true;
}

bool is_hex64(std::string_view value) noexcept {
  if (value.size() != 64)
    return false;
  for (char c : value)
    if (!is_digit(c) && !(c >= 'a' && c <= 'f'))
      return false;
  return true;
}

bool is_rfc3339_utc(std::string_view v) noexcept {
  // YYYY-MM-DDTHH:MM:SS then optional .f{1,9}, then Z.
  if (v.size() < 20 || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':')
    return false;
  if (!valid_date(digits_at(v, 0, 4), digits_at(v, 5, 2), digits_at(v, 8, 2)))
    return false;
  if (!valid_time(digits_at(v, 11, 2), digits_at(v, 14, 2), digits_at(v, 17, 2)))
    return false;
  std::size_t pos = 19;
  if (v[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < v.size() && is_digit(v[pos]))
      ++pos;
    if (pos == start || pos - start > 9)
      return false;
  }
  return pos + 1 == v.size() && v[pos] == 'Z';
}

bool is_platform_run_id(std::string_view v) noexcept {
  constexpr std::string_view prefix = "platform_";
  if (v.size() != prefix.size() + 16 || v.substr(0, prefix.size()) != prefix)
    return false;
  std::string_view t = v.substr(prefix.size()); // YYYYMMDDTHHMMSSZ
  if (t[8] != 'T' || t[15] != 'Z')
    return false;
  return valid_date(digits_at(t, 0, 4), digits_at(t, 4, 2), digits_at(t, 6, 2)) &&
         valid_time(digits_at(t, 9, 2), digits_at(t, 11, 2), digits_at(t, 13, 2));
}

bool is_object_key(std::string_view value) noexcept {
  if (value.empty() || value.size() > 1024)
    return false;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = value.find('/', start);
    if (!is_path_safe_id(value.substr(start, slash - start)))
      return false;
    if (slash == std::string_view::npos)
      return true;
    start = slash + 1;
  }
}

bool is_topic(std::string_view value) noexcept {
  if (value.empty() || value.size() > 249 || value == "." || value == "..")
    return false;
  for (char c : value)
    if (c == ':' || !id_char(c, false))
      return false;
  return true;
}

bool is_event_type(std::string_view value) noexcept {
  if (value.empty() || value.size() > 128)
    return false;
  for (char c : value)
    if (!id_char(c, false))
      return false;
  return true;
}

bool is_schema_version(std::string_view value) noexcept {
  if (value.size() < 2 || value.size() > 16 || value[0] != 'v')
    return false;
  for (char c : value.substr(1))
    if (!is_digit(c))
      return false;
  return true;
}

expected<void> validate_path_segment(std::string_view field, std::string_view value) {
  if (is_path_safe_id(value))
    return {};
  return reject(errc::not_path_safe, field,
                "not path-safe (1..128 of [A-Za-z0-9._:=-], not . or ..)", value);
}

expected<void> validate_hex64(std::string_view field, std::string_view value) {
  if (is_hex64(value))
    return {};
  return reject(errc::bad_format, field, "not 64 lowercase hex digits", value);
}

expected<void> validate_rfc3339_utc(std::string_view field, std::string_view value) {
  if (is_rfc3339_utc(value))
    return {};
  return reject(errc::bad_format, field, "not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS[.fff]Z)", value);
}

expected<void> validate_platform_run_id(std::string_view field, std::string_view value) {
  if (is_platform_run_id(value))
    return {};
  return reject(errc::bad_format, field, "not platform_YYYYMMDDTHHMMSSZ", value);
}

expected<void> validate_object_key(std::string_view field, std::string_view value) {
  if (is_object_key(value))
    return {};
  return reject(errc::not_path_safe, field,
                "not an object key (1..1024 bytes of path-safe segments joined by /)", value);
}

expected<void> validate_topic(std::string_view field, std::string_view value) {
  if (is_topic(value))
    return {};
  return reject(errc::bad_format, field, "not a topic (1..249 of [A-Za-z0-9._-], not . or ..)",
                value);
}

expected<void> validate_event_type(std::string_view field, std::string_view value) {
  if (is_event_type(value))
    return {};
  return reject(errc::bad_format, field, "not 1..128 of [A-Za-z0-9._:-]", value);
}

expected<void> validate_schema_version(std::string_view field, std::string_view value) {
  if (is_schema_version(value))
    return {};
  return reject(errc::bad_format, field, "not v<digits> (e.g. v1, at most 16 chars)", value);
}

expected<fp::platform_run_id> make_platform_run_id(std::chrono::sys_seconds start_utc) {
  using namespace std::chrono;
  auto day = floor<days>(start_utc);
  year_month_day ymd{day};
  hh_mm_ss<seconds> hms{start_utc - day};
  int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999)
    return fp::error{errc::bad_format, "platform_run_id: start time outside years 0000..9999"};
  char buf[32];
  std::snprintf(buf, sizeof buf,
                "platform_%04d%02u%02u"
                "T%02d%02d%02dZ",
                y, static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return fp::platform_run_id{buf};
}

} // namespace fp::schemas
