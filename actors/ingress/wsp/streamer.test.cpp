#include <doctest/doctest.h>

#include "actors/ingress/world/stream.hpp"
#include "actors/ingress/wsp/errc.hpp"
#include "actors/ingress/wsp/rules.hpp"
#include "actors/ingress/wsp/streamer.hpp"
#include "actors/ingress/wsp/test_world.hpp"
#include "schemas/envelope.hpp"

using namespace fp;
using namespace fp::wsp;
using namespace std::chrono_literals;

namespace {

/// The first `n` rows of an output, as the world wrote them.
std::vector<nlohmann::json> first_rows(const test::world_run& r, std::size_t out, std::size_t n) {
  std::vector<nlohmann::json> rows;
  for (auto& part : r.plan.outputs[out].parts) {
    std::ifstream in(r.oracle_root / part.path);
    std::string line;
    while (rows.size() < n && std::getline(in, line))
      rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

world::output world_output_of(const std::string& id) {
  for (auto o : world::all_outputs)
    if (world::output_id(o) == id)
      return o;
  FAIL("unknown output");
  return world::output::truth;
}

std::map<std::string, output_status> by_id(const std::vector<output_status>& v) {
  std::map<std::string, output_status> m;
  for (auto& s : v)
    m[s.output_id] = s;
  return m;
}

/// A store that stops persisting once `crashed` is set: what a process killed at that moment
/// leaves behind.
struct crashing_store : progress_store {
  explicit crashing_store(progress_store& inner)
      : inner(inner) {}
  progress_store& inner;
  std::atomic<bool> crashed{false};
  expected<std::optional<checkpoint>> load(std::string_view m, std::string_view o) override {
    return inner.load(m, o);
  }
  expected<void> save(std::string_view m, std::string_view o, const checkpoint& c) override {
    if (crashed)
      return {};
    return inner.save(m, o, c);
  }
  expected<std::optional<std::string>> ready_done(std::string_view m) override {
    return inner.ready_done(m);
  }
  expected<void> mark_ready_done(std::string_view m, std::string s) override {
    return inner.mark_ready_done(m, std::move(s));
  }
};

output_status run_to_end(streamer& s) {
  s.start();
  s.wait();
  return {};
}

} // namespace

TEST_CASE("all four outputs stream to IG with the world's event_ids and the READY's pins") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle");
  test::fake_ig ig;
  auto opts = test::fast_options(r, ig);
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  run_to_end(s);
  REQUIRE(s.complete());
  auto admitted = ig.admitted();
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& o = r.plan.outputs[i];
    CHECK(admitted[o.output_id].size() == o.rows);
    // Row 0's event_id is the world's row_event_id.
    auto row0 = first_rows(r, i, 1).at(0);
    auto id = world::row_event_id(r.plan.ready.pins.manifest_fingerprint.view(),
                                  world_output_of(o.output_id), row0);
    REQUIRE(id);
    CHECK(admitted[o.output_id].count(*id) == 1);
  }
  for (auto& st : s.status()) {
    CHECK(st.state == output_state::done);
    CHECK(st.counts.sent == st.target);
    CHECK(st.counts.admitted == st.target);
    CHECK(st.counts.retries == 0);
  }
  // Every body is a valid envelope carrying the pins and seed; the key is presented.
  auto bodies = ig.bodies();
  auto env = schemas::parse_envelope(bodies.begin()->second.at(0), {.require_seed = true});
  REQUIRE(env);
  CHECK(env->platform_run_id == r.plan.ready.pins.platform_run_id);
  CHECK(env->scenario_run_id == r.plan.ready.pins.scenario_run_id);
  CHECK(env->seed == 11u);
  CHECK(env->emitted_at_utc.has_value());
  for (auto& k : ig.keys())
    CHECK(k == opts.api_key);
}

TEST_CASE("cap counts distinct events per output") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle");
  test::fake_ig ig;
  auto opts = test::fast_options(r, ig);
  opts.cap_per_output = 7;
  opts.resend_bp = 5000;
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  run_to_end(s);
  for (auto& [type, ids] : ig.admitted())
    CHECK(ids.size() == 7);
  for (auto& st : s.status())
    CHECK(st.counts.sent == 7);
}

TEST_CASE("resend_bp re-sends exactly the deterministic set, and IG sees them as duplicates") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle");
  test::fake_ig ig;
  auto opts = test::fast_options(r, ig);
  opts.resend_bp = 2500;
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  run_to_end(s);
  std::uint64_t expected_resent = 0, dup = 0;
  for (auto& [id, bodies] : ig.bodies()) {
    bool picked = resend_selected(id, 2500);
    expected_resent += picked;
    CHECK(bodies.size() == (picked ? 2u : 1u));
    if (bodies.size() == 2)
      CHECK(bodies[0] == bodies[1]);
  }
  CHECK(expected_resent > 0);
  for (auto& st : s.status()) {
    dup += st.counts.duplicate;
    CHECK(st.counts.posts == st.counts.sent + st.counts.resent);
  }
  CHECK(dup == expected_resent);
}

TEST_CASE("503s and timeouts are retried with the same event_id and the same bytes") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle", 20);
  test::fake_ig ig([](int n, const nlohmann::json&) -> std::optional<test::ig_answer> {
    if (n < 4)
      return test::ig_answer{503, R"({"error":{"code":"unavailable","message":"busy"}})"};
    if (n == 4)
      return test::ig_answer{200, R"({"decision":"ADMITTED"})", 700ms}; // past the timeout
    return std::nullopt;
  });
  auto opts = test::fast_options(r, ig);
  opts.concurrency = 1;
  opts.request_timeout = 300ms;
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  run_to_end(s);
  REQUIRE(s.complete());
  auto st = by_id(s.status());
  auto& first = st[r.plan.outputs[0].output_id];
  CHECK(first.state == output_state::done);
  CHECK(first.counts.retries >= 5);
  CHECK(first.counts.sent == r.plan.outputs[0].rows);
  // The first event was posted (at least) six times, always the same envelope.
  auto bodies = ig.bodies();
  auto row0 = first_rows(r, 0, 1).at(0);
  auto id = world::row_event_id(r.plan.ready.pins.manifest_fingerprint.view(),
                                world_output_of(r.plan.outputs[0].output_id), row0);
  REQUIRE(id);
  auto& posts = bodies[*id];
  CHECK(posts.size() >= 6);
  for (auto& b : posts)
    CHECK(b == posts.front());
}

TEST_CASE("a non-retryable 400 stops that output with the reason, the others finish") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle", 30);
  test::fake_ig ig([](int, const nlohmann::json& env) -> std::optional<test::ig_answer> {
    if (env["event_type"] == "arrival_events_5B")
      return test::ig_answer{
          400, R"({"error":{"code":"missing_field","message":"envelope.payload.x: required"}})"};
    return std::nullopt;
  });
  auto opts = test::fast_options(r, ig);
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  run_to_end(s);
  REQUIRE(s.complete());
  auto st = by_id(s.status());
  CHECK(st["arrival_events_5B"].state == output_state::stopped);
  CHECK(st["arrival_events_5B"].counts.sent == 0);
  CHECK(st["arrival_events_5B"].reason.find("400") != std::string::npos);
  CHECK(st["arrival_events_5B"].reason.find("missing_field") != std::string::npos);
  for (auto& id :
       {"s3_event_stream_with_fraud_6B", "s1_arrival_entities_6B", "s3_flow_anchor_with_fraud_6B"})
    CHECK(st[id].state == output_state::done);
  // The stop is durable: a second run of the same READY does not post that output again.
  auto before = ig.posts();
  streamer again(r.plan, opts, store);
  run_to_end(again);
  CHECK(ig.posts() == before);
  CHECK(by_id(again.status())["arrival_events_5B"].state == output_state::stopped);
}

TEST_CASE("a quarantined event is an outcome, not a stop") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle", 20);
  test::fake_ig ig([](int n, const nlohmann::json&) -> std::optional<test::ig_answer> {
    if (n % 3 == 0)
      return test::ig_answer{422, R"({"decision":"QUARANTINE","reason":"PAYLOAD_HASH_MISMATCH"})"};
    return std::nullopt;
  });
  auto opts = test::fast_options(r, ig);
  opts.concurrency = 1;
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  run_to_end(s);
  std::uint64_t q = 0;
  for (auto& st : s.status()) {
    CHECK(st.state == output_state::done);
    q += st.counts.quarantined;
  }
  CHECK(q == static_cast<std::uint64_t>((ig.posts() + 2) / 3));
}

TEST_CASE("a spent retry budget stops the output with the reason") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle", 10);
  test::fake_ig ig([](int, const nlohmann::json&) -> std::optional<test::ig_answer> {
    return test::ig_answer{503, "{}"};
  });
  auto opts = test::fast_options(r, ig);
  opts.retry_budget = 150ms;
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  run_to_end(s);
  for (auto& st : s.status()) {
    CHECK(st.state == output_state::stopped);
    CHECK(st.reason.find("retry_exhausted") != std::string::npos);
    CHECK(st.counts.sent == 0);
  }
}

TEST_CASE("refused connections are retried until IG comes up") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle", 10);
  int port = 0;
  {
    httplib::Server probe;
    port = probe.bind_to_any_port("127.0.0.1");
  } // closed: nothing listens on `port` now
  stream_options opts;
  opts.ig_url = "http://127.0.0.1:" + std::to_string(port);
  opts.oracle_root = r.oracle_root;
  opts.unpaced = true;
  opts.cap_per_output = 3;
  opts.backoff_min = 20ms;
  opts.backoff_max = 50ms;
  opts.retry_budget = 20s;
  opts.request_timeout = 500ms;
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  s.start();
  std::this_thread::sleep_for(300ms);
  httplib::Server late;
  std::set<std::string> seen;
  std::mutex mu;
  late.Post("/v1/ingest", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    seen.insert(nlohmann::json::parse(req.body)["event_id"].get<std::string>());
    res.set_content(R"({"decision":"ADMITTED"})", "application/json");
  });
  REQUIRE(late.bind_to_port("127.0.0.1", port));
  std::thread t([&] { late.listen_after_bind(); });
  while (!late.is_running())
    std::this_thread::sleep_for(1ms);
  s.wait();
  late.stop();
  t.join();
  CHECK(s.complete());
  CHECK(seen.size() == 12);
  for (auto& st : s.status()) {
    CHECK(st.state == output_state::done);
    CHECK(st.counts.retries > 0);
  }
}

TEST_CASE("pacing at speedup N takes at least the ts_utc span divided by N") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle", 200);
  // The traffic output's first 6 rows span this long in world time.
  auto rows = first_rows(r, 0, 6);
  auto t0 = parse_ts_ms(rows.front()["ts_utc"].get<std::string>());
  auto t5 = parse_ts_ms(rows.back()["ts_utc"].get<std::string>());
  REQUIRE(t0);
  REQUIRE(t5);
  REQUIRE(*t5 > *t0);
  // Choose N so that the paced run should take about 400 ms.
  auto speedup = static_cast<std::uint32_t>(std::max<std::int64_t>(1, (*t5 - *t0) / 400));
  auto expected = std::chrono::microseconds(due_after_us(*t0, *t5, speedup));
  test::fake_ig ig;
  auto opts = test::fast_options(r, ig);
  opts.unpaced = false;
  opts.speedup = speedup;
  opts.cap_per_output = 6;
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  auto start = std::chrono::steady_clock::now();
  run_to_end(s);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= expected);
  CHECK(s.complete());
}

TEST_CASE("a restart resumes from the checkpoint and re-sends at most the unsaved window") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle", 100);
  streamer* running = nullptr;
  std::mutex mu;
  test::temp_dir state;
  file_store disk(state.path);
  crashing_store store(disk);
  test::fake_ig ig([&](int n, const nlohmann::json&) -> std::optional<test::ig_answer> {
    if (n == 25) {
      std::lock_guard lock(mu);
      store.crashed = true; // the process dies here: nothing more reaches the disk
      if (running != nullptr)
        running->stop();
    }
    return std::nullopt;
  });
  auto opts = test::fast_options(r, ig);
  opts.concurrency = 1;
  opts.cap_per_output = 60;
  opts.checkpoint_every = 10;
  {
    streamer s(r.plan, opts, store);
    {
      std::lock_guard lock(mu);
      running = &s;
    }
    run_to_end(s);
    {
      std::lock_guard lock(mu);
      running = nullptr;
    }
    CHECK_FALSE(s.complete());
  }
  auto first_posts = ig.posts();
  CHECK(first_posts < 60);
  streamer s2(r.plan, opts, disk);
  run_to_end(s2);
  REQUIRE(s2.complete());
  std::size_t resent = 0;
  for (auto& [id, bodies] : ig.bodies())
    resent += bodies.size() - 1;
  for (auto& [type, ids] : ig.admitted())
    CHECK(ids.size() == 60);
  // Only events after the last checkpoint (every 10) were posted again: 26 posts were made,
  // the checkpoint at 20 survived, so rows 20..25 come again (IG answers DUPLICATE).
  CHECK(resent > 0);
  CHECK(resent <= opts.checkpoint_every);
  auto st = s2.status();
  CHECK(st.at(0).counts.duplicate == resent);
}

TEST_CASE("stop ends the workers promptly even while they pace") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle", 50);
  test::fake_ig ig;
  auto opts = test::fast_options(r, ig);
  opts.unpaced = false;
  opts.speedup = 0; // realistic time: an hour of world time
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  s.start();
  std::this_thread::sleep_for(100ms);
  s.stop();
  s.wait(); // returns: the sleep was interrupted
  CHECK_FALSE(s.complete());
}

TEST_CASE("wait_for reports running workers as not ended, then ended once they return") {
  test::temp_dir tmp;
  auto r = test::make_run(tmp.path / "oracle", 50);
  test::fake_ig ig;
  auto opts = test::fast_options(r, ig);
  opts.unpaced = false;
  opts.speedup = 0; // realistic time: the workers pace for an hour
  file_store store(tmp.path / "state");
  streamer s(r.plan, opts, store);
  s.start();
  CHECK_FALSE(s.wait_for(50ms));
  CHECK_FALSE(s.wait_for(0ms));
  s.stop();
  CHECK(s.wait_for(10s)); // ended and joined
  CHECK(s.wait_for(0ms));
  CHECK_FALSE(s.complete());
}
