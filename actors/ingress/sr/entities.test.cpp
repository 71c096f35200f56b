// The sr_run and active_run rules as pure functions, and their codecs round trip.

#include "actors/ingress/sr/entities.hpp"

#include "actors/core/errc.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace fp::sr;

namespace {

run_pins pins(std::string srid = std::string(64, 'a')) {
  run_pins p;
  p.platform_run_id = "platform_20260101T000000Z";
  p.scenario_run_id = std::move(srid);
  p.scenario_id = "baseline_v1";
  p.manifest_fingerprint = std::string(64, 'f');
  p.parameter_hash = std::string(64, 'e');
  p.seed = 7;
  p.run_config_digest = std::string(64, 'c');
  p.plan_hash = std::string(64, 'b');
  p.message_id = std::string(64, 'd');
  p.started_at_utc = "2026-01-01T00:00:00Z";
  return p;
}

template <class Def>
typename Def::state step(typename Def::state s, const typename Def::command& c,
                         std::size_t want_events) {
  auto evs = Def::handle(s, c);
  REQUIRE_MESSAGE(evs.has_value(), (evs ? "" : evs.error().to_string()));
  REQUIRE(evs->size() == want_events);
  for (auto& e : *evs) {
    // Every event survives its codec: what recovery replays is what was applied.
    auto data = Def::encode(e);
    fp::journal::record_view r;
    r.event_type = data.event_type;
    r.schema_version = data.schema_version;
    r.payload = data.payload;
    auto back = Def::decode(r);
    REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
    typename Def::state a = s, b = s;
    Def::apply(a, e);
    Def::apply(b, *back);
    CHECK(a == b);
    s = a;
  }
  return s;
}

template <class Def>
void check_snapshot(const typename Def::state& s) {
  fp::journal::record_view r;
  auto bytes = Def::encode_state(s);
  r.schema_version = Def::state_version();
  r.payload = bytes;
  auto back = Def::decode_state(r);
  REQUIRE_MESSAGE(back.has_value(), (back ? "" : back.error().to_string()));
  CHECK(*back == s);
}

} // namespace

TEST_CASE("sr_run: PLANNED -> FACTS_WRITTEN -> READY, repeats are no-ops, drift refused") {
  sr_run_state s;
  CHECK(status_of(s) == "NONE");
  s = step<sr_run_def>(s, {sr_run_op::plan, pins(), {}, {}, 0, 0, {}}, 1);
  CHECK(status_of(s) == "PLANNED");
  s = step<sr_run_def>(s, {sr_run_op::plan, pins(), {}, {}, 0, 0, {}}, 0);
  auto drift =
      sr_run_def::handle(s, {sr_run_op::plan, pins(std::string(64, '9')), {}, {}, 0, 0, {}});
  REQUIRE_FALSE(drift.has_value());
  CHECK(drift.error().is(fp::actors::errc::rejected));
  CHECK(drift.error().message().starts_with("drift"));
  CHECK_FALSE(sr_run_def::handle(s, {sr_run_op::ready_emitted, {}, {}, "t", 0, 1, {}}));

  s = step<sr_run_def>(s, {sr_run_op::fail, {}, {}, {}, 0, 0, "sr.bus_failed: x"}, 1);
  CHECK(status_of(s) == "FAILED");
  CHECK(s.failures == 1);
  check_snapshot<sr_run_def>(s);
  s = step<sr_run_def>(s, {sr_run_op::facts_written, {}, std::string(64, '1'), {}, 0, 0, {}}, 1);
  CHECK(status_of(s) == "FACTS_WRITTEN");
  s = step<sr_run_def>(s, {sr_run_op::facts_written, {}, std::string(64, '1'), {}, 0, 0, {}}, 0);
  CHECK_FALSE(
      sr_run_def::handle(s, {sr_run_op::facts_written, {}, std::string(64, '2'), {}, 0, 0, {}}));
  s = step<sr_run_def>(s, {sr_run_op::ready_emitted, {}, {}, "fp.bus.control.v1", 0, 5, {}}, 1);
  CHECK(status_of(s) == "READY");
  CHECK(s.ready_offset == 5);
  s = step<sr_run_def>(s, {sr_run_op::ready_emitted, {}, {}, "fp.bus.control.v1", 0, 9, {}}, 0);
  CHECK(s.ready_offset == 5);
  CHECK_FALSE(sr_run_def::handle(s, {sr_run_op::fail, {}, {}, {}, 0, 0, "late"}));
  check_snapshot<sr_run_def>(s);
  check_snapshot<sr_run_def>(sr_run_state{});
  auto j = sr_run_def::to_json(s);
  CHECK(j["status"] == "READY");
  CHECK(j["pins"]["scenario_run_id"] == std::string(64, 'a'));
}

TEST_CASE("sr_run: nothing before a plan") {
  sr_run_state s;
  CHECK_FALSE(sr_run_def::handle(s, {sr_run_op::facts_written, {}, "x", {}, 0, 0, {}}));
  CHECK_FALSE(sr_run_def::handle(s, {sr_run_op::fail, {}, {}, {}, 0, 0, "x"}));
  run_pins empty;
  CHECK_FALSE(sr_run_def::handle(s, {sr_run_op::plan, empty, {}, {}, 0, 0, {}}));
  CHECK(sr_run_def::handle(s, {})->empty());
}

TEST_CASE("active_run: a new run is a new event, the same run again is a no-op") {
  active_run_state s;
  check_snapshot<active_run_def>(s);
  s = step<active_run_def>(s, {active_run_op::activate, pins()}, 1);
  CHECK(s.activations == 1);
  s = step<active_run_def>(s, {active_run_op::activate, pins()}, 0);
  auto other = pins(std::string(64, '2'));
  other.platform_run_id = "platform_20260102T000000Z";
  s = step<active_run_def>(s, {active_run_op::activate, other}, 1);
  CHECK(s.activations == 2);
  CHECK(s.active.platform_run_id == "platform_20260102T000000Z");
  check_snapshot<active_run_def>(s);
  CHECK_FALSE(active_run_def::handle(s, {active_run_op::activate, run_pins{}}));
}

TEST_CASE("sr entities: undecodable records are refused, not guessed") {
  fp::journal::record_view r;
  r.event_type = "sr_run.planned";
  r.schema_version = 1;
  r.payload = "\x81\xa1v\x02"; // {"v": 2}
  CHECK_FALSE(sr_run_def::decode(r));
  r.schema_version = 2;
  CHECK_FALSE(sr_run_def::decode(r));
  r.schema_version = 1;
  r.payload = "\x81\xa1v\x01"; // {"v": 1}, fields missing
  auto e = sr_run_def::decode(r);
  REQUIRE_FALSE(e);
  CHECK(e.error().is(fp::actors::errc::recovery_failed));
  r.event_type = "sr_run.unknown";
  CHECK_FALSE(sr_run_def::decode(r));
}
