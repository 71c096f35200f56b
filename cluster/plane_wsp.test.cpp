// The `wsp` plane inside a node's parts (journal, embedded bus, object store, runtime): READY
// on the control topic → streamed to a fake IG → offset committed after the run; the same
// READY again is a no-op; a READY without its view is refused with the reason.

#include <doctest/doctest.h>

#include "actors/ingress/wsp/test_world.hpp"
#include "cluster/node_bus.hpp"
#include "cluster/planes.hpp"
#include "journal/object_store.hpp"

#include <thread>

using namespace fp;
using namespace fp::cluster;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

struct node_parts {
  profile prof;
  std::unique_ptr<journal::journal> j;
  std::unique_ptr<node_bus> bus;
  std::unique_ptr<actors::runtime> rt;
  std::unique_ptr<journal::object_store> objects;
  std::vector<http_route> ingress_routes, admin_routes;
  std::vector<std::string> keys;
  std::vector<plane_hooks> hooks;
  std::unique_ptr<plane_context> ctx;

  node_parts(const std::filesystem::path& dir, const std::filesystem::path& oracle_root,
             const std::string& ig_url) {
    auto p =
        load_profile(std::filesystem::path(FP_SOURCE_DIR) / "config/profiles/local_parity.yaml");
    REQUIRE(p);
    prof = *p;
    prof.wiring.oracle_root = oracle_root;
    prof.wiring.wsp = {ig_url, "", ""};
    prof.policy.planes = {"wsp"};
    prof.policy.wsp.cap_per_output = 5;
    prof.policy.wsp.speedup = 1'000'000'000;
    journal::options jo = prof.policy.journal;
    jo.dir = dir / "journal";
    jo.writer_id = "test";
    auto jj = journal::journal::open(std::move(jo));
    REQUIRE(jj);
    j = std::move(*jj);
    auto b = node_bus::open(prof, *j);
    REQUIRE(b);
    bus = std::move(*b);
    REQUIRE((*bus).provision(prof, "2026-01-01T00:00:00Z"));
    auto r = actors::runtime::start(*j, {1});
    REQUIRE(r);
    rt = std::move(*r);
    objects = std::make_unique<journal::object_store>(*j);
    ctx.reset(new plane_context{*rt, prof, ingress_routes, admin_routes, bus->bus(), *objects, keys,
                                "test", hooks});
    REQUIRE(start_planes(*ctx));
    REQUIRE(hooks.size() == 1);
  }
  ~node_parts() {
    for (auto& h : hooks)
      if (h.stop)
        h.stop();
    rt->shutdown(1s);
    rt.reset();
    bus.reset();
    j.reset();
  }
  json runs() {
    for (auto& r : admin_routes)
      if (r.pattern == "/admin/wsp/runs")
        return json::parse(r.handler({}).body);
    FAIL("no /admin/wsp/runs");
    return {};
  }
  std::int64_t lag() {
    auto l = bus->bus().lag("wsp", bus::control_topic);
    REQUIRE(l);
    return l->at(0).lag;
  }
  void produce_ready(const wsp::test::world_run& r) {
    auto ok =
        bus->bus().produce({std::string(bus::control_topic),
                            r.ready.pins.platform_run_id.value(),
                            r.ready_json,
                            {{"fp.schema", "ready.v1"}, {"fp.message_id", r.ready.message_id}},
                            std::nullopt});
    REQUIRE(ok);
  }
  /// Waits until the group has committed everything on the control topic.
  void drained() {
    for (int i = 0; i < 300 && lag() != 0; ++i)
      std::this_thread::sleep_for(50ms);
    REQUIRE(lag() == 0);
  }
};

} // namespace

TEST_CASE("plane wsp: a READY is streamed, then committed, the same READY again is a no-op") {
  wsp::test::temp_dir tmp;
  auto r = wsp::test::make_run(tmp.path / "oracle");
  wsp::test::fake_ig ig;
  node_parts n(tmp.path, tmp.path / "oracle", ig.url());
  REQUIRE(n.objects->put(r.ready.view_path, r.view_bytes));
  n.produce_ready(r);
  REQUIRE(n.hooks[0].serving(served_endpoints{"http://127.0.0.1:1", 0, 0}));
  n.drained();
  auto runs = n.runs()["runs"];
  REQUIRE(runs.size() == 1);
  CHECK(runs[0]["message_id"] == r.ready.message_id);
  CHECK(runs[0]["state"] == "finished");
  REQUIRE(runs[0]["outputs"].size() == 4);
  for (auto& o : runs[0]["outputs"]) {
    CHECK(o["state"] == "done");
    CHECK(o["sent"] == 5);
  }
  for (auto& [type, ids] : ig.admitted())
    CHECK(ids.size() == 5);
  auto posts = ig.posts();
  CHECK(posts == 20);
  std::vector<std::string> red, amber;
  n.hooks[0].health(red, amber);
  CHECK(amber.empty());
  // Metrics carry the run and the output.
  auto families = n.hooks[0].metrics();
  bool found = false;
  for (auto& f : families)
    if (f.name == "fp_wsp_sent_total")
      for (auto& s : f.samples)
        found = found || (s.value == 5 && s.labels.size() == 2);
  CHECK(found);
  // READY again (SR re-emits the same bytes): deduped by message_id, nothing is sent.
  n.produce_ready(r);
  n.drained();
  CHECK(ig.posts() == posts);
}

TEST_CASE("plane wsp: a READY whose run_facts_view is missing stops with the reason") {
  wsp::test::temp_dir tmp;
  auto r = wsp::test::make_run(tmp.path / "oracle");
  wsp::test::fake_ig ig;
  node_parts n(tmp.path, tmp.path / "oracle", ig.url());
  n.produce_ready(r);
  REQUIRE(n.hooks[0].serving(served_endpoints{"http://127.0.0.1:1", 0, 0}));
  n.drained();
  auto runs = n.runs()["runs"];
  REQUIRE(runs.size() == 1);
  CHECK(runs[0]["state"] == "refused");
  CHECK(runs[0]["reason"].get<std::string>().find("view_missing") != std::string::npos);
  CHECK(ig.posts() == 0);
  std::vector<std::string> red, amber;
  n.hooks[0].health(red, amber);
  CHECK(red.empty());
  CHECK(amber == std::vector<std::string>{"WSP_READY_REFUSED"});
}
