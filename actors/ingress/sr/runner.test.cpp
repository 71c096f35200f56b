// The Scenario Runner over a real journal, entity runtime, object store and embedded bus.

#include "actors/ingress/sr/runner.hpp"

#include "actors/core/runtime.hpp"
#include "actors/ingress/sr/errc.hpp"
#include "actors/ingress/world/world.hpp"
#include "bus/embedded/embedded_bus.hpp"
#include "journal/journal.hpp"
#include "journal/object_store.hpp"
#include "schemas/hash.hpp"
#include "schemas/run_facts.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace fp;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(std::string_view what) {
  static std::atomic<int> n{0};
  auto d = fs::temp_directory_path() / ("fp-sr-test-" + std::string(what) + "-" +
                                        std::to_string(::getpid()) + "-" + std::to_string(n++));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

/// A small sealed world under `root`.
world::generate_result seal(const fs::path& root, std::uint64_t seed,
                            std::string scenario = "baseline_v1") {
  world::params p;
  p.seed = seed;
  p.flows = 40;
  p.merchants = 3;
  p.scenario_id = std::move(scenario);
  auto r = world::generate(p, root);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().to_string()));
  return *r;
}

struct node {
  fs::path dir = temp_dir("node");
  fs::path oracle = temp_dir("oracle");
  std::unique_ptr<journal::journal> j;
  std::unique_ptr<actors::runtime> rt;
  std::unique_ptr<bus::event_bus> eb;
  std::unique_ptr<journal::object_store> objects;
  std::unique_ptr<sr::scenario_runner> runner;
  std::function<expected<void>(std::string_view)> fault;

  node() { open(); }
  ~node() {
    close();
    fs::remove_all(dir);
    fs::remove_all(oracle);
  }
  void open() {
    journal::options jo;
    jo.dir = dir / "journal";
    auto opened = journal::journal::open(jo);
    REQUIRE(opened);
    j = std::move(*opened);
    auto started = actors::runtime::start(*j, {2});
    REQUIRE(started);
    rt = std::move(*started);
    auto b = bus::open_embedded_bus(*j);
    REQUIRE(b);
    eb = std::move(*b);
    auto made = eb->create_topic({std::string(bus::control_topic), 1, -1, -1},
                                 {"test", "sr tests", "2026-01-01T00:00:00Z"});
    REQUIRE(made);
    objects = std::make_unique<journal::object_store>(*j);
    auto traffic = sr::load_outputs_policy(std::string(FP_SOURCE_DIR) +
                                           "/config/platform/wsp/traffic_outputs_v0.yaml");
    auto context = sr::load_outputs_policy(std::string(FP_SOURCE_DIR) +
                                           "/config/platform/wsp/context_fraud_outputs_v0.yaml");
    REQUIRE(traffic);
    REQUIRE(context);
    sr::runner_config cfg;
    cfg.oracle_root = oracle;
    cfg.outputs = *sr::plan_outputs(*traffic, *context);
    cfg.environment = "local_parity";
    cfg.after_step = [this](std::string_view s) -> expected<void> {
      return fault ? fault(s) : expected<void>{};
    };
    runner = std::make_unique<sr::scenario_runner>(
        cfg, *eb, *objects, sr::start_sr_entities(*rt, actors::entity_options{}));
  }
  void close() {
    runner.reset();
    rt.reset();
    eb.reset();
    objects.reset();
    j.reset();
  }
  void restart() {
    close();
    open();
  }

  /// READY records on the control topic (it also carries AdminEvents).
  std::vector<bus::message> readies() {
    auto c = eb->assign({{std::string(bus::control_topic), 0, 0}});
    REQUIRE(c);
    std::vector<bus::message> out;
    for (;;) {
      auto got = (*c)->poll(100, std::chrono::milliseconds(50));
      REQUIRE(got);
      if (got->empty())
        break;
      for (auto& m : *got)
        for (auto& h : m.headers)
          if (h.key == "fp.schema" && h.value == "ready.v1")
            out.push_back(m);
    }
    return out;
  }

  std::vector<std::string> objects_under(std::string prefix) {
    std::vector<std::string> out;
    auto ok = objects->list(prefix, [&](const artifact_ref& r) {
      out.push_back(r.ref);
      return true;
    });
    REQUIRE(ok);
    return out;
  }
};

sr::run_request request(std::uint64_t seed, std::string start = "2026-02-01T22:44:49Z") {
  sr::run_request r;
  r.world.seed = seed;
  r.started_at_utc = std::move(start);
  return r;
}

sr::run_request retry(std::uint64_t seed, std::string prid) {
  sr::run_request r;
  r.world.seed = seed;
  r.platform_run_id = std::move(prid);
  return r;
}

constexpr std::string_view prid = "platform_20260201T224449Z";

} // namespace

TEST_CASE("sr: a run writes its ledger, emits one READY and activates itself") {
  node n;
  auto w = seal(n.oracle, 7);
  auto out = n.runner->run(request(7));
  REQUIRE_MESSAGE(out.has_value(), (out ? "" : out.error().to_string()));
  CHECK(out->emitted);
  CHECK_FALSE(out->no_op);
  const auto& p = out->run.pins;
  CHECK(p.platform_run_id == prid);
  CHECK(p.manifest_fingerprint == w.manifest_fingerprint);
  CHECK(p.parameter_hash == w.parameter_hash);
  CHECK(p.started_at_utc == "2026-02-01T22:44:49Z");
  CHECK(sr::status_of(out->run) == "READY");
  CHECK(p.scenario_run_id == schemas::scenario_run_id(w.manifest_fingerprint, w.parameter_hash,
                                                      "baseline_v1", 7, p.run_config_digest)
                                 .value());
  CHECK(p.message_id == schemas::ready_message_id(prid, p.scenario_run_id, p.plan_hash));

  auto readies = n.readies();
  REQUIRE(readies.size() == 1);
  CHECK(readies[0].key == prid);
  auto ready = schemas::parse_ready(readies[0].value);
  REQUIRE_MESSAGE(ready.has_value(), (ready ? "" : ready.error().to_string()));
  CHECK(ready->message_id == p.message_id);
  CHECK(ready->scenario_run_id.value() == p.scenario_run_id);
  CHECK(schemas::to_json(*ready) == readies[0].value);
  bool has_id_header = false;
  for (auto& h : readies[0].headers)
    has_id_header = has_id_header || (h.key == "fp.message_id" && h.value == p.message_id);
  CHECK(has_id_header);

  auto view_text = n.objects->get(ready->run_facts_view_path);
  REQUIRE(view_text);
  CHECK(schemas::sha256_hex(*view_text) == ready->run_facts_view_sha256);
  auto view = schemas::parse_run_facts_view(*view_text);
  REQUIRE_MESSAGE(view.has_value(), (view ? "" : view.error().to_string()));
  REQUIRE(view->outputs.size() == 4);
  CHECK(view->outputs[0].output_id == "s3_event_stream_with_fraud_6B");
  CHECK(view->outputs[0].role == "business_traffic");
  for (auto& o : view->outputs)
    for (auto& part : o.parts)
      CHECK(fs::exists(n.oracle / part.path));
  CHECK(fs::exists(n.oracle / view->gate_receipt_path));

  auto base = "fraud-platform/" + std::string(prid) + "/sr/";
  auto all = n.objects_under(base);
  CHECK(all ==
        std::vector<std::string>{base + "run_facts_view.json", base + "run_plan.json",
                                 base + "run_record/000001.json", base + "run_record/000002.json",
                                 base + "run_record/000003.json", base + "run_record/000004.json",
                                 base + "run_status/000001.json", base + "run_status/000002.json"});
  auto last = nlohmann::json::parse(*n.objects->get(base + "run_record/000004.json"));
  CHECK(last["kind"] == "READY_EMITTED");
  CHECK(nlohmann::json::parse(*n.objects->get(base + "run_status/000002.json"))["status"] ==
        "READY");

  auto active = n.runner->active();
  REQUIRE(active);
  CHECK(active->activations == 1);
  CHECK(active->active.platform_run_id == prid);
  CHECK(active->active.message_id == p.message_id);
}

TEST_CASE("sr: a re-run with the same inputs is a no-op, also after a restart") {
  node n;
  seal(n.oracle, 7);
  auto first = n.runner->run(request(7));
  REQUIRE(first);
  auto again = n.runner->run(request(7));
  REQUIRE(again);
  CHECK(again->no_op);
  CHECK_FALSE(again->emitted);
  CHECK(again->run.pins == first->run.pins);
  n.restart();
  auto by_id = n.runner->run(retry(7, std::string(prid)));
  REQUIRE_MESSAGE(by_id.has_value(), (by_id ? "" : by_id.error().to_string()));
  CHECK(by_id->no_op);
  CHECK(by_id->run.pins == first->run.pins);
  CHECK(n.readies().size() == 1);
  CHECK(n.objects_under("fraud-platform/").size() == 8);
  CHECK(n.runner->active()->activations == 1);
  CHECK(n.runner->counters().no_ops == 1);
}

TEST_CASE("sr: same inputs give the same ids in another node") {
  std::string srid, plan;
  for (int i = 0; i < 2; ++i) {
    node n;
    seal(n.oracle, 11);
    auto out = n.runner->run(request(11));
    REQUIRE(out);
    if (i == 0) {
      srid = out->run.pins.scenario_run_id;
      plan = out->run.pins.plan_hash;
    } else {
      CHECK(out->run.pins.scenario_run_id == srid);
      CHECK(out->run.pins.plan_hash == plan);
    }
  }
}

TEST_CASE("sr: no PASS, no READY — a missing or failed gate refuses and writes nothing") {
  node n;
  auto w = seal(n.oracle, 7);
  auto receipt = w.world_dir / "gate_receipt.json";
  SUBCASE("no receipt") {
    fs::remove(receipt);
  }
  SUBCASE("status FAIL") {
    auto j = nlohmann::json::parse(std::ifstream(receipt));
    j["status"] = "FAIL";
    std::ofstream(receipt, std::ios::trunc) << j.dump();
  }
  SUBCASE("a digest differs from the manifest") {
    auto j = nlohmann::json::parse(std::ifstream(receipt));
    j["outputs"]["arrival_events_5B"] = std::string(64, '0');
    std::ofstream(receipt, std::ios::trunc) << j.dump();
  }
  auto out = n.runner->run(request(7));
  REQUIRE_FALSE(out.has_value());
  CAPTURE(out.error().to_string());
  CHECK(out.error().is(sr::errc::gate_refused));
  CHECK(out.error().message().find("no PASS, no READY") != std::string::npos);
  CHECK(n.readies().empty());
  CHECK(n.objects_under("fraud-platform/").empty());
  CHECK(n.runner->status(std::string(prid))->phase == sr::run_phase::none);
  CHECK(n.runner->active()->activations == 0);
  CHECK(n.runner->counters().refused["gate_refused"] == 1);
}

TEST_CASE("sr: world selection — not found, ambiguous (listing candidates), disambiguated") {
  node n;
  seal(n.oracle, 7, "baseline_v1");
  auto b = seal(n.oracle, 7, "other_v1");
  auto none = n.runner->run(request(8));
  REQUIRE_FALSE(none);
  CHECK(none.error().is(sr::errc::world_not_found));
  auto two = n.runner->run(request(7));
  REQUIRE_FALSE(two);
  CHECK(two.error().is(sr::errc::world_ambiguous));
  CHECK(two.error().message().find("scenario_id=baseline_v1") != std::string::npos);
  CHECK(two.error().message().find("scenario_id=other_v1") != std::string::npos);
  auto req = request(7);
  req.world.scenario_id = "other_v1";
  req.world.parameter_hash = b.parameter_hash;
  req.world.manifest_fingerprint = b.manifest_fingerprint;
  auto picked = n.runner->run(req);
  REQUIRE_MESSAGE(picked.has_value(), (picked ? "" : picked.error().to_string()));
  CHECK(picked->run.pins.scenario_id == "other_v1");
  CHECK(n.readies().size() == 1);
}

TEST_CASE("sr: the same platform_run_id with other inputs is drift, refused") {
  node n;
  seal(n.oracle, 7, "baseline_v1");
  seal(n.oracle, 7, "other_v1");
  auto req = request(7);
  req.world.scenario_id = "baseline_v1";
  REQUIRE(n.runner->run(req));
  auto objects_before = n.objects_under("fraud-platform/");
  req.world.scenario_id = "other_v1";
  auto drift = n.runner->run(req);
  REQUIRE_FALSE(drift);
  CAPTURE(drift.error().to_string());
  CHECK(drift.error().is(sr::errc::drift));
  CHECK(drift.error().message().find("scenario_run_id recorded") != std::string::npos);
  CHECK(n.objects_under("fraud-platform/") == objects_before);
  CHECK(n.readies().size() == 1);
  // A start in the same second but written differently is another start: drift too.
  req.world.scenario_id = "baseline_v1";
  req.started_at_utc = "2026-02-01T22:44:49.5Z";
  auto moved = n.runner->run(req);
  REQUIRE_FALSE(moved);
  CHECK(moved.error().is(sr::errc::drift));
}

TEST_CASE("sr: the ledger is write-once — another run_plan at the run's path is drift") {
  node n;
  seal(n.oracle, 7);
  auto planted = n.objects->put("fraud-platform/" + std::string(prid) + "/sr/run_plan.json",
                                "{\"planted\":true}");
  REQUIRE(planted);
  auto out = n.runner->run(request(7));
  REQUIRE_FALSE(out);
  CHECK(out.error().is(sr::errc::drift));
  CHECK(out.error().message().find("run_plan.json") != std::string::npos);
  CHECK(n.readies().empty());
  CHECK(n.runner->status(std::string(prid))->phase == sr::run_phase::none);
}

TEST_CASE("sr: a failure between steps is recorded, and a re-run resumes to one READY") {
  node n;
  seal(n.oracle, 7);
  std::string fail_at;
  SUBCASE("after planning") {
    fail_at = "planned";
  }
  SUBCASE("after the facts") {
    fail_at = "facts_written";
  }
  n.fault = [&](std::string_view s) -> expected<void> {
    if (s == fail_at)
      return fp::error{sr::errc::store_failed, "injected failure after " + std::string(s)};
    return {};
  };
  auto first = n.runner->run(request(7));
  REQUIRE_FALSE(first);
  auto st = n.runner->status(std::string(prid));
  REQUIRE(st);
  CHECK(sr::status_of(*st) == "FAILED");
  CHECK(st->failure.find("injected failure") != std::string::npos);
  CHECK(n.readies().empty());

  n.fault = nullptr;
  n.restart(); // as after a crash: the entity recovers from the journal
  auto resumed = n.runner->run(retry(7, std::string(prid)));
  REQUIRE_MESSAGE(resumed.has_value(), (resumed ? "" : resumed.error().to_string()));
  CHECK(resumed->emitted);
  CHECK(sr::status_of(resumed->run) == "READY");
  CHECK(resumed->run.pins.started_at_utc == "2026-02-01T22:44:49Z");
  CHECK(n.readies().size() == 1);
  auto base = "fraud-platform/" + std::string(prid) + "/sr/";
  // Records are not duplicated by the resume; the status series shows the failure.
  CHECK(n.objects_under(base + "run_record/").size() == 4);
  auto statuses = n.objects_under(base + "run_status/");
  REQUIRE(statuses.size() == 3);
  CHECK(nlohmann::json::parse(*n.objects->get(statuses[1]))["status"] == "FAILED");
  CHECK(nlohmann::json::parse(*n.objects->get(statuses[2]))["status"] == "READY");
  CHECK(n.runner->run(retry(7, std::string(prid)))->no_op);
}

TEST_CASE("sr: a newer run replaces the active pointer by a new event") {
  node n;
  seal(n.oracle, 7);
  REQUIRE(n.runner->run(request(7, "2026-02-01T00:00:00Z")));
  REQUIRE(n.runner->run(request(7, "2026-02-02T00:00:00Z")));
  auto active = n.runner->active();
  REQUIRE(active);
  CHECK(active->activations == 2);
  CHECK(active->active.platform_run_id == "platform_20260202T000000Z");
  CHECK(n.readies().size() == 2);
}

TEST_CASE("sr: run request bodies are validated, naming the field") {
  auto refused = [](std::string_view body, std::string_view field) {
    auto r = sr::parse_run_request(body);
    REQUIRE_FALSE(r.has_value());
    CAPTURE(r.error().to_string());
    CHECK(r.error().is(sr::errc::bad_request));
    CHECK(r.error().message().starts_with(field));
  };
  auto ok = sr::parse_run_request(
      R"({"seed":7,"scenario_id":"baseline_v1","started_at_utc":"2026-01-01T00:00:00Z"})");
  REQUIRE(ok);
  CHECK(ok->world.seed == 7);
  CHECK(*ok->world.scenario_id == "baseline_v1");
  refused(R"({"started_at_utc":"2026-01-01T00:00:00Z"})", "body.seed");
  refused(R"({"seed":-1,"started_at_utc":"2026-01-01T00:00:00Z"})", "body.seed");
  refused(R"({"seed":"7","started_at_utc":"2026-01-01T00:00:00Z"})", "body.seed");
  refused(R"({"seed":9007199254740992,"started_at_utc":"2026-01-01T00:00:00Z"})", "body");
  refused(R"({"seed":7})", "body.platform_run_id");
  refused(R"({"seed":7,"platform_run_id":"platform_20260101T000000Z",)"
          R"("started_at_utc":"2026-01-01T00:00:00Z"})",
          "body.platform_run_id");
  refused(R"({"seed":7,"platform_run_id":"run_1"})", "body.platform_run_id");
  refused(R"({"seed":7,"started_at_utc":"2026-01-01 00:00:00"})", "body.started_at_utc");
  refused(R"({"seed":7,"started_at_utc":"2026-01-01T00:00:00Z","scenario_id":"../x"})",
          "body.scenario_id");
  refused(R"({"seed":7,"started_at_utc":"2026-01-01T00:00:00Z","parameter_hash":"ab"})",
          "body.parameter_hash");
  refused(R"({"seed":7,"started_at_utc":"2026-01-01T00:00:00Z","manifest_fingerprint":1})",
          "body.manifest_fingerprint");
  refused(R"({"seed":7,"started_at_utc":"2026-01-01T00:00:00Z","run_id":"x"})", "body.run_id");
  refused(R"([1])", "body");
  refused(R"({"seed":7,"seed":8})", "body");
}
