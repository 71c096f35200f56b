#include "actors/core/entity.hpp"

#include "actors/core/region_state.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace fp::actors {

std::string_view to_string(entity_status s) {
  switch (s) {
  case entity_status::recovering:
    return "recovering";
  case entity_status::live:
    return "live";
  case entity_status::passivated:
    return "passivated";
  case entity_status::quarantined:
    return "quarantined";
  }
  return "unknown";
}

std::string persistence_id(std::string_view type, std::string_view key) {
  std::string out;
  out.reserve(type.size() + 1 + key.size());
  out.append(type);
  out.push_back('/');
  out.append(key);
  return out;
}

namespace detail {

std::string rfc3339_ns(std::int64_t ns) {
  auto secs = static_cast<std::time_t>(ns / 1'000'000'000);
  auto frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

} // namespace detail
} // namespace fp::actors
