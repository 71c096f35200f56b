#include "actors/ingress/world/params.hpp"

#include "actors/ingress/world/errc.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>

namespace fp::world {

namespace {

fp::error bad(std::string message) {
  return fp::error{errc::bad_parameter, std::move(message)};
}

template <class T>
expected<void> in_range(std::string_view field, T value, T lo, T hi, std::string_view why = {}) {
  if (value >= lo && value <= hi)
    return {};
  return bad(std::string(field) + ": must be " + std::to_string(lo) + ".." + std::to_string(hi) +
             (why.empty() ? "" : " (" + std::string(why) + ")") + ", got " + std::to_string(value));
}

} // namespace

expected<void> validate(const params& p) {
  if (auto r = in_range<std::uint64_t>("seed", p.seed, 0, max_seed, "a JSON-safe integer"); !r)
    return r;
  if (auto r = in_range<std::uint64_t>("merchants", p.merchants, 1, max_merchants); !r)
    return r;
  if (auto r = in_range<std::uint64_t>("flows", p.flows, 1, max_flows); !r)
    return r;
  if (auto r = in_range<std::int64_t>("span_seconds", p.span_seconds, min_span_seconds,
                                      max_span_seconds, "1m..366d");
      !r)
    return r;
  if (auto r = in_range<std::uint64_t>("part_rows", p.part_rows, min_part_rows, max_part_rows); !r)
    return r;
  if (auto r = in_range<std::uint64_t>("fraud_rate_bp", p.fraud_rate_bp, 0, max_fraud_rate_bp); !r)
    return r;
  // Whole seconds from 1970, and a year of room after the span for the latest chargeback, so
  // that every timestamp keeps four year digits.
  constexpr std::int64_t year_9999_ms = 253370764800000; // 9999-01-01T00:00:00Z
  if (p.start_ms < 0 || p.start_ms % 1000 != 0 ||
      p.start_ms + (p.span_seconds + 2 * 366 * 86400) * 1000 >= year_9999_ms)
    return bad("start_utc: must be whole seconds from 1970 to about 9996, got " +
               std::to_string(p.start_ms) + " ms");
  if (auto r = schemas::validate_path_segment("scenario_id", p.scenario_id); !r)
    return bad(r.error().message());
  return {};
}

nlohmann::json parameters_json(const params& p) {
  return nlohmann::json{
      {"generator", std::string(generator_name)},
      {"generator_version", std::string(generator_version)},
      {"prng", std::string(prng_name)},
      {"merchants", p.merchants},
      {"flows", p.flows},
      {"start_utc", format_start(p.start_ms)},
      {"span_seconds", p.span_seconds},
      {"scenario_id", p.scenario_id},
      {"part_rows", p.part_rows},
      {"fraud_rate_bp", p.fraud_rate_bp},
  };
}

std::string parameter_hash(const params& p) {
  return schemas::sha256_hex(schemas::canonical(parameters_json(p)));
}

expected<std::int64_t> parse_start(std::string_view field, std::string_view text) {
  if (!schemas::is_rfc3339_utc(text))
    return bad(std::string(field) + ": not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ), got " +
               schemas::quote_value(text));
  if (text.size() != 20)
    return bad(std::string(field) + ": must be whole seconds (YYYY-MM-DDTHH:MM:SSZ), got " +
               schemas::quote_value(text));
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    std::from_chars(text.data() + at, text.data() + at + n, v);
    return v;
  };
  using namespace std::chrono;
  auto ymd = year{num(0, 4)} / month{static_cast<unsigned>(num(5, 2))} /
             day{static_cast<unsigned>(num(8, 2))};
  auto secs = sys_days{ymd}.time_since_epoch() + hours{num(11, 2)} + minutes{num(14, 2)} +
              seconds{num(17, 2)};
  auto ms = duration_cast<milliseconds>(secs).count();
  if (ms < 0)
    return bad(std::string(field) + ": must not be before 1970, got " + schemas::quote_value(text));
  return ms;
}

expected<std::int64_t> parse_span(std::string_view field, std::string_view text) {
  auto rule = [&] {
    return bad(std::string(field) +
               ": expected a number and a unit s, m, h or d (e.g. 1d, 90m), got " +
               schemas::quote_value(text));
  };
  if (text.size() < 2)
    return rule();
  std::int64_t unit_s = 0;
  switch (text.back()) {
  case 's':
    unit_s = 1;
    break;
  case 'm':
    unit_s = 60;
    break;
  case 'h':
    unit_s = 3600;
    break;
  case 'd':
    unit_s = 86400;
    break;
  default:
    return rule();
  }
  std::int64_t n = 0;
  auto digits = text.substr(0, text.size() - 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc{} || end != digits.data() + digits.size() || n < 0 || n > max_span_seconds)
    return rule();
  return n * unit_s;
}

void format_ts_to(std::int64_t ms, char* out) noexcept {
  using namespace std::chrono;
  auto tp = sys_time<milliseconds>{milliseconds{ms}};
  auto dp = floor<days>(tp);
  year_month_day ymd{dp};
  auto rem = (tp - dp).count(); // ms within the day
  auto put = [&](int at, long long v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      out[at + i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, static_cast<int>(ymd.year()), 4);
  out[4] = '-';
  put(5, static_cast<unsigned>(ymd.month()), 2);
  out[7] = '-';
  put(8, static_cast<unsigned>(ymd.day()), 2);
  out[10] = 'T';
  put(11, rem / 3'600'000, 2);
  out[13] = ':';
  put(14, rem / 60'000 % 60, 2);
  out[16] = ':';
  put(17, rem / 1000 % 60, 2);
  out[19] = '.';
  put(20, rem % 1000, 3);
  out[23] = 'Z';
}

std::string format_ts(std::int64_t ms) {
  std::string s(24, ' ');
  format_ts_to(ms, s.data());
  return s;
}

std::string format_start(std::int64_t ms) {
  auto s = format_ts(ms);
  return s.substr(0, 19) + "Z";
}

} // namespace fp::world
