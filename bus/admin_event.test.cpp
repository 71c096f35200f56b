#include "bus/admin_event.hpp"

#include "schemas/hash.hpp"

#include <doctest/doctest.h>

using namespace fp::bus;

namespace {

admin_context who() {
  return {"ops:alice", "provision the traffic topic", "2026-01-01T00:00:00Z"};
}

admin_event retention_change() {
  topic_spec before{"fp.bus.traffic.fraud.v1", 8, -1, -1};
  topic_spec after{"fp.bus.traffic.fraud.v1", 8, 86400000, 1048576};
  auto e =
      make_admin_event(action_set_retention, who(), {"fp.bus.traffic.fraud.v1"}, before, after);
  REQUIRE(e.has_value());
  return *e;
}

} // namespace

TEST_CASE("admin_event: golden bytes of version 1") {
  auto e = retention_change();
  // Pinned: a change here breaks every control topic already written.
  CHECK(fp::schemas::to_hex(encode_admin_event(e)) ==
        "9a01d940646638336362353362666363316561636336313931303362616362636264666534636135"
        "32616437646366653130636264393436636266383034616236363763ad7365745f726574656e7469"
        "6f6ea96f70733a616c696365b4323032362d30312d30315430303a30303a30305abb70726f766973"
        "696f6e20746865207472616666696320746f70696391b766702e6275732e747261666669632e6672"
        "6175642e763194b766702e6275732e747261666669632e66726175642e763108ffff94b766702e62"
        "75732e747261666669632e66726175642e763108ce05265c00ce00100000a76170706c696564");
  CHECK(e.admin_event_id == "df83cb53bfcc1eacc619103bacbcbdfe4ca52ad7dcfe10cbd946cbf804ab667c");
  // The id rule, spelled out independently of the encoder.
  auto targets =
      fp::schemas::sha256_hex(std::string("\0\0\0\0\0\0\0\x17", 8) + "fp.bus.traffic.fraud.v1");
  CHECK(e.admin_event_id == fp::schemas::composite_id(
                                {"set_retention", targets, topic_spec_json(*e.before),
                                 topic_spec_json(*e.after), "ops:alice", "2026-01-01T00:00:00Z"}));
}

TEST_CASE("admin_event: round trip, with and without before") {
  auto e = retention_change();
  auto back = decode_admin_event(encode_admin_event(e));
  REQUIRE(back.has_value());
  CHECK(*back == e);
  auto created = make_admin_event(action_create_topic, who(), {"t1"}, std::nullopt,
                                  topic_spec{"t1", 3, -1, -1});
  REQUIRE(created.has_value());
  auto back2 = decode_admin_event(encode_admin_event(*created));
  REQUIRE(back2.has_value());
  CHECK(*back2 == *created);
  CHECK_FALSE(back2->before.has_value());
}

TEST_CASE("admin_event: the id is deterministic and covers every identifying field") {
  auto a = retention_change();
  CHECK(retention_change().admin_event_id == a.admin_event_id);
  auto ctx = who();
  ctx.observed_at_utc = "2026-01-01T00:00:01Z";
  auto later = make_admin_event(action_set_retention, ctx, a.targets, a.before, a.after);
  REQUIRE(later.has_value());
  CHECK(later->admin_event_id != a.admin_event_id);
  ctx = who();
  ctx.actor = "ops:bob";
  auto other = make_admin_event(action_set_retention, ctx, a.targets, a.before, a.after);
  REQUIRE(other.has_value());
  CHECK(other->admin_event_id != a.admin_event_id);
  auto after = *a.after;
  after.retention_ms = 1;
  auto shape = make_admin_event(action_set_retention, who(), a.targets, a.before, after);
  REQUIRE(shape.has_value());
  CHECK(shape->admin_event_id != a.admin_event_id);
  // The reason is free text and does not identify the action.
  ctx = who();
  ctx.reason = "another wording";
  auto reworded = make_admin_event(action_set_retention, ctx, a.targets, a.before, a.after);
  REQUIRE(reworded.has_value());
  CHECK(reworded->admin_event_id == a.admin_event_id);
}

TEST_CASE("admin_event: bad input names the field") {
  auto ctx = who();
  ctx.observed_at_utc = "yesterday";
  auto e = make_admin_event(action_create_topic, ctx, {"t"}, std::nullopt, std::nullopt);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().is(errc::invalid_argument));
  CHECK(e.error().message().find("observed_at_utc") != std::string::npos);
  ctx = who();
  ctx.actor.clear();
  e = make_admin_event(action_create_topic, ctx, {"t"}, std::nullopt, std::nullopt);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().message().find("actor") != std::string::npos);
  e = make_admin_event(action_create_topic, who(), {}, std::nullopt, std::nullopt);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().message().find("targets") != std::string::npos);
}

TEST_CASE("admin_event: damaged bytes are corrupt, naming the field") {
  auto bytes = encode_admin_event(retention_change());
  auto cut = decode_admin_event(std::string_view(bytes).substr(0, bytes.size() - 3));
  REQUIRE_FALSE(cut.has_value());
  CHECK(cut.error().is(errc::corrupt));
  auto v2 = bytes;
  v2[1] = 2; // the version (positive fixint right after the array header)
  auto unknown = decode_admin_event(v2);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().message().find("version") != std::string::npos);
}

TEST_CASE("admin_event: record and JSON rendering") {
  auto e = retention_change();
  auto r = admin_event_record(e);
  CHECK(r.topic == control_topic);
  CHECK(r.key == "fp.bus.traffic.fraud.v1");
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].key == "fp.schema");
  CHECK(r.headers[0].value == "admin_event.v1");
  auto json = admin_event_json(e);
  CHECK(json.find("\"admin_event_id\":\"" + e.admin_event_id + "\"") != std::string::npos);
  CHECK(json.find("\"before\":{\"name\":\"fp.bus.traffic.fraud.v1\",\"partitions\":8,"
                  "\"retention_bytes\":-1,\"retention_ms\":-1}") != std::string::npos);
}
