#include "actors/ingress/ig/ready.hpp"

#include "actors/ingress/ig/errc.hpp"
#include "actors/ingress/ig/gate.hpp"
#include "bus/event_bus.hpp"
#include "journal/object_store.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace fp::ig {

namespace {

using json = nlohmann::json;

fp::error refuse(std::string_view prid, std::string rule) {
  return fp::error{errc::bad_request, "ig: READY " + std::string(prid) + ": " + rule};
}

expected<std::string> text_at(const json& j, std::string_view key, std::string_view prid,
                              std::string_view doc) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    return refuse(prid, std::string(doc) + "." + std::string(key) + ": missing or not a string");
  return it->get<std::string>();
}

} // namespace

expected<run_pins> verify_ready(std::string_view ready_json, const journal::object_store& objects,
                                const std::filesystem::path& oracle_root) {
  auto parsed = schemas::parse_strict(ready_json, "ready");
  if (!parsed)
    return refuse("?", parsed.error().message());
  const auto& r = *parsed;
  if (!r.is_object() || r.value("kind", "") != "READY" ||
      r.value("schema_version", "") != "ready.v1")
    return refuse("?", "not a ready.v1 READY object");
  run_pins p;
  auto take = [&](std::string& out, const json& j, std::string_view key,
                  std::string_view doc) -> expected<void> {
    auto v = text_at(j, key, p.platform_run_id, doc);
    if (!v)
      return std::move(v).error();
    out = std::move(*v);
    return {};
  };
  for (auto [out, key] : {std::pair{&p.platform_run_id, "platform_run_id"},
                          {&p.scenario_run_id, "scenario_run_id"},
                          {&p.scenario_id, "scenario_id"},
                          {&p.manifest_fingerprint, "manifest_fingerprint"},
                          {&p.parameter_hash, "parameter_hash"},
                          {&p.ready_message_id, "message_id"}})
    if (auto ok = take(*out, r, key, "ready"); !ok)
      return std::move(ok).error();
  if (!schemas::is_platform_run_id(p.platform_run_id) || !schemas::is_hex64(p.scenario_run_id) ||
      !schemas::is_path_safe_id(p.scenario_id) || !schemas::is_hex64(p.manifest_fingerprint) ||
      !schemas::is_hex64(p.parameter_hash))
    return refuse(p.platform_run_id, "pins are not well-formed");
  if (!r.contains("seed") || !r["seed"].is_number_unsigned())
    return refuse(p.platform_run_id, "ready.seed: missing or not a non-negative integer");
  p.seed = r["seed"].get<std::uint64_t>();
  if (!r.contains("run_facts_view") || !r["run_facts_view"].is_object())
    return refuse(p.platform_run_id, "ready.run_facts_view: missing");
  std::string view_sha;
  if (auto ok = take(p.run_facts_view_ref, r["run_facts_view"], "path", "ready.run_facts_view");
      !ok)
    return std::move(ok).error();
  if (auto ok = take(view_sha, r["run_facts_view"], "sha256", "ready.run_facts_view"); !ok)
    return std::move(ok).error();
  if (p.run_facts_view_ref != "fraud-platform/" + p.platform_run_id + "/sr/run_facts_view.json")
    return refuse(p.platform_run_id, "ready.run_facts_view.path: not the run's view");

  auto view_bytes = objects.get(p.run_facts_view_ref);
  if (!view_bytes)
    return refuse(p.platform_run_id, "run_facts_view: " + view_bytes.error().message());
  if (schemas::sha256_hex(*view_bytes) != view_sha)
    return refuse(p.platform_run_id, "run_facts_view: sha256 " + schemas::sha256_hex(*view_bytes) +
                                         " differs from READY's " + view_sha);
  auto view = schemas::parse_strict(*view_bytes, "run_facts_view");
  if (!view || !view->is_object())
    return refuse(p.platform_run_id, "run_facts_view: not a JSON object");
  for (auto [want, key] : {std::pair{&p.platform_run_id, "platform_run_id"},
                           {&p.scenario_run_id, "scenario_run_id"},
                           {&p.scenario_id, "scenario_id"},
                           {&p.manifest_fingerprint, "manifest_fingerprint"},
                           {&p.parameter_hash, "parameter_hash"}}) {
    std::string got;
    if (auto ok = take(got, *view, key, "run_facts_view"); !ok)
      return std::move(ok).error();
    if (got != *want)
      return refuse(p.platform_run_id, "run_facts_view." + std::string(key) + ": " +
                                           schemas::quote_value(got) + " differs from READY's");
  }
  if (view->value("seed", json()) != json(p.seed))
    return refuse(p.platform_run_id, "run_facts_view.seed: differs from READY's");
  const auto& world = view->value("world", json::object());
  const auto& receipt = world.value("gate_receipt", json::object());
  std::string rel, want_sha;
  if (auto ok = take(rel, receipt, "path", "run_facts_view.world.gate_receipt"); !ok)
    return std::move(ok).error();
  if (auto ok = take(want_sha, receipt, "sha256", "run_facts_view.world.gate_receipt"); !ok)
    return std::move(ok).error();
  if (!schemas::is_object_key(rel))
    return refuse(p.platform_run_id, "run_facts_view.world.gate_receipt.path: not a relative key");
  std::ifstream in(oracle_root / rel, std::ios::binary);
  if (!in)
    return refuse(p.platform_run_id, "gate receipt " + (oracle_root / rel).string() +
                                         ": cannot read (wiring.oracle_root)");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (schemas::sha256_hex(bytes.str()) != want_sha)
    return refuse(p.platform_run_id,
                  "gate receipt " + rel + ": sha256 differs from the view's record");
  auto gate_doc = schemas::parse_strict(bytes.str(), "gate_receipt");
  if (!gate_doc || !gate_doc->is_object() || gate_doc->value("status", "") != "PASS")
    return refuse(p.platform_run_id, "gate receipt " + rel + ": status is not PASS");
  return p;
}

expected<std::unique_ptr<ready_consumer>>
ready_consumer::start(gate& g, bus::event_bus& bus, const journal::object_store& objects,
                      std::filesystem::path oracle_root) {
  std::unique_ptr<ready_consumer> c(new ready_consumer());
  c->gate_ = &g;
  c->bus_ = &bus;
  c->objects_ = &objects;
  c->oracle_root_ = std::move(oracle_root);
  c->thread_ = std::thread([p = c.get()] { p->run(); });
  return c;
}

ready_consumer::~ready_consumer() {
  stop();
}

void ready_consumer::stop() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

void ready_consumer::run() {
  auto fail = [this](std::string why) {
    std::lock_guard lock(mu_);
    failing_ = std::move(why);
  };
  std::unique_ptr<bus::consumer> consumer;
  while (!stop_) {
    if (!consumer) {
      bus::group_options o;
      o.group_id = std::string(ready_group);
      o.topics = {std::string(bus::control_topic)};
      o.member_name = "ig";
      auto sub = bus_->subscribe(std::move(o));
      if (!sub) {
        fail("IG_READY_CONSUMER_DOWN: " + sub.error().message());
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      consumer = std::move(*sub);
    }
    auto got = consumer->poll(256, std::chrono::milliseconds(200));
    if (!got) {
      fail("IG_READY_CONSUMER_DOWN: " + got.error().message());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    fail("");
    for (auto& m : *got) {
      bool ready = false;
      for (auto& h : m.headers)
        ready = ready || (h.key == "fp.schema" && h.value == "ready.v1");
      if (ready) {
        auto pins = verify_ready(m.value, *objects_, oracle_root_);
        if (!pins) {
          std::lock_guard lock(mu_);
          refused_.push_back(pins.error().message());
          std::fprintf(stderr, "fpnode: ig: %s\n", pins.error().message().c_str());
        } else if (auto ok = gate_->open_run(*pins); ok) {
          ++opened_;
        } else {
          // Not journaled (stopping, journal failure): redeliver it later, do not commit.
          fail("IG_READY_CONSUMER_DOWN: " + ok.error().message());
          (void)consumer->seek({m.topic, m.partition, m.offset});
          break;
        }
      }
      (void)consumer->commit({{m.topic, m.partition, m.offset + 1}});
    }
  }
  if (consumer)
    consumer->close();
}

void ready_consumer::health(std::vector<std::string>& red, std::vector<std::string>& amber) const {
  std::lock_guard lock(mu_);
  if (!failing_.empty())
    red.push_back(failing_);
  for (auto& r : refused_)
    amber.push_back("IG_READY_REFUSED: " + r);
}

} // namespace fp::ig
