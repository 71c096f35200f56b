// `fp world generate|verify`: option parsing and reporting; the engine is fp_world.

#include "tools/fp/world.hpp"

#include "actors/ingress/world/errc.hpp"
#include "actors/ingress/world/params.hpp"
#include "actors/ingress/world/world.hpp"
#include "tools/fp/progress.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sys/resource.h>

namespace fp::tools {

namespace {

/// The manifest's field names as the options that set them.
std::string option_of(const std::string& message) {
  static constexpr std::pair<std::string_view, std::string_view> names[] = {
      {"seed:", "--seed:"},
      {"merchants:", "--merchants:"},
      {"flows:", "--flows:"},
      {"span_seconds:", "--span:"},
      {"part_rows:", "--part-rows:"},
      {"start_utc:", "--start:"},
      {"scenario_id:", "--scenario-id:"},
      {"fraud_rate_bp:", "--fraud-rate-bp:"}};
  for (auto [field, option] : names)
    if (message.rfind(field, 0) == 0)
      return std::string(option) + message.substr(field.size());
  return message;
}

/// `--out`, else `$ORACLE_ROOT`; empty when neither is set.
std::string oracle_root(const args& a) {
  if (a.has("--out"))
    return a.text("--out");
  const char* env = std::getenv("ORACLE_ROOT");
  return env != nullptr ? env : "";
}

double peak_rss_mib() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

} // namespace

exit_code world_generate(const args& a) {
  world::params p;
  p.seed = a.number("--seed", 0);
  p.merchants = a.number("--merchants", p.merchants);
  p.flows = a.number("--flows", p.flows);
  p.part_rows = a.number("--part-rows", p.part_rows);
  p.fraud_rate_bp = a.number("--fraud-rate-bp", p.fraud_rate_bp);
  p.scenario_id = a.text("--scenario-id", p.scenario_id);
  if (a.has("--start")) {
    auto s = world::parse_start("--start", a.text("--start"));
    if (!s)
      return fail(a, exit_code::usage, s.error().message());
    p.start_ms = *s;
  }
  if (a.has("--span")) {
    auto s = world::parse_span("--span", a.text("--span"));
    if (!s)
      return fail(a, exit_code::usage, s.error().message());
    p.span_seconds = *s;
  }
  if (auto v = world::validate(p); !v)
    return fail(a, exit_code::usage, option_of(v.error().message()));
  auto root = oracle_root(a);
  if (root.empty())
    return fail(a, exit_code::usage, "--out: required when $ORACLE_ROOT is not set");

  auto t0 = std::chrono::steady_clock::now();
  progress bar("world generate", p.flows);
  auto r = world::generate(p, root, [&](std::uint64_t done) { bar.set(done); });
  bar.finish();
  if (!r)
    return fail(a, exit_code::failed, r.error().to_string());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json rows = nlohmann::json::object();
  for (auto o : world::all_outputs)
    rows[std::string(world::output_id(o))] = r->stats.rows[static_cast<int>(o)];
  nlohmann::json out{
      {"status", r->already_sealed ? "ALREADY_SEALED" : "SEALED"},
      {"world", r->world_dir.string()},
      {"seed", p.seed},
      {"scenario_id", p.scenario_id},
      {"parameter_hash", r->parameter_hash},
      {"manifest_fingerprint", r->manifest_fingerprint},
      {"flows", r->stats.flows},
      {"fraud_flows", r->stats.fraud_flows},
      {"rows", rows},
      {"bytes", r->bytes},
      {"first_ts_utc", world::format_ts(r->stats.first_ts_ms)},
      {"last_ts_utc", world::format_ts(r->stats.last_ts_ms)},
      {"peak_lookahead",
       {{"intents", r->stats.peak_pending_intents},
        {"traffic_events", r->stats.peak_pending_events}}},
      {"seconds", static_cast<double>(static_cast<long long>(seconds * 1000)) / 1000.0},
      {"peak_rss_mib", static_cast<double>(static_cast<long long>(peak_rss_mib() * 10)) / 10.0},
  };
  std::printf("%s\n", out.dump().c_str());
  return exit_code::ok;
}

exit_code world_verify(const args& a) {
  auto root = oracle_root(a);
  if (root.empty())
    return fail(a, exit_code::usage, "--out: required when $ORACLE_ROOT is not set");
  auto worlds = world::find_worlds(root);
  if (worlds.empty())
    return fail(a, exit_code::failed, "no sealed world under " + root + "/oracle");
  int bad = 0;
  for (auto& w : worlds) {
    auto v = world::verify_world(w);
    if (v) {
      std::printf("PASS %s\n", w.c_str());
      continue;
    }
    ++bad;
    std::printf("FAIL %s\n     %s\n", w.c_str(), v.error().to_string().c_str());
  }
  std::printf("%zu world(s), %d failed\n", worlds.size(), bad);
  return bad == 0 ? exit_code::ok : exit_code::failed;
}

} // namespace fp::tools
