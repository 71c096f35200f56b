// The admin API over a fake node (a fake entity type, a real journal), called directly and
// through a real http_server for the transport rules (405, 401, 413).

#include "cluster/admin_api.hpp"

#include "bus/errc.hpp"
#include "cluster/http_server.hpp"
#include "journal/errc.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <httplib.h>
#include <msgpack.hpp>

#include <filesystem>
#include <map>
#include <unistd.h>

using namespace fp::cluster;
using fp::actors::entity_status;
using json = nlohmann::json;

namespace {

struct fake_type : fp::actors::entity_type_view {
  std::map<std::string, entity_status> entities{
      {"a", entity_status::live}, {"b", entity_status::passivated}, {"c", entity_status::live}};
  std::string_view type() const override { return "counter"; }
  std::string_view plane() const override { return "testkit"; }
  fp::actors::entity_counts counts() const override { return {0, 2, 1, 0}; }
  fp::actors::lifecycle_counters lifecycle() const override {
    fp::actors::lifecycle_counters l;
    l.commands = 5;
    l.recovered = 1;
    return l;
  }
  fp::expected<json> inspect(std::string_view key) const override {
    if (!entities.contains(std::string(key)))
      return fp::error{fp::journal::errc::not_found, "counter/" + std::string(key) + ": no events"};
    return json{{"type", "counter"}, {"key", key}, {"state", {{"value", 3}}}};
  }
  fp::expected<std::vector<std::pair<std::string, entity_status>>>
  list(std::optional<entity_status> s, std::string_view after, std::size_t limit) const override {
    std::vector<std::pair<std::string, entity_status>> out;
    for (auto& [k, v] : entities)
      if (k > after && (!s || *s == v) && out.size() < limit)
        out.emplace_back(k, v);
    return out;
  }
};

struct fake_node : node_view {
  fake_type counter;
  std::vector<std::string> plane_names{"testkit"};
  std::unique_ptr<fp::journal::journal> j;
  std::vector<const fp::actors::entity_type_view*> types() const override { return {&counter}; }
  const fp::actors::entity_type_view* type(std::string_view n) const override {
    return n == "counter" ? &counter : nullptr;
  }
  const std::vector<std::string>& planes() const override { return plane_names; }
  const fp::journal::journal& journal() const override { return *j; }
  bool stopping() const override { return false; }
  bus_status bus_state;
  bus_status bus() const override { return bus_state; }
  fp::expected<std::vector<fp::bus::topic_info>> bus_topics() const override {
    if (!bus_state.wired)
      return node_view::bus_topics();
    return std::vector<fp::bus::topic_info>{
        {{"fp.bus.control.v1", 1, -1, -1}, {{0, 0, 7}}},
        {{"fp.bus.traffic.fraud.v1", 2, 86400000, -1}, {{0, 3, 10}, {1, 0, 4}}}};
  }
  fp::expected<std::vector<fp::bus::partition_lag>> bus_lag(std::string_view group,
                                                            std::string_view topic) const override {
    if (!bus_state.wired)
      return node_view::bus_lag(group, topic);
    if (topic != "fp.bus.traffic.fraud.v1")
      return fp::error{fp::bus::errc::unknown_topic,
                       "topic " + std::string(topic) + " does not exist"};
    return std::vector<fp::bus::partition_lag>{{std::string(topic), 0, 8, 10, 2},
                                               {std::string(topic), 1, -1, 4, 4}};
  }
  std::vector<http_count> http_counts() const override { return {{"admin", 200, 3}}; }
};

struct fixture {
  // One directory a process: ctest runs the cases of this file as parallel processes.
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("fp_admin_api_test-" + std::to_string(::getpid()));
  fake_node node;
  std::vector<http_route> routes;
  fixture() {
    std::filesystem::remove_all(dir);
    fp::journal::options o;
    o.dir = dir;
    node.j = std::move(fp::journal::journal::open(o).value());
    for (int i = 1; i <= 3; ++i) {
      msgpack::sbuffer buf;
      msgpack::packer<msgpack::sbuffer> pk(buf);
      pk.pack_array(3);
      pk.pack(1);
      pk.pack(i * 10);
      pk.pack(1767225600000000000LL);
      auto r =
          node.j->append("counter/a", i - 1, {{"added", 1, std::string(buf.data(), buf.size())}});
      REQUIRE(r);
    }
    routes = admin_routes(node);
  }
  ~fixture() {
    node.j.reset();
    std::filesystem::remove_all(dir);
  }
  http_response get(const std::string& path, std::multimap<std::string, std::string> q = {}) {
    for (auto& r : routes) {
      std::smatch m;
      std::regex re(r.pattern);
      if (!std::regex_match(path, m, re))
        continue;
      http_request req{"GET", path, {}, std::move(q), "", "", ""};
      for (std::size_t i = 1; i < m.size(); ++i)
        req.captures.push_back(m[i]);
      return r.handler(req);
    }
    return {404, "", ""};
  }
};

json body(const http_response& r) {
  return json::parse(r.body);
}

} // namespace

TEST_CASE_FIXTURE(fixture, "healthz is AMBER while no bus is wired") {
  auto r = get("/healthz");
  CHECK(r.status == 200);
  CHECK(r.body == "{\"status\":\"AMBER\",\"reasons\":[\"BUS_HEALTH_UNKNOWN\"]}\n");
}

TEST_CASE_FIXTURE(fixture, "healthz: GREEN with a reachable bus, RED when the probe fails") {
  node.bus_state = {true, true, "embedded", "", {}};
  CHECK(get("/healthz").body == "{\"status\":\"GREEN\",\"reasons\":[]}\n");
  node.bus_state = {true, false, "kafka", "bus.timeout: no broker answered", {}};
  auto r = get("/healthz");
  CHECK(r.status == 503);
  CHECK(r.body == "{\"status\":\"RED\",\"reasons\":[\"BUS_UNREACHABLE\"]}\n");
}

TEST_CASE_FIXTURE(fixture, "the bus: topics with offsets, a group's lag") {
  auto none = body(get("/admin/bus"));
  CHECK(none == json::parse(R"({"backend":null,"reachable":false,"topics":[]})"));
  CHECK(get("/admin/bus/groups/g/lag", {{"topic", "fp.bus.traffic.fraud.v1"}}).status == 404);
  node.bus_state = {true, true, "embedded", "", {}};
  CHECK(body(get("/admin/bus")) == json::parse(R"({"backend":"embedded","reachable":true,
    "topics":[{"name":"fp.bus.control.v1","partitions":1,"retention_ms":-1,"retention_bytes":-1,
               "offsets":[{"partition":0,"low":0,"high":7}]},
              {"name":"fp.bus.traffic.fraud.v1","partitions":2,"retention_ms":86400000,
               "retention_bytes":-1,"offsets":[{"partition":0,"low":3,"high":10},
                                               {"partition":1,"low":0,"high":4}]}]})"));
  CHECK(body(get("/admin/bus/groups/rtdl/lag", {{"topic", "fp.bus.traffic.fraud.v1"}})) ==
        json::parse(R"({"group":"rtdl","topic":"fp.bus.traffic.fraud.v1","lag":6,"partitions":[
          {"partition":0,"committed":8,"high":10,"lag":2},
          {"partition":1,"committed":null,"high":4,"lag":4}]})"));
  auto missing = get("/admin/bus/groups/rtdl/lag");
  CHECK(missing.status == 400);
  CHECK(body(missing)["error"]["message"] == "topic: required: the topic whose lag to show");
  CHECK(get("/admin/bus/groups/rtdl/lag", {{"topic", "nope"}}).status == 404);
  CHECK(get("/admin/bus", {{"x", "1"}}).status == 400);
}

TEST_CASE_FIXTURE(fixture, "planes and entity listings") {
  CHECK(body(get("/admin/planes")) ==
        json::parse(R"({"planes":[{"name":"testkit","entity_types":[{"type":"counter",
          "counts":{"recovering":0,"live":2,"passivated":1,"quarantined":0}}]}]})"));
  auto page = body(get("/admin/entities/counter", {{"limit", "2"}}));
  CHECK(page["entities"] ==
        json::parse(R"([{"key":"a","status":"live"},{"key":"b","status":"passivated"}])"));
  CHECK(page["next_after"] == "b");
  CHECK(page["counts"]["live"] == 2);
  auto rest = body(get("/admin/entities/counter", {{"after", "b"}, {"limit", "2"}}));
  CHECK(rest["entities"] == json::parse(R"([{"key":"c","status":"live"}])"));
  CHECK(rest["next_after"].is_null());
  auto live = body(get("/admin/entities/counter", {{"state", "passivated"}}));
  CHECK(live["entities"] == json::parse(R"([{"key":"b","status":"passivated"}])"));
}

TEST_CASE_FIXTURE(fixture, "bad parameters are 400 naming the parameter, unknown things 404") {
  auto bad = get("/admin/entities/counter", {{"state", "asleep"}});
  CHECK(bad.status == 400);
  CHECK(body(bad)["error"]["message"] ==
        "state: must be one of recovering live passivated quarantined, got \"asleep\"");
  CHECK(get("/admin/entities/counter", {{"limit", "0"}}).status == 400);
  CHECK(get("/admin/entities/counter", {{"bogus", "1"}}).status == 400);
  CHECK(get("/admin/journal/counter/a", {{"from", "x"}}).status == 400);
  auto unknown = get("/admin/entities/widget");
  CHECK(unknown.status == 404);
  CHECK(body(unknown)["error"]["code"] == "not_found");
  CHECK(body(unknown)["error"]["message"] ==
        "entity type \"widget\" is not running on this node (running: counter)");
  CHECK(get("/admin/entities/counter/zz").status == 404);
  CHECK(get("/admin/journal/counter/zz").status == 404);
}

TEST_CASE_FIXTURE(fixture, "an entity and its journal, payloads decoded") {
  CHECK(body(get("/admin/entities/counter/a"))["state"]["value"] == 3);
  auto page = body(get("/admin/journal/counter/a", {{"limit", "2"}}));
  CHECK(page["persistence_id"] == "counter/a");
  CHECK(page["head_seq"] == 3);
  REQUIRE(page["events"].size() == 2);
  auto& e = page["events"][1];
  CHECK(e["seq"] == 2);
  CHECK(e["global_seq"] == 2);
  CHECK(e["event_type"] == "added");
  CHECK(e["schema_version"] == 1);
  CHECK(e["payload"] == json::parse("[1,20,1767225600000000000]"));
  CHECK(e["written_at"].get<std::string>().size() == 30);
  CHECK(page["next_from"] == 3);
  auto last = body(get("/admin/journal/counter/a", {{"from", "3"}}));
  CHECK(last["events"].size() == 1);
  CHECK(last["next_from"].is_null());
}

TEST_CASE_FIXTURE(fixture, "metrics name every family with HELP and TYPE") {
  auto m = get("/metrics");
  CHECK(m.content_type.rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(m.body.find("# TYPE fp_core_commands_total counter\n"
                    "fp_core_commands_total{plane=\"testkit\",type=\"counter\"} 5\n") !=
        std::string::npos);
  CHECK(m.body.find(
            "fp_core_entities{plane=\"testkit\",type=\"counter\",status=\"passivated\"} 1\n") !=
        std::string::npos);
  CHECK(m.body.find("fp_journal_events_appended_total 3\n") != std::string::npos);
  CHECK(m.body.find("fp_http_requests_total{server=\"admin\",code=\"200\"} 3\n") !=
        std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "metrics: the process's CPU, memory and file descriptors") {
  auto body = get("/metrics").body;
  auto value = [&](const std::string& name) -> double {
    auto at = body.find("\n" + name + " ");
    REQUIRE_MESSAGE(at != std::string::npos, name);
    return std::strtod(body.c_str() + at + name.size() + 2, nullptr);
  };
  CHECK(body.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
  CHECK(body.find("# TYPE process_resident_memory_bytes gauge\n") != std::string::npos);
  CHECK(body.find("# TYPE fp_node_resident_anon_bytes gauge\n") != std::string::npos);
  CHECK(value("process_cpu_seconds_total") >= 0);
  auto rss = value("process_resident_memory_bytes");
  auto anon = value("fp_node_resident_anon_bytes");
  CHECK(anon > 0);
  CHECK(anon <= rss);
  CHECK(value("process_virtual_memory_bytes") >= rss);
  CHECK(value("process_open_fds") >= 3);
  CHECK(value("process_max_fds") >= value("process_open_fds"));
  // Started within the last day, by this machine's clock.
  auto now = static_cast<double>(std::time(nullptr));
  auto started = value("process_start_time_seconds");
  CHECK(started <= now + 1);
  CHECK(started > now - 86400);
}

TEST_CASE_FIXTURE(fixture, "over HTTP: 405 for other methods, 401 without the token, 413") {
  http_server_options o;
  o.name = "admin";
  o.threads = 2;
  o.max_body_bytes = 1024;
  o.bearer_token = "abcdefghijklmnop0123";
  auto s = http_server::start(o, routes);
  REQUIRE(s);
  httplib::Client c("127.0.0.1", (*s)->port());
  c.set_tcp_nodelay(true);
  auto no_token = c.Get("/healthz");
  REQUIRE(no_token);
  CHECK(no_token->status == 401);
  CHECK(no_token->get_header_value("WWW-Authenticate") == "Bearer realm=\"fp-admin\"");
  CHECK(no_token->body.find("abcdefghijklmnop0123") == std::string::npos);
  c.set_bearer_token_auth("wrong-token-wrong-token");
  CHECK(c.Get("/healthz")->status == 401);
  c.set_bearer_token_auth("abcdefghijklmnop0123");
  CHECK(c.Get("/healthz")->status == 200);
  auto post = c.Post("/admin/planes", "{}", "application/json");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(post->get_header_value("Allow") == "GET");
  CHECK(json::parse(post->body)["error"]["code"] == "method_not_allowed");
  CHECK(c.Delete("/admin/journal/counter/a")->status == 405);
  auto nowhere = c.Get("/nowhere");
  CHECK(nowhere->status == 404);
  CHECK(json::parse(nowhere->body)["error"]["code"] == "not_found");
  auto big = c.Post("/admin/planes", std::string(4096, 'x'), "application/json");
  REQUIRE(big);
  CHECK(big->status == 413);
  auto counts = (*s)->counts();
  CHECK(counts.size() >= 3);
  // Handler durations: only the requests a route's handler answered (not the 401s, the 404 or
  // the 413, which are refused before any route runs), by route with its groups as `*`.
  c.Get("/admin/journal/counter%2Fa");
  auto lat = (*s)->latencies();
  std::map<std::string, std::uint64_t> by_route;
  for (auto& l : lat) {
    CHECK(l.server == "admin");
    CHECK(l.cumulative.back() >= l.cumulative.front());
    by_route[l.method + " " + l.route] = l.cumulative.back();
  }
  CHECK(by_route ==
        std::map<std::string, std::uint64_t>{{"GET /admin/journal/*", 1}, {"GET /healthz", 1}});
  (*s)->stop();
}
