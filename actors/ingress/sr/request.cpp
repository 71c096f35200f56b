// parse_run_request: the strict reading of `POST /v1/sr/runs` bodies.

#include "actors/ingress/sr/errc.hpp"
#include "actors/ingress/sr/runner.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"
#include "schemas/ids.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace fp::sr {

namespace {

using nlohmann::json;

fp::error bad(std::string_view field, const std::string& rule) {
  return fp::error{errc::bad_request, "body." + std::string(field) + ": " + rule};
}

/// A schemas validator's rejection as ours (its message already names `body.<field>`).
expected<void> as_bad(expected<void> r) {
  if (r)
    return r;
  return fp::error{errc::bad_request, r.error().message()};
}

expected<std::optional<std::string>> opt_string(const json& j, std::string_view field) {
  auto it = j.find(field);
  if (it == j.end())
    return std::optional<std::string>{};
  if (!it->is_string())
    return bad(field, std::string("must be a string, got ") + it->type_name());
  return std::optional<std::string>{it->get<std::string>()};
}

} // namespace

expected<run_request> parse_run_request(std::string_view body) {
  auto parsed = schemas::parse_strict(body, "body");
  if (!parsed)
    return fp::error{errc::bad_request, parsed.error().message()};
  const json& j = *parsed;
  if (!j.is_object())
    return fp::error{errc::bad_request,
                     std::string("body: must be a JSON object, got ") + j.type_name()};
  static constexpr std::string_view known[] = {
      "seed",          "scenario_id", "parameter_hash", "manifest_fingerprint", "platform_run_id",
      "started_at_utc"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(std::begin(known), std::end(known), it.key()) == std::end(known))
      return fp::error{errc::bad_request,
                       "body" + schemas::path_step(it.key()) +
                           ": unknown field (known: seed, scenario_id, parameter_hash, "
                           "manifest_fingerprint, platform_run_id, started_at_utc)"};
  run_request r;
  auto seed = j.find("seed");
  if (seed == j.end())
    return bad("seed", "missing (required)");
  if (!seed->is_number_unsigned() && !(seed->is_number_integer() && seed->get<std::int64_t>() == 0))
    return bad("seed", "must be an integer 0..2^53-1, got " + schemas::canonical(*seed));
  r.world.seed = seed->get<std::uint64_t>();
  if (r.world.seed > (std::uint64_t{1} << 53) - 1)
    return bad("seed", "must be an integer 0..2^53-1, got " + schemas::canonical(*seed));

  auto take = [&](std::string_view field, std::optional<std::string>& out,
                  expected<void> (*check)(std::string_view, std::string_view)) -> expected<void> {
    auto v = opt_string(j, field);
    if (!v)
      return std::move(v).error();
    if (*v)
      if (auto ok = as_bad(check("body." + std::string(field), **v)); !ok)
        return ok;
    out = std::move(*v);
    return {};
  };
  if (auto ok = take("scenario_id", r.world.scenario_id, schemas::validate_path_segment); !ok)
    return std::move(ok).error();
  if (auto ok = take("parameter_hash", r.world.parameter_hash, schemas::validate_hex64); !ok)
    return std::move(ok).error();
  if (auto ok = take("manifest_fingerprint", r.world.manifest_fingerprint, schemas::validate_hex64);
      !ok)
    return std::move(ok).error();
  if (auto ok = take("platform_run_id", r.platform_run_id, schemas::validate_platform_run_id); !ok)
    return std::move(ok).error();
  if (auto ok = take("started_at_utc", r.started_at_utc, schemas::validate_rfc3339_utc); !ok)
    return std::move(ok).error();
  if (r.platform_run_id.has_value() == r.started_at_utc.has_value())
    return bad("platform_run_id", "give exactly one of platform_run_id (a retry) and "
                                  "started_at_utc (a new run)");
  return r;
}

} // namespace fp::sr
