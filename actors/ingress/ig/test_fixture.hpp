#pragma once

// The gate tests' node: a journal, the embedded bus with the profile's topics, the entity
// runtime, the object store and the repository's policy files, in a per-process temp dir.

#include "actors/core/runtime.hpp"
#include "actors/ingress/ig/gate.hpp"
#include "bus/embedded/embedded_bus.hpp"
#include "journal/journal.hpp"
#include "journal/object_store.hpp"
#include "schemas/canonical_json.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <unistd.h>

namespace fp::ig::test {

inline const std::string prid = "platform_20260101T000000Z";
inline const std::string srid(64, 'a');
inline const std::string mf(64, 'b');
inline const std::string ph(64, 'c');

inline policy repo_policy() {
  std::filesystem::path root = FP_SOURCE_DIR;
  auto p = load_policy(root / "config/platform/ig/class_map_v0.yaml",
                       root / "config/platform/ig/partitioning_profiles_v0.yaml",
                       root / "schemas/contracts/payloads");
  REQUIRE_MESSAGE(p.has_value(), (p ? "" : p.error().to_string()));
  return std::move(*p);
}

inline run_pins test_run(const std::string& id = prid) {
  return {id, srid, "baseline_v1",        mf,
          ph, 7,    std::string(64, 'd'), "fraud-platform/" + id + "/sr/run_facts_view.json"};
}

/// A traffic event of the test run, as WSP would send it.
inline nlohmann::json traffic(const std::string& event_id = "ev-1", double amount = 12.34) {
  return {{"event_id", event_id},
          {"event_type", "s3_event_stream_with_fraud_6B"},
          {"schema_version", "v1"},
          {"ts_utc", "2026-01-01T00:00:07.123Z"},
          {"platform_run_id", prid},
          {"scenario_run_id", srid},
          {"scenario_id", "baseline_v1"},
          {"manifest_fingerprint", mf},
          {"parameter_hash", ph},
          {"seed", 7},
          {"payload",
           {{"flow_id", "flw_00a1b2c3d4e5f601"},
            {"event_seq", 0},
            {"event_type", "AUTH_REQUEST"},
            {"ts_utc", "2026-01-01T00:00:07.123Z"},
            {"amount", amount},
            {"currency", "USD"},
            {"channel", "ECOM_WEB"}}}};
}

inline nlohmann::json arrival(const std::string& event_id = "ar-1") {
  auto e = traffic(event_id);
  e["event_type"] = "arrival_events_5B";
  e["payload"] = {{"merchant_id", "mer_0123456789abcdef"},
                  {"arrival_seq", 1},
                  {"ts_utc", "2026-01-01T00:00:07.123Z"},
                  {"channel", "ECOM_WEB"},
                  {"mcc", "5411"},
                  {"merchant_country", "US"}};
  return e;
}

struct node {
  std::filesystem::path dir;
  std::unique_ptr<journal::journal> j;
  std::unique_ptr<bus::event_bus> bus;
  std::unique_ptr<actors::runtime> rt;
  std::unique_ptr<journal::object_store> objects;
  std::unique_ptr<gate> g;
  std::atomic<std::int64_t> now{1'767'225'600'000'000'000}; // 2026-01-01T00:00:00Z
  std::chrono::milliseconds publish_timeout{5'000};
  std::size_t sweep_chunk = 4096;

  node() {
    static std::atomic<int> n{0};
    dir = std::filesystem::temp_directory_path() /
          ("fp-ig-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(dir);
    open_storage();
    bus::admin_context who{"test", "ig test", "2026-01-01T00:00:00Z"};
    for (auto* t :
         {"fp.bus.control.v1", "fp.bus.traffic.fraud.v1", "fp.bus.context.arrival_events.v1",
          "fp.bus.context.arrival_entities.v1", "fp.bus.context.flow_anchor.fraud.v1"})
      REQUIRE(bus->create_topic({t, std::string(t) == "fp.bus.control.v1" ? 1 : 8, -1, -1}, who)
                  .has_value());
  }
  ~node() {
    close();
    std::filesystem::remove_all(dir);
  }
  void open_storage() {
    journal::options jo;
    jo.dir = dir;
    j = journal::journal::open(jo).value();
    bus = bus::open_embedded_bus(*j).value();
    rt = actors::runtime::start(*j, {2}).value();
    objects = std::make_unique<journal::object_store>(*j);
  }
  void start_gate() {
    gate_options o;
    o.service_release_id = "test-release";
    o.publish_timeout = publish_timeout;
    o.clock_ns = [this] { return now.fetch_add(1'000'000); };
    o.sweep_chunk = sweep_chunk;
    auto started = gate::start(*rt, *bus, *objects, repo_policy(), o);
    REQUIRE_MESSAGE(started.has_value(), (started ? "" : started.error().to_string()));
    g = std::move(*started);
  }
  void close() {
    if (g)
      g->stop();
    g.reset();
    if (rt)
      rt->shutdown();
    rt.reset();
    objects.reset();
    bus.reset();
    j.reset();
  }
  void restart() {
    close();
    open_storage();
    start_gate();
  }
  ingest_result send(const nlohmann::json& e) { return send_text(schemas::canonical(e)); }
  ingest_result send_text(std::string body) {
    return g->ingest_wait(std::move(body), std::chrono::seconds(20));
  }
  std::int64_t high(const std::string& topic, std::int32_t p) {
    auto d = bus->describe_topic(topic).value();
    return d.partitions[static_cast<std::size_t>(p)].high;
  }
  std::int64_t total(const std::string& topic) {
    std::int64_t n = 0;
    auto info = bus->describe_topic(topic).value();
    for (auto& p : info.partitions)
      n += p.high;
    return n;
  }
  std::vector<bus::message> read(const std::string& topic, std::int32_t p) {
    auto c = bus->assign({{topic, p, 0}}).value();
    std::vector<bus::message> out;
    for (int i = 0; i < 5; ++i) {
      auto got = c->poll(1000, std::chrono::milliseconds(50)).value();
      out.insert(out.end(), got.begin(), got.end());
    }
    c->close();
    return out;
  }
  std::vector<std::string> objects_under(const std::string& prefix) {
    std::vector<std::string> out;
    REQUIRE(objects
                ->list(prefix,
                       [&](const artifact_ref& r) {
                         out.push_back(r.ref);
                         return true;
                       })
                .has_value());
    return out;
  }
  nlohmann::json object(const std::string& path) {
    auto b = objects->get(path);
    REQUIRE_MESSAGE(b.has_value(), path);
    return nlohmann::json::parse(*b);
  }
};

} // namespace fp::ig::test
