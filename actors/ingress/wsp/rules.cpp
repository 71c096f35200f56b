#include "actors/ingress/wsp/rules.hpp"

#include "actors/ingress/wsp/errc.hpp"
#include "schemas/hash.hpp"

#include <nlohmann/json.hpp>

namespace fp::wsp {

outcome classify(int status, std::string_view body) {
  if (status < 0 || status == 429 || status >= 500 || status == 408)
    return outcome::retry;
  if (status >= 200 && status < 300) {
    // IG answers ADMITTED or DUPLICATE; any other 2xx is not IG speaking: stop with it.
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("decision") && j["decision"].is_string()) {
      auto d = j["decision"].get<std::string>();
      if (d == "ADMITTED")
        return outcome::admitted;
      if (d == "DUPLICATE")
        return outcome::duplicate;
    }
    return outcome::reject;
  }
  if (status == 409 || status == 422) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("decision") && j["decision"].is_string() &&
        j["decision"].get<std::string>() == "QUARANTINE")
      return outcome::quarantined;
  }
  return outcome::reject;
}

std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds min,
                                        std::chrono::milliseconds max) {
  auto d = min;
  for (unsigned i = 0; i < attempt && d < max; ++i)
    d *= 2;
  return d < max ? d : max;
}

bool resend_selected(std::string_view event_id, std::uint32_t bp) {
  if (bp == 0)
    return false;
  if (bp >= 10'000)
    return true;
  auto h = schemas::composite_id({"fp.wsp.resend.v1", event_id});
  std::uint32_t v = 0;
  for (int i = 0; i < 8; ++i) {
    char c = h[static_cast<std::size_t>(i)];
    v = v * 16 + static_cast<std::uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return v % 10'000 < bp;
}

std::int64_t due_after_us(std::int64_t first_ts_ms, std::int64_t ts_ms, std::uint32_t speedup) {
  auto delta = ts_ms > first_ts_ms ? ts_ms - first_ts_ms : 0;
  return delta * 1000 / static_cast<std::int64_t>(speedup == 0 ? 1 : speedup);
}

namespace {

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

} // namespace

expected<std::int64_t> parse_ts_ms(std::string_view t) {
  auto bad = [&] {
    return error{errc::part_corrupt,
                 "ts_utc: not RFC 3339 UTC (\"" + std::string(t.substr(0, 40)) + "\")"};
  };
  auto num = [&](std::size_t at, std::size_t n, std::int64_t& out) {
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (i >= t.size() || t[i] < '0' || t[i] > '9')
        return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  std::int64_t y, mo, d, h, mi, s, ms = 0;
  if (t.size() < 20 || !num(0, 4, y) || t[4] != '-' || !num(5, 2, mo) || t[7] != '-' ||
      !num(8, 2, d) || t[10] != 'T' || !num(11, 2, h) || t[13] != ':' || !num(14, 2, mi) ||
      t[16] != ':' || !num(17, 2, s) || t.back() != 'Z')
    return bad();
  if (t.size() > 20) {
    if (t[19] != '.' || t.size() < 22)
      return bad();
    std::int64_t frac = 0;
    auto digits = t.size() - 21;
    if (!num(20, digits, frac))
      return bad();
    ms = frac;
    for (auto n = digits; n < 3; ++n)
      ms *= 10;
    for (auto n = digits; n > 3; --n)
      ms /= 10;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return bad();
  auto days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60'000 + s * 1000 + ms;
}

} // namespace fp::wsp
