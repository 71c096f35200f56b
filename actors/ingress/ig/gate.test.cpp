#include "actors/ingress/ig/gate.hpp"

#include "actors/ingress/ig/test_fixture.hpp"
#include "actors/ingress/ig/tuple_entity.hpp"
#include "bus/partitioner.hpp"
#include "journal/journal.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/envelope.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"

#include <doctest/doctest.h>

#include <future>

using namespace fp;
using namespace fp::ig;
using namespace fp::ig::test;
using json = nlohmann::json;

namespace {

const std::string traffic_topic = "fp.bus.traffic.fraud.v1";

std::string header(const bus::message& m, std::string_view key) {
  for (auto& h : m.headers)
    if (h.key == key)
      return h.value;
  return "";
}

tuple_id tuple_of(const std::string& event_id, const std::string& cls = "traffic_fraud") {
  return {prid, cls, event_id};
}

} // namespace

TEST_CASE("an admitted event is on its class's topic and partition, with a receipt") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  auto r = n.send(traffic("ev-1"));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()["decision"] == "ADMITTED");
  CHECK(r.json()["event_class"] == "traffic_fraud");
  auto part = bus::partition_for("flw_00a1b2c3d4e5f601", 8); // key_precedence: payload.flow_id
  CHECK(r.json()["eb_ref"]["topic"] == traffic_topic);
  CHECK(r.json()["eb_ref"]["partition"] == part);
  auto msgs = n.read(traffic_topic, part);
  REQUIRE(msgs.size() == 1);
  const auto& m = msgs[0];
  CHECK(m.offset == r.json()["eb_ref"]["offset"].get<std::int64_t>());
  CHECK(m.key == "flw_00a1b2c3d4e5f601");
  CHECK(header(m, "fp.schema") == "envelope.v1");
  CHECK(header(m, "fp.event_id") == "ev-1");
  CHECK(header(m, "fp.event_class") == "traffic_fraud");
  CHECK(header(m, "fp.platform_run_id") == prid);
  CHECK(header(m, "fp.dedupe") ==
        schemas::hash_parts(prid, std::string("traffic_fraud"), std::string("ev-1")));
  auto env = schemas::decode_envelope(m.value);
  REQUIRE(env.has_value());
  CHECK(env->payload == schemas::canonical(traffic("ev-1")["payload"]));
  // The receipt: path, id and fields.
  std::string receipt_ref = r.json()["receipt_ref"];
  CHECK(receipt_ref == receipt_path(tuple_of("ev-1"), decision_kind::admit, 0));
  CHECK(receipt_ref.starts_with("fraud-platform/" + prid + "/ig/receipts/"));
  auto rec = n.object(receipt_ref);
  CHECK(rec["decision"] == "ADMIT");
  CHECK(rec["receipt_id"] == receipt_id(tuple_of("ev-1"), decision_kind::admit, 0));
  CHECK(rec["platform_run_id"] == prid);
  CHECK(rec["scenario_run_id"] == srid);
  CHECK(rec["event_class"] == "traffic_fraud");
  CHECK(rec["payload_hash"] == schemas::sha256_hex(env->payload));
  CHECK(rec["admitted_at_utc"] == "2026-01-01T00:00:00.001000000Z"); // open_run took .000
  CHECK(rec["eb_ref"] == r.json()["eb_ref"]);
  CHECK(rec["policy_rev"] == n.g->active_policy().policy_rev);
  CHECK(rec["service_release_id"] == "test-release");
  // The journal: ADMITTED with the eb_ref and the payload hash.
  auto st = n.g->tuple(tuple_of("ev-1")).value();
  REQUIRE(st.has_value());
  CHECK(st->status == publish_status::admitted);
  CHECK(st->eb_ref->offset == m.offset);
  CHECK(st->admission.payload_hash == rec["payload_hash"]);
  CHECK(st->admission_receipt == receipt_status::written);
  auto c = n.g->counters()[prid];
  CHECK(c.ig_received == 1);
  CHECK(c.admitted == 1);
  CHECK(c.receipts_written == 1);
}

TEST_CASE("context events are keyed by merchant_id") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  auto r = n.send(arrival());
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()["eb_ref"]["topic"] == "fp.bus.context.arrival_events.v1");
  CHECK(r.json()["eb_ref"]["partition"] == bus::partition_for("mer_0123456789abcdef", 8));
}

TEST_CASE("a re-send is DUPLICATE, another payload on the same tuple is quarantined") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  auto first = n.send(traffic("ev-1"));
  REQUIRE(first.status == 200);
  auto before = n.total(traffic_topic);
  // Key order and whitespace do not change the payload hash.
  auto again = n.send_text(traffic("ev-1").dump(2));
  REQUIRE_MESSAGE(again.status == 200, again.body);
  CHECK(again.json()["decision"] == "DUPLICATE");
  CHECK(again.json()["eb_ref"] == first.json()["eb_ref"]);
  CHECK(n.total(traffic_topic) == before);
  auto dup = n.object(again.json()["receipt_ref"]);
  CHECK(dup["decision"] == "DUPLICATE");
  CHECK(dup["ordinal"] == 1);
  CHECK(dup["eb_ref"] == first.json()["eb_ref"]);

  auto control_before = n.total("fp.bus.control.v1");
  auto other = n.send(traffic("ev-1", 99.5));
  REQUIRE(other.status == 409);
  CHECK(other.json()["decision"] == "QUARANTINE");
  CHECK(other.json()["reason"] == "PAYLOAD_HASH_MISMATCH");
  CHECK(n.total(traffic_topic) == before);
  auto q = n.object(other.json()["receipt_ref"]);
  CHECK(q["decision"] == "QUARANTINE");
  CHECK(q["reason"] == "PAYLOAD_HASH_MISMATCH");
  CHECK(q["recorded_payload_hash"] == dup["payload_hash"]);
  auto evidence = n.object(other.json()["evidence_ref"]);
  CHECK(evidence["body"]["payload"]["amount"] == 99.5);
  // The anomaly fact on the control topic.
  REQUIRE(n.total("fp.bus.control.v1") == control_before + 1);
  auto facts = n.read("fp.bus.control.v1", 0);
  auto fact = json::parse(facts.back().value);
  CHECK(header(facts.back(), "fp.schema") == "anomaly_fact.v1");
  CHECK(fact["anomaly"] == "PAYLOAD_HASH_MISMATCH");
  CHECK(fact["event_id"] == "ev-1");
  CHECK(fact["recorded_payload_hash"] == dup["payload_hash"]);
  CHECK(fact["receipt_ref"] == other.json()["receipt_ref"]);
  // The admission is untouched.
  auto st = n.g->tuple(tuple_of("ev-1")).value();
  CHECK(st->status == publish_status::admitted);
  CHECK(st->duplicates == 1);
  CHECK(st->quarantines == 1);
  CHECK(st->pending.empty());
  auto c = n.g->counters()[prid];
  CHECK(c.duplicate == 1);
  CHECK(c.quarantined_by_reason["PAYLOAD_HASH_MISMATCH"] == 1);
}

TEST_CASE("concurrent sends of one tuple: one ADMITTED, the rest DUPLICATE, one record") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  std::vector<std::future<ingest_result>> fs;
  for (int i = 0; i < 8; ++i)
    fs.push_back(std::async(std::launch::async, [&] { return n.send(traffic("ev-c")); }));
  int admitted = 0, duplicate = 0;
  for (auto& f : fs) {
    auto r = f.get();
    REQUIRE_MESSAGE(r.status == 200, r.body);
    (r.json()["decision"] == "ADMITTED" ? admitted : duplicate)++;
  }
  CHECK(admitted == 1);
  CHECK(duplicate == 7);
  CHECK(n.total(traffic_topic) == 1);
}

TEST_CASE("every quarantine reason: 422, journaled, a receipt and an evidence record") {
  struct row {
    const char* name;
    std::function<void(json&)> change;
    const char* reason;
    const char* field;
    tuple_id tuple; ///< empty event_id: the body's sha256
  };
  const std::string other_run = "platform_20260102T000000Z";
  std::vector<row> rows{
      {"missing pin", [](json& e) { e.erase("scenario_id"); }, "MISSING_PIN", "scenario_id",
       tuple_of("q")},
      {"missing seed", [](json& e) { e.erase("seed"); }, "MISSING_PIN", "seed", tuple_of("q")},
      {"wrong type pin", [](json& e) { e["seed"] = "7"; }, "INVALID_PIN", "seed", tuple_of("q")},
      {"wrong type ts", [](json& e) { e["ts_utc"] = 5; }, "ENVELOPE_INVALID", "ts_utc",
       tuple_of("q")},
      {"legacy run_id", [](json& e) { e["run_id"] = "x"; }, "ENVELOPE_INVALID", "run_id",
       tuple_of("q")},
      {"unknown class",
       [](json& e) { e["event_type"] = "nope_9Z"; },
       "UNKNOWN_EVENT_CLASS",
       "event_type",
       {prid, "_unclassified", "q"}},
      {"bad schema_version", [](json& e) { e["schema_version"] = "v2"; },
       "SCHEMA_VERSION_UNSUPPORTED", "schema_version", tuple_of("q")},
      {"payload schema", [](json& e) { e["payload"]["currency"] = "usd"; },
       "PAYLOAD_SCHEMA_INVALID", "payload.currency", tuple_of("q")},
      {"payload extra field", [](json& e) { e["payload"]["merchant_id"] = "m"; },
       "PAYLOAD_SCHEMA_INVALID", "payload.merchant_id", tuple_of("q")},
      {"unknown run",
       [&](json& e) { e["platform_run_id"] = other_run; },
       "RUN_NOT_READY",
       "platform_run_id",
       {other_run, "traffic_fraud", "q"}},
      {"pin mismatch", [](json& e) { e["manifest_fingerprint"] = std::string(64, 'e'); },
       "PIN_MISMATCH", "manifest_fingerprint", tuple_of("q")},
      {"event_id escapes", [](json& e) { e["event_id"] = "../../etc"; }, "ID_NOT_PATH_SAFE",
       "event_id", tuple_of("")},
      {"run id escapes",
       [](json& e) { e["platform_run_id"] = "../x"; },
       "ID_NOT_PATH_SAFE",
       "platform_run_id",
       {"_invalid", "traffic_fraud", "q"}},
      {"run id malformed",
       [](json& e) { e["platform_run_id"] = "platform_2026"; },
       "INVALID_PIN",
       "platform_run_id",
       {"_invalid", "traffic_fraud", "q"}},
  };
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  std::uint64_t quarantined = 0;
  for (auto& row : rows) {
    std::string name = row.name;
    CAPTURE(name);
    auto e = traffic("q");
    row.change(e);
    auto body = schemas::canonical(e);
    auto t = row.tuple;
    if (t.event_id.empty())
      t.event_id = schemas::sha256_hex(body);
    auto before = n.g->tuple(t).value();
    auto r = n.send_text(body);
    CHECK(r.status == 422);
    CHECK(r.json()["decision"] == "QUARANTINE");
    CHECK(r.json()["reason"] == row.reason);
    CHECK(r.json()["field"] == row.field);
    CHECK(r.json()["event_id"] == t.event_id);
    CHECK(r.json()["event_class"] == t.event_class);
    std::uint32_t ordinal = before ? before->decisions : 0;
    CHECK(r.json()["receipt_ref"] == receipt_path(t, decision_kind::quarantine, ordinal));
    std::string receipt_ref = r.json()["receipt_ref"];
    CHECK(receipt_ref.starts_with("fraud-platform/" + t.platform_run_id + "/ig/receipts/"));
    auto rec = n.object(receipt_ref);
    CHECK(rec["reason"] == row.reason);
    CHECK(rec["eb_ref"].is_null());
    std::string evidence_ref = r.json()["evidence_ref"];
    CHECK(evidence_ref.starts_with("fraud-platform/" + t.platform_run_id + "/ig/quarantine/"));
    CHECK(rec["evidence_ref"] == evidence_ref);
    auto ev = n.object(evidence_ref);
    CHECK(ev["body"] == e);
    CHECK(ev["reason"] == row.reason);
    auto st = n.g->tuple(t).value();
    REQUIRE(st.has_value());
    CHECK(st->quarantines == (before ? before->quarantines : 0) + 1);
    CHECK(st->status == publish_status::none);
    CHECK(st->pending.empty()); // the receipt is confirmed in the journal
    ++quarantined;
  }
  CHECK(n.total(traffic_topic) == 0);
  std::uint64_t counted = 0;
  for (auto& [run, c] : n.g->counters())
    counted += c.quarantined;
  CHECK(counted == quarantined);
  // A quarantined tuple is still admissible once the event is right.
  auto ok = n.send(traffic("q"));
  CHECK(ok.status == 200);
  CHECK(ok.json()["decision"] == "ADMITTED");
}

TEST_CASE("what cannot be parsed is a 400 and writes nothing") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  auto events = n.j->stats().events_appended;
  for (auto [body, code] : {std::pair{"{not json", "malformed_json"},
                            {R"({"event_id":"a","event_id":"b"})", "duplicate_key"},
                            {"[1,2]", "wrong_type"},
                            {R"({"seed":1e400})", "number_out_of_range"},
                            {"", "malformed_json"}}) {
    CAPTURE(body);
    auto r = n.send_text(body);
    CHECK(r.status == 400);
    CHECK(r.json()["error"]["code"] == code);
  }
  CHECK(n.j->stats().events_appended == events);
  CHECK(n.objects_under("fraud-platform/").empty());
}

namespace {

TEST_CASE("a parsed batch element is checked exactly as its canonical text would be") {
  auto lookup = [](std::string_view) { return std::optional<run_pins>(test_run()); };
  auto wrong_pin = traffic("ev-p");
  wrong_pin["manifest_fingerprint"] = std::string(64, 'e');
  auto not_json_object = json::array({1, 2});
  for (const auto& e : {traffic("ev-d"), wrong_pin}) {
    auto text = schemas::canonical(e);
    auto from_text = check_event(text, repo_policy(), lookup).value();
    auto from_doc =
        check_document(schemas::parse_strict(text).value(), repo_policy(), lookup).value();
    CHECK(from_doc.tuple == from_text.tuple);
    CHECK(from_doc.body_sha256 == from_text.body_sha256);
    CHECK(from_doc.canonical_body == from_text.canonical_body);
    CHECK(from_doc.payload_hash == from_text.payload_hash);
    CHECK(from_doc.quarantine.has_value() == from_text.quarantine.has_value());
    if (from_doc.quarantine && from_text.quarantine)
      CHECK(from_doc.quarantine->reason == from_text.quarantine->reason);
    CHECK(from_doc.envelope == from_text.envelope);
    CHECK(from_doc.topic == from_text.topic);
    CHECK(from_doc.key == from_text.key);
  }
  CHECK(check_document(not_json_object, repo_policy(), lookup).error() ==
        schemas::errc::wrong_type);
}

/// Journals a Received event for `e` on its tuple as if IG crashed right after it.
std::string leave_in_flight(node& n, const json& e, std::int64_t end_offset) {
  auto ev = check_event(schemas::canonical(e), repo_policy(), [](std::string_view) {
              return std::optional<run_pins>(test_run());
            }).value();
  REQUIRE(!ev.quarantine);
  tuple_event rec;
  rec.kind = tuple_event_kind::received;
  rec.tuple = ev.tuple;
  rec.d.attempt = "crashed:1";
  rec.d.received_at_utc = "2026-01-01T00:00:01.000000000Z";
  rec.d.payload_hash = ev.payload_hash;
  rec.d.scenario_run_id = srid;
  rec.d.policy_rev = repo_policy().policy_rev;
  rec.d.service_release_id = "old-release";
  rec.route = {ev.topic, bus::partition_for(ev.key, 8), ev.key, end_offset,
               schemas::encode_msgpack(ev.envelope)};
  auto pid = actors::persistence_id(tuple_def::type, ev.tuple.dedupe());
  REQUIRE(n.j->append(pid, 0, {tuple_def::encode(rec)}).has_value());
  return ev.tuple.dedupe();
}

template <class F>
bool eventually(F&& f) {
  for (int i = 0; i < 400; ++i) {
    if (f())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

} // namespace

TEST_CASE("reconciliation: in flight with its record on the bus -> ADMITTED at that offset") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  // Another record first, so the found offset is not 0.
  REQUIRE(n.send(traffic("ev-0")).status == 200);
  n.close();
  n.open_storage();
  auto part = bus::partition_for("flw_00a1b2c3d4e5f601", 8);
  auto end = n.high(traffic_topic, part);
  auto dedupe = leave_in_flight(n, traffic("ev-r"), end);
  // The publish had landed before the crash.
  auto env = schemas::parse_envelope(schemas::canonical(traffic("ev-r")), {true}).value();
  auto landed = n.bus
                    ->produce({traffic_topic,
                               "flw_00a1b2c3d4e5f601",
                               schemas::encode_msgpack(env),
                               {{"fp.dedupe", dedupe}},
                               part})
                    .value();
  n.start_gate(); // the start-up sweep reconciles
  REQUIRE(eventually([&] {
    auto s = n.g->tuple(tuple_of("ev-r")).value();
    return s && s->status == publish_status::admitted;
  }));
  auto st = n.g->tuple(tuple_of("ev-r")).value();
  CHECK(st->eb_ref->offset == landed.offset);
  CHECK(n.high(traffic_topic, part) == landed.offset + 1); // nothing re-published
  auto rec = n.object(receipt_path(st->tuple, decision_kind::admit, 0));
  CHECK(rec["eb_ref"]["offset"] == landed.offset);
  CHECK(rec["service_release_id"] == "old-release");
  CHECK(n.g->counters()[prid].publish_ambiguous == 1);
  auto again = n.send(traffic("ev-r"));
  CHECK(again.json()["decision"] == "DUPLICATE");
  CHECK(again.json()["eb_ref"]["offset"] == landed.offset);
}

TEST_CASE("read_tuples gives each tuple what read_tuple gives it, a missing one empty") {
  node n;
  std::vector<std::string> keys;
  for (int i = 0; i < 3; ++i)
    keys.push_back(leave_in_flight(n, traffic("ev-read-" + std::to_string(i)), 0));
  keys.insert(keys.begin() + 1, "no-such-tuple");
  auto many = read_tuples(*n.j, keys);
  REQUIRE(many.size() == keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto one = read_tuple(*n.j, keys[i]);
    REQUIRE(one);
    REQUIRE(many[i]);
    CHECK(*many[i] == *one);
    CHECK(many[i]->has_value() == (i != 1));
  }
  CHECK((*many[0])->status == publish_status::in_flight);
}

TEST_CASE("the start-up sweep lists tuples a chunk at a time and resolves every open one") {
  node n;
  n.sweep_chunk = 2; // 5 open tuples: three listings
  std::vector<std::string> dedupes;
  for (int i = 0; i < 5; ++i)
    dedupes.push_back(leave_in_flight(n, traffic("ev-chunk-" + std::to_string(i)), 0));
  n.start_gate();
  auto admitted = [&](int i) {
    auto s = n.g->tuple(tuple_of("ev-chunk-" + std::to_string(i))).value();
    return s && s->status == publish_status::admitted;
  };
  for (int i = 0; i < 5; ++i)
    CHECK(eventually([&] { return admitted(i); }));
  REQUIRE(eventually([&] { return n.g->unresolved() == 0; }));
  std::map<std::string, int> copies;
  auto part = bus::partition_for("flw_00a1b2c3d4e5f601", 8);
  for (auto& m : n.read(traffic_topic, part))
    copies[header(m, "fp.dedupe")]++;
  for (auto& d : dedupes)
    CHECK(copies[d] == 1);
}

TEST_CASE("reconciliation: in flight without its record -> published exactly once") {
  node n;
  auto part = bus::partition_for("flw_00a1b2c3d4e5f601", 8);
  auto dedupe = leave_in_flight(n, traffic("ev-x"), 0);
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  // A re-send while the sweep runs queues behind it: one record in the end.
  auto r = n.send(traffic("ev-x"));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  REQUIRE(eventually([&] { return n.g->unresolved() == 0; }));
  auto msgs = n.read(traffic_topic, part);
  int copies = 0;
  for (auto& m : msgs)
    copies += header(m, "fp.dedupe") == dedupe;
  CHECK(copies == 1);
  auto st = n.g->tuple(tuple_of("ev-x")).value();
  CHECK(st->status == publish_status::admitted);
  CHECK(st->route.record.empty());
}

TEST_CASE("a restart keeps runs and outcomes") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  auto first = n.send(traffic("ev-1"));
  REQUIRE(first.status == 200);
  auto q = n.send(traffic("ev-2", -1));
  REQUIRE(q.status == 422);
  n.restart();
  CHECK(n.g->run(prid).has_value()); // reloaded from the journal, no new READY
  auto again = n.send(traffic("ev-1"));
  CHECK(again.json()["decision"] == "DUPLICATE");
  CHECK(again.json()["eb_ref"] == first.json()["eb_ref"]);
  CHECK(n.total(traffic_topic) == 1);
  auto st = n.g->tuple(tuple_of("ev-2")).value();
  CHECK(st->quarantines == 1);
}

TEST_CASE("a stopped gate answers 503") {
  node n;
  n.start_gate();
  n.g->stop();
  auto r = n.send(traffic());
  CHECK(r.status == 503);
  CHECK(r.json()["error"]["code"] == "stopping");
}

namespace {

/// The node's bus, except that the outcomes of publishes to the traffic topic are held back
/// until `release()`: the records are durable, IG just does not hear about them.
class held_bus final : public bus::event_bus {
public:
  explicit held_bus(bus::event_bus& inner)
      : inner_(inner) {}
  std::string_view backend() const override { return inner_.backend(); }
  expected<bus::topic_info> create_topic(const bus::topic_spec& s,
                                         const bus::admin_context& w) override {
    return inner_.create_topic(s, w);
  }
  expected<bus::topic_info> set_retention(std::string_view t, std::int64_t ms, std::int64_t b,
                                          const bus::admin_context& w) override {
    return inner_.set_retention(t, ms, b, w);
  }
  expected<bus::topic_info> describe_topic(std::string_view t) override {
    return inner_.describe_topic(t);
  }
  expected<std::vector<std::string>> list_topics() override { return inner_.list_topics(); }
  expected<fp::origin_offset> produce(bus::produce_record r) override {
    return inner_.produce(std::move(r));
  }
  void produce_async(bus::produce_record r, produce_callback done) override {
    if (r.topic != traffic_topic)
      return inner_.produce_async(std::move(r), std::move(done));
    inner_.produce_async(std::move(r), [this, done](expected<fp::origin_offset> x) {
      std::lock_guard lock(mu_);
      held_.push_back([done, x] { done(x); });
    });
  }
  expected<void> flush(std::chrono::milliseconds t) override { return inner_.flush(t); }
  expected<std::unique_ptr<bus::consumer>> subscribe(bus::group_options o) override {
    return inner_.subscribe(std::move(o));
  }
  expected<std::unique_ptr<bus::consumer>>
  assign(const std::vector<bus::topic_partition_offset>& from) override {
    return inner_.assign(from);
  }
  expected<std::vector<bus::partition_lag>> lag(std::string_view g, std::string_view t) override {
    return inner_.lag(g, t);
  }
  bus::bus_stats stats() const override { return inner_.stats(); }

  std::size_t held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  void release() {
    std::vector<std::function<void()>> out;
    {
      std::lock_guard lock(mu_);
      out.swap(held_);
    }
    for (auto& f : out)
      f();
  }

private:
  bus::event_bus& inner_;
  std::mutex mu_;
  std::vector<std::function<void()>> held_;
};

} // namespace

TEST_CASE("a publish unanswered past publish_timeout is PUBLISH_AMBIGUOUS, then settled once") {
  node n;
  held_bus slow(*n.bus);
  gate_options o;
  o.service_release_id = "test-release";
  o.publish_timeout = std::chrono::milliseconds(50);
  auto started = gate::start(*n.rt, slow, *n.objects, repo_policy(), o);
  REQUIRE(started.has_value());
  auto& g = **started;
  REQUIRE(g.open_run(test_run()).has_value());
  auto answer = std::make_shared<std::promise<ingest_result>>();
  auto f = answer->get_future();
  g.ingest(schemas::canonical(traffic("ev-t")),
           [answer](ingest_result r) { answer->set_value(std::move(r)); });
  REQUIRE(eventually([&] {
    auto s = g.tuple(tuple_of("ev-t")).value();
    return s && s->status == publish_status::ambiguous;
  }));
  CHECK(slow.held() == 1);
  CHECK(f.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  CHECK(g.counters()[prid].publish_ambiguous == 1);
  slow.release(); // the late outcome settles it: the record IG wrote, not a second one
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto r = f.get();
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()["decision"] == "ADMITTED");
  CHECK(n.total(traffic_topic) == 1);
  auto st = g.tuple(tuple_of("ev-t")).value();
  CHECK(st->status == publish_status::admitted);
  CHECK(st->eb_ref->offset == r.json()["eb_ref"]["offset"].get<std::int64_t>());
  CHECK(g.counters()[prid].publish_ambiguous == 1);
  g.stop();
}

TEST_CASE("nothing of a request outlives its outcome: the caller's callback is released") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  // One admission, one duplicate, one quarantine: each path lets go of the callback (and so
  // of everything the request held) once it answered.
  auto bad = traffic("ev-q");
  bad.erase("seed"); // MISSING_PIN
  struct sent {
    std::string body;
    int status;
    std::string decision;
  };
  const std::vector<sent> sends{{schemas::canonical(traffic("ev-held")), 200, "ADMITTED"},
                                {schemas::canonical(traffic("ev-held")), 200, "DUPLICATE"},
                                {schemas::canonical(bad), 422, "QUARANTINE"}};
  for (const auto& s : sends) {
    auto sentinel = std::make_shared<int>(0);
    auto answer = std::make_shared<std::promise<ingest_result>>();
    auto f = answer->get_future();
    n.g->ingest(s.body, [sentinel, answer](ingest_result r) { answer->set_value(std::move(r)); });
    REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    auto r = f.get();
    CHECK_MESSAGE(r.status == s.status, r.body);
    CHECK(r.json()["decision"] == s.decision);
    CHECK(eventually([&] { return sentinel.use_count() == 1; }));
  }
}

TEST_CASE("a receipt write that fails keeps eb_ref and payload_hash and marks the tuple") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  // Other bytes already at the receipt's path: the write-once store refuses the receipt.
  auto path = receipt_path(tuple_of("ev-f"), decision_kind::admit, 0);
  REQUIRE(n.objects->put(path, "{\"not\":\"this\"}").has_value());
  auto r = n.send(traffic("ev-f"));
  REQUIRE_MESSAGE(r.status == 200, r.body); // the publish is durable: still ADMITTED
  CHECK(r.json()["decision"] == "ADMITTED");
  auto st = n.g->tuple(tuple_of("ev-f")).value();
  CHECK(st->status == publish_status::admitted);
  CHECK(st->admission_receipt == receipt_status::failed);
  CHECK(st->eb_ref->offset == r.json()["eb_ref"]["offset"].get<std::int64_t>());
  CHECK(st->admission.payload_hash ==
        schemas::sha256_hex(schemas::canonical(traffic("ev-f")["payload"])));
  CHECK(n.g->counters()[prid].receipt_write_failed == 1);
  std::vector<std::string> red, amber;
  n.g->health(red, amber);
  CHECK(red.empty());
  REQUIRE(amber.size() == 1);
  CHECK(amber[0].starts_with("IG_RECEIPT_BACKLOG: 1"));
  auto json_of = json::parse(tuple_def::to_json(*st).dump());
  CHECK(json_of["receipt_write_failed"] == true);
}

namespace {

/// The event types of a tuple's journal, in order.
std::vector<std::string> journal_of(node& n, const std::string& event_id) {
  std::vector<std::string> types;
  auto pid = actors::persistence_id(tuple_def::type, tuple_of(event_id).dedupe());
  REQUIRE(n.j->read_entity(pid, 1, [&](const journal::record_view& r) {
    types.emplace_back(r.event_type);
    return true;
  }));
  return types;
}

} // namespace

TEST_CASE("on the embedded bus an admission's events, record and receipt are one journal write") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  auto r = n.send(traffic("ev-w"));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()["decision"] == "ADMITTED");
  // Received and Admitted in one append, with the record and the receipt: nothing follows.
  CHECK(journal_of(n, "ev-w") == std::vector<std::string>{"ig.received", "ig.admitted"});
  auto st = n.g->tuple(tuple_of("ev-w")).value();
  REQUIRE(st.has_value());
  CHECK(st->status == publish_status::admitted);
  CHECK(st->route.record.empty()); // the bus holds the bytes; nothing to reconcile
  CHECK(st->admission_receipt == receipt_status::written);
  auto part = bus::partition_for("flw_00a1b2c3d4e5f601", 8);
  auto msgs = n.read(traffic_topic, part);
  REQUIRE(msgs.size() == 1);
  CHECK(st->eb_ref->offset == msgs[0].offset);
  CHECK(header(msgs[0], "fp.dedupe") == tuple_of("ev-w").dedupe());
  auto rec = n.object(r.json()["receipt_ref"]);
  CHECK(rec["eb_ref"] == r.json()["eb_ref"]);
  CHECK(n.g->counters()[prid].admitted == 1);
  CHECK(n.g->counters()[prid].receipts_written == 1);
  CHECK(n.g->counters()[prid].publish_ambiguous == 0);
}

TEST_CASE("another writer on the partition: the admission is retried, its eb_ref is exact") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  auto part = bus::partition_for("flw_00a1b2c3d4e5f601", 8);
  REQUIRE(n.send(traffic("ev-a")).status == 200);
  // Records IG did not write move the partition's offsets past what IG expects.
  for (int i = 0; i < 3; ++i)
    REQUIRE(n.bus->produce({traffic_topic, "other", "x", {}, part}).has_value());
  auto r = n.send(traffic("ev-b"));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()["eb_ref"]["offset"] == 4);
  auto st = n.g->tuple(tuple_of("ev-b")).value();
  CHECK(st->eb_ref->offset == 4);
  CHECK(journal_of(n, "ev-b") == std::vector<std::string>{"ig.received", "ig.admitted"});
  auto msgs = n.read(traffic_topic, part);
  REQUIRE(msgs.size() == 5);
  CHECK(header(msgs[4], "fp.dedupe") == tuple_of("ev-b").dedupe());
  CHECK(n.object(r.json()["receipt_ref"])["eb_ref"]["offset"] == 4);
}

TEST_CASE("concurrent admissions to one partition: each eb_ref names its own record") {
  node n;
  n.start_gate();
  REQUIRE(n.g->open_run(test_run()).has_value());
  constexpr int count = 48;
  std::vector<std::future<ingest_result>> answers;
  for (int i = 0; i < count; ++i) {
    auto p = std::make_shared<std::promise<ingest_result>>();
    answers.push_back(p->get_future());
    n.g->ingest(schemas::canonical(traffic("ev-c" + std::to_string(i))),
                [p](ingest_result r) { p->set_value(std::move(r)); });
  }
  for (auto& a : answers)
    REQUIRE(a.get().status == 200);
  // Appends reach the journal in the order their offsets were predicted: no write missed.
  CHECK(n.bus->stats().produce_failures == 0);
  auto part = bus::partition_for("flw_00a1b2c3d4e5f601", 8);
  auto msgs = n.read(traffic_topic, part);
  REQUIRE(msgs.size() == count);
  for (auto& m : msgs) {
    auto id = header(m, "fp.event_id");
    auto st = n.g->tuple(tuple_of(id)).value();
    REQUIRE(st.has_value());
    CHECK(st->eb_ref->offset == m.offset);
    CHECK(n.object(receipt_path(tuple_of(id), decision_kind::admit, 0))["eb_ref"]["offset"] ==
          m.offset);
  }
}

TEST_CASE("receipt_json: the canonical text of the receipt's fields, for every decision") {
  tuple_state s;
  s.tuple = {"platform_20260101T000000Z", "traffic_fraud", "evt-\"1\"\\\n"};
  decision d;
  d.ordinal = 2;
  d.received_at_utc = "2026-01-01T00:00:01.000000Z";
  d.payload_hash = std::string(64, 'a');
  d.scenario_run_id = std::string(64, 'b');
  d.policy_rev = "ig-policy@1";
  d.service_release_id = "rel-\u00e9";
  auto expected = [&](const decision& x, json eb_ref, json admitted_at) {
    json j = {
        {"schema_version", "ig_receipt.v1"},
        {"receipt_id", receipt_id(s.tuple, x.kind, x.ordinal)},
        {"decision", std::string(to_string(x.kind))},
        {"ordinal", x.ordinal},
        {"platform_run_id", s.tuple.platform_run_id},
        {"scenario_run_id", x.scenario_run_id.empty() ? json(nullptr) : json(x.scenario_run_id)},
        {"event_class", s.tuple.event_class},
        {"event_id", s.tuple.event_id},
        {"payload_hash", x.payload_hash.empty() ? json(nullptr) : json(x.payload_hash)},
        {"received_at_utc", x.received_at_utc},
        {"policy_rev", x.policy_rev},
        {"service_release_id", x.service_release_id},
        {"admitted_at_utc", admitted_at},
        {"eb_ref", eb_ref}};
    if (x.kind == decision_kind::quarantine) {
      j["reason"] = x.reason;
      j["field"] = x.field;
      j["evidence_ref"] = x.evidence_ref;
      if (s.status != publish_status::none)
        j["recorded_payload_hash"] = s.admission.payload_hash;
    }
    return schemas::canonical(j);
  };
  // Admitted, then a duplicate, with the record's place on the bus.
  s.status = publish_status::admitted;
  s.admission = d;
  s.admission.received_at_utc = "2026-01-01T00:00:00.500000Z";
  s.eb_ref = fp::origin_offset{traffic_topic, 3, 4096};
  json ref = {{"topic", traffic_topic}, {"partition", 3}, {"offset", 4096}};
  for (auto kind : {decision_kind::admit, decision_kind::duplicate}) {
    d.kind = kind;
    CHECK(receipt_json(s, d) == expected(d, ref, s.admission.received_at_utc));
  }
  s.eb_ref.reset();
  CHECK(receipt_json(s, d) == expected(d, nullptr, s.admission.received_at_utc));
  // Quarantined, with and without an admission on record; ids absent are null.
  d.kind = decision_kind::quarantine;
  d.reason = "PAYLOAD_HASH_MISMATCH";
  d.field = "payload";
  d.evidence_ref = "fraud-platform/platform_20260101T000000Z/ig/quarantine/x.json";
  CHECK(receipt_json(s, d) == expected(d, nullptr, nullptr));
  s.status = publish_status::none;
  d.payload_hash.clear();
  d.scenario_run_id.clear();
  CHECK(receipt_json(s, d) == expected(d, nullptr, nullptr));
}

TEST_CASE("canonical_writer: keys out of order are refused") {
  schemas::canonical_writer w;
  w.str("b", "x");
  CHECK_THROWS_AS(w.str("a", "y"), std::logic_error);
  CHECK_THROWS_AS(w.str("b", "y"), std::logic_error);
  CHECK(schemas::canonical_writer{}.null("a").integer("b", -3).str("c", "\x01").take() ==
        "{\"a\":null,\"b\":-3,\"c\":\"\\u0001\"}");
}
