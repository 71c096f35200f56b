// `fp wsp run`: finds READY and its run_facts_view through the admin API, then streams with
// fp_wsp; progress on stderr, one JSON summary per output on stdout.

#include "tools/fp/wsp.hpp"

#include "actors/ingress/wsp/plan.hpp"
#include "actors/ingress/wsp/store.hpp"
#include "actors/ingress/wsp/streamer.hpp"
#include "tools/fp/progress.hpp"
#include "tools/fp/shell_client.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

namespace fp::tools {

namespace {

volatile std::sig_atomic_t interrupted = 0;

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::move(fallback);
}

/// The last READY on the control topic (of `platform_run_id` when not empty), as its value.
expected<std::optional<std::string>> find_ready(sh::admin_client& admin,
                                                const std::string& platform_run_id) {
  std::optional<std::string> found;
  std::int64_t from = 0;
  for (;;) {
    auto page = admin.get_json("/admin/bus/topics/fp.bus.control.v1/records?partition=0&from=" +
                               std::to_string(from) + "&limit=1000");
    if (!page)
      return std::move(page).error();
    for (auto& rec : (*page)["records"]) {
      bool ready = false;
      for (auto& h : rec["headers"])
        ready = ready || (h.value("key", "") == "fp.schema" && h.value("value", "") == "ready.v1");
      if (!ready || !rec.contains("value"))
        continue;
      if (!platform_run_id.empty() && rec.value("key", "") != platform_run_id)
        continue;
      found = rec["value"].get<std::string>();
    }
    if ((*page)["next_from"].is_null())
      break;
    from = (*page)["next_from"].get<std::int64_t>();
  }
  return found;
}

nlohmann::json summary(const wsp::output_status& s, const std::string& prid) {
  return {{"platform_run_id", prid},
          {"output_id", s.output_id},
          {"state", wsp::to_string(s.state)},
          {"reason", s.reason},
          {"target", s.target},
          {"sent", s.counts.sent},
          {"posts", s.counts.posts},
          {"admitted", s.counts.admitted},
          {"duplicate", s.counts.duplicate},
          {"quarantined", s.counts.quarantined},
          {"retries", s.counts.retries},
          {"resent", s.counts.resent}};
}

} // namespace

exit_code wsp_run(const args& a) {
  wsp::stream_options o;
  o.ig_url = a.text("--ig", "http://127.0.0.1:8471");
  o.api_key = env_or("FP_WSP_API_KEY", "");
  o.oracle_root = a.text("--oracle-root", env_or("ORACLE_ROOT", "data/oracle_root"));
  o.unpaced = a.has("--unpaced");
  o.speedup = static_cast<std::uint32_t>(a.number("--speedup", 600));
  o.cap_per_output = a.number("--cap", 200);
  o.concurrency = static_cast<unsigned>(a.number("--concurrency", 4));
  o.resend_bp = static_cast<std::uint32_t>(a.number("--resend-bp", 0));
  if (o.concurrency < 1 || o.concurrency > 64)
    return fail(a, exit_code::usage, "--concurrency: must be 1..64");
  if (o.resend_bp > 10'000)
    return fail(a, exit_code::usage, "--resend-bp: must be 0..10000");
  if (a.number("--speedup", 600) > 1'000'000'000)
    return fail(a, exit_code::usage, "--speedup: must be 0..1000000000");
  std::filesystem::path policy_dir = a.text("--policy-dir", "config/platform/wsp");
  auto policy = wsp::load_outputs_policy(policy_dir / "traffic_outputs_v0.yaml",
                                         policy_dir / "context_fraud_outputs_v0.yaml");
  if (!policy)
    return fail(a, exit_code::usage, policy.error().message());

  sh::admin_client admin(a.text("--node"), env_or("FP_ADMIN_TOKEN", ""));
  auto value = find_ready(admin, a.text("--platform-run-id"));
  if (!value)
    return fail(a, exit_code::failed, value.error().message());
  if (!*value)
    return fail(a, exit_code::failed,
                "no READY on fp.bus.control.v1" + (a.has("--platform-run-id")
                                                       ? " for " + a.text("--platform-run-id")
                                                       : std::string()));
  auto ready = wsp::parse_ready(**value);
  if (!ready)
    return fail(a, exit_code::failed, ready.error().message());
  wsp::file_store store(a.text("--state", "data/wsp_state"));
  auto done = store.ready_done(ready->message_id);
  if (!done)
    return fail(a, exit_code::failed, done.error().message());
  if (*done) {
    std::fprintf(stderr, "fp wsp run: READY %s was streamed already; nothing to do\n",
                 ready->message_id.c_str());
    std::printf("%s\n", done->value().c_str());
    return exit_code::ok;
  }
  auto view = admin.get_text("/admin/objects/" + ready->view_path);
  if (!view)
    return fail(a, exit_code::failed,
                "run_facts_view " + ready->view_path + ": " + view.error().message());
  auto plan = wsp::build_plan(*ready, *view, *policy);
  if (!plan)
    return fail(a, exit_code::failed, plan.error().message());
  auto prid = ready->pins.platform_run_id.value();

  wsp::streamer s(std::move(*plan), o, store);
  std::vector<std::unique_ptr<progress>> bars;
  for (auto& st : s.status())
    bars.push_back(std::make_unique<progress>("wsp " + st.output_id, st.target));
  auto old_int = std::signal(SIGINT, [](int) { interrupted = 1; });
  auto old_term = std::signal(SIGTERM, [](int) { interrupted = 1; });
  s.start();
  std::thread waiter([&] { s.wait(); });
  for (;;) {
    auto now = s.status();
    for (std::size_t i = 0; i < now.size(); ++i)
      bars[i]->set(now[i].counts.sent);
    bool ended = true;
    for (auto& st : now)
      ended =
          ended && (st.state == wsp::output_state::done || st.state == wsp::output_state::stopped);
    if (ended)
      break;
    if (interrupted) {
      s.stop();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  waiter.join();
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  for (auto& b : bars)
    b->finish();

  auto outs = s.status();
  bool stopped = false;
  auto all = nlohmann::json::array();
  for (auto& st : outs) {
    auto j = summary(st, prid);
    std::printf("%s\n", j.dump().c_str());
    all.push_back(std::move(j));
    if (st.state == wsp::output_state::stopped) {
      stopped = true;
      std::fprintf(stderr, "fp wsp run: %s stopped: %s\n", st.output_id.c_str(), st.reason.c_str());
    }
  }
  if (!s.complete())
    return fail(a, exit_code::failed, "interrupted; run again with the same --state to resume");
  if (auto ok = store.mark_ready_done(ready->message_id, all.dump()); !ok)
    return fail(a, exit_code::failed, ok.error().message());
  return stopped ? exit_code::failed : exit_code::ok;
}

} // namespace fp::tools
