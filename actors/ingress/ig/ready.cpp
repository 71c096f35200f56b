#include "actors/ingress/ig/ready.hpp"

#include "actors/ingress/ig/errc.hpp"
#include "actors/ingress/ig/gate.hpp"
#include "bus/event_bus.hpp"
#include "journal/object_store.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"
#include "schemas/run_facts.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace fp::ig {

namespace {

fp::error refuse(std::string_view prid, std::string rule) {
  return fp::error{errc::bad_request, "ig: READY " + std::string(prid) + ": " + rule};
}

} // namespace

expected<run_pins> verify_ready(std::string_view ready_json, const journal::object_store& objects,
                                const std::filesystem::path& oracle_root) {
  auto ready = schemas::parse_ready(ready_json);
  if (!ready)
    return refuse("?", ready.error().message());
  const auto& r = *ready;
  const auto& prid = r.platform_run_id.value();
  auto view_bytes = objects.get(r.run_facts_view_path);
  if (!view_bytes)
    return refuse(prid, "run_facts_view: " + view_bytes.error().message());
  if (auto sha = schemas::sha256_hex(*view_bytes); sha != r.run_facts_view_sha256)
    return refuse(prid, "run_facts_view: sha256 " + sha + " differs from READY's " +
                            r.run_facts_view_sha256);
  auto view = schemas::parse_run_facts_view(*view_bytes);
  if (!view)
    return refuse(prid, view.error().message());
  const auto& v = *view;
  if (v.platform_run_id != r.platform_run_id || v.scenario_run_id != r.scenario_run_id ||
      v.scenario_id != r.scenario_id || v.manifest_fingerprint != r.manifest_fingerprint ||
      v.parameter_hash != r.parameter_hash || v.seed != r.seed || v.plan_hash != r.plan_hash)
    return refuse(prid, "run_facts_view: its pins differ from READY's");
  auto receipt_path = oracle_root / v.gate_receipt_path;
  std::ifstream in(receipt_path, std::ios::binary);
  if (!in)
    return refuse(prid,
                  "gate receipt " + receipt_path.string() + ": cannot read (wiring.oracle_root)");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (schemas::sha256_hex(bytes.str()) != v.gate_receipt_sha256)
    return refuse(prid, "gate receipt " + v.gate_receipt_path +
                            ": sha256 differs from the run_facts_view's record");
  auto gate_doc = schemas::parse_strict(bytes.str(), "gate_receipt");
  if (!gate_doc || !gate_doc->is_object() || gate_doc->value("status", "") != "PASS")
    return refuse(prid, "gate receipt " + v.gate_receipt_path + ": status is not PASS");
  return run_pins{prid,
                  r.scenario_run_id.value(),
                  r.scenario_id.value(),
                  r.manifest_fingerprint.value(),
                  r.parameter_hash.value(),
                  r.seed,
                  r.message_id,
                  r.run_facts_view_path};
}

bool wait_ready_caught_up(bus::event_bus& bus, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  auto first = bus.lag(ready_group, bus::control_topic);
  if (!first)
    return false;
  std::vector<std::int64_t> target;
  for (auto& p : *first) {
    if (static_cast<std::size_t>(p.partition) >= target.size())
      target.resize(static_cast<std::size_t>(p.partition) + 1, 0);
    target[static_cast<std::size_t>(p.partition)] = p.high;
  }
  for (auto now = first;;) {
    bool caught_up = true;
    for (auto& p : *now)
      // high - lag = max(committed, low): what the group has handled (or what retention left).
      caught_up = caught_up && p.high - p.lag >= target[static_cast<std::size_t>(p.partition)];
    if (caught_up)
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    now = bus.lag(ready_group, bus::control_topic);
    if (!now)
      return false;
  }
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
