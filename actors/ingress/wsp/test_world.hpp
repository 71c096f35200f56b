#pragma once

// Test support: a small real world from fp_world with the run_facts_view and READY an SR
// would write for it, and a cpp-httplib server on port 0 that plays IG.

#include "actors/ingress/world/world.hpp"
#include "actors/ingress/wsp/plan.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/hash.hpp"
#include "schemas/run_facts.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace fp::wsp::test {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/fp-wsp-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline const std::vector<std::string>& plan_order() {
  static const std::vector<std::string> ids{"s3_event_stream_with_fraud_6B", "arrival_events_5B",
                                            "s1_arrival_entities_6B",
                                            "s3_flow_anchor_with_fraud_6B"};
  return ids;
}

struct world_run {
  std::filesystem::path oracle_root;
  std::filesystem::path world_dir;
  std::vector<policy_output> policy;
  std::string view_bytes;
  std::string ready_json;
  ready_message ready;
  run_plan plan;
};

/// Generates a world (`flows` flows over one hour) and the view and READY an SR would write.
inline world_run make_run(const std::filesystem::path& oracle_root, std::uint64_t flows = 60) {
  world::params p;
  p.seed = 11;
  p.flows = flows;
  p.merchants = 4;
  p.span_seconds = 3600;
  auto g = world::generate(p, oracle_root);
  REQUIRE(g);
  world_run r;
  r.oracle_root = oracle_root;
  r.world_dir = g->world_dir;
  std::ifstream in(g->world_dir / "manifest.json");
  auto m = nlohmann::json::parse(in);
  auto rel = std::filesystem::relative(g->world_dir, oracle_root).string();
  std::ifstream receipt_in(g->world_dir / "gate_receipt.json", std::ios::binary);
  std::string receipt((std::istreambuf_iterator<char>(receipt_in)), {});

  schemas::run_config rc{"IG_PUSH", plan_order()};
  schemas::run_facts_view v;
  v.platform_run_id = fp::platform_run_id{"platform_20260101T000000Z"};
  v.scenario_id = fp::scenario_id{p.scenario_id};
  v.manifest_fingerprint = fp::manifest_fingerprint{g->manifest_fingerprint};
  v.parameter_hash = fp::parameter_hash{g->parameter_hash};
  v.seed = p.seed;
  v.run_config_digest = schemas::run_config_digest(rc);
  v.scenario_run_id = schemas::scenario_run_id(g->manifest_fingerprint, g->parameter_hash,
                                               p.scenario_id, p.seed, v.run_config_digest);
  v.started_at_utc = "2026-01-01T00:00:00Z";
  v.traffic_delivery_mode = "IG_PUSH";
  v.world_path = rel;
  v.gate_receipt_path = rel + "/gate_receipt.json";
  v.gate_receipt_sha256 = schemas::sha256_hex(receipt);
  schemas::stream_plan sp{g->manifest_fingerprint, {}, "IG_PUSH"};
  for (std::size_t i = 0; i < plan_order().size(); ++i) {
    const auto& id = plan_order()[i];
    std::string role = i == 0 ? "business_traffic" : "context";
    r.policy.push_back({id, id, "v1", role});
    for (auto& o : m["outputs"]) {
      if (o["output_id"] != id)
        continue;
      schemas::run_facts_output out{id, role, id, "v1", o["digest"], o["rows"], {}};
      for (auto& pt : o["parts"])
        out.parts.push_back(
            {rel + "/" + pt["path"].get<std::string>(), pt["sha256"], pt["rows"], pt["bytes"]});
      sp.outputs.push_back({id, role, out.digest, out.rows, id, "v1"});
      v.outputs.push_back(std::move(out));
    }
  }
  v.plan_hash = schemas::plan_hash(sp);
  r.view_bytes = schemas::to_json(v);
  schemas::ready_message ready{
      schemas::ready_message_id(v.platform_run_id.view(), v.scenario_run_id.view(), v.plan_hash),
      v.platform_run_id,
      v.scenario_run_id,
      v.scenario_id,
      v.manifest_fingerprint,
      v.parameter_hash,
      v.seed,
      v.plan_hash,
      v.run_config_digest,
      "IG_PUSH",
      schemas::run_facts_view_key(v.platform_run_id.view()),
      schemas::sha256_hex(r.view_bytes)};
  r.ready_json = schemas::to_json(ready);
  auto parsed = parse_ready(r.ready_json);
  REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().to_string()));
  r.ready = *parsed;
  auto plan = build_plan(r.ready, r.view_bytes, r.policy);
  REQUIRE_MESSAGE(plan, (plan ? "" : plan.error().to_string()));
  r.plan = *plan;
  return r;
}

/// What IG does with one POST: an HTTP status and body, or a stall (sleep) before answering.
struct ig_answer {
  int status = 200;
  std::string body;
  std::chrono::milliseconds stall{0};
};

/// A fake IG on 127.0.0.1:port. By default it admits new event_ids and answers DUPLICATE for
/// ids it has seen; `script` may override an answer (it sees the request number, 0-based).
class fake_ig {
public:
  using script_fn = std::function<std::optional<ig_answer>(int n, const nlohmann::json& env)>;

  explicit fake_ig(script_fn script = {})
      : script_(std::move(script)) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(8); };
    server_.Post("/v1/ingest",
                 [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~fake_ig() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  int posts() const {
    std::lock_guard lock(mu_);
    return posts_;
  }
  /// Distinct event ids admitted, by event_type.
  std::map<std::string, std::set<std::string>> admitted() const {
    std::lock_guard lock(mu_);
    return admitted_;
  }
  /// Every POST's body, by event_id, in arrival order.
  std::map<std::string, std::vector<std::string>> bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::vector<std::string> keys() const {
    std::lock_guard lock(mu_);
    return keys_;
  }

private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    auto env = nlohmann::json::parse(req.body);
    std::string id = env["event_id"], type = env["event_type"];
    int n;
    {
      std::lock_guard lock(mu_);
      n = posts_++;
      bodies_[id].push_back(req.body);
      keys_.push_back(req.get_header_value("X-API-Key"));
    }
    if (script_)
      if (auto a = script_(n, env)) {
        if (a->stall.count() > 0)
          std::this_thread::sleep_for(a->stall);
        res.status = a->status;
        res.set_content(a->body, "application/json");
        return;
      }
    std::lock_guard lock(mu_);
    bool fresh = admitted_[type].insert(id).second;
    res.status = 200;
    res.set_content(fresh ? R"({"decision":"ADMITTED"})" : R"({"decision":"DUPLICATE"})",
                    "application/json");
  }

  script_fn script_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  int posts_ = 0;
  std::map<std::string, std::set<std::string>> admitted_;
  std::map<std::string, std::vector<std::string>> bodies_;
  std::vector<std::string> keys_;
};

/// Options for a fast test run against `ig`.
inline stream_options fast_options(const world_run& r, const fake_ig& ig) {
  stream_options o;
  o.ig_url = ig.url();
  o.api_key = "test-key-0123456789abcdef";
  o.oracle_root = r.oracle_root;
  o.unpaced = true;
  o.cap_per_output = 0;
  o.backoff_min = std::chrono::milliseconds(5);
  o.backoff_max = std::chrono::milliseconds(40);
  o.retry_budget = std::chrono::milliseconds(20'000);
  o.request_timeout = std::chrono::milliseconds(2'000);
  o.checkpoint_every = 10;
  return o;
}

} // namespace fp::wsp::test
