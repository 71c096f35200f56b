#include "cluster/node.hpp"

#include "cluster/admin_api.hpp"
#include "cluster/admin_browse.hpp"
#include "cluster/auth.hpp"
#include "cluster/data_dir.hpp"
#include "cluster/errc.hpp"
#include "cluster/http_server.hpp"
#include "cluster/node_bus.hpp"
#include "cluster/planes.hpp"
#include "cluster/time_text.hpp"
#include "journal/object_store.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <pthread.h>
#include <thread>
#include <unistd.h>

#ifndef FP_GIT_SHA
#define FP_GIT_SHA "unknown"
#endif

namespace fp::cluster {

namespace {

std::int64_t wall_clock_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int refuse(const std::string& message) {
  std::fprintf(stderr, "fpnode: %s\n", message.c_str());
  return 1;
}

/// The node as the admin API sees it.
class running_node final : public node_view {
public:
  running_node(actors::runtime& rt, const node_bus& bus, std::vector<std::string> planes,
               const std::vector<plane_hooks>& hooks, const journal::object_store& objects)
      : rt_(rt)
      , bus_(bus)
      , planes_(std::move(planes))
      , hooks_(hooks)
      , objects_(objects) {}
  std::vector<const actors::entity_type_view*> types() const override { return rt_.types(); }
  const actors::entity_type_view* type(std::string_view name) const override {
    return rt_.type(name);
  }
  const std::vector<std::string>& planes() const override { return planes_; }
  const journal::journal& journal() const override { return rt_.journal(); }
  bool stopping() const override { return rt_.stopping(); }
  bus_status bus() const override { return bus_.status(); }
  expected<std::vector<bus::topic_info>> bus_topics() const override { return bus_.topics(); }
  expected<std::vector<bus::partition_lag>> bus_lag(std::string_view group,
                                                    std::string_view topic) const override {
    return bus_.get().lag(group, topic);
  }
  expected<std::vector<bus::message>> bus_records(std::string_view topic, std::int32_t partition,
                                                  std::int64_t from,
                                                  std::size_t limit) const override {
    return read_partition(bus_.get(), topic, partition, from, limit);
  }
  expected<std::pair<artifact_ref, std::string>> object(std::string_view path) const override {
    auto ref = objects_.stat(path);
    if (!ref)
      return std::move(ref).error();
    auto bytes = objects_.get(path);
    if (!bytes)
      return std::move(bytes).error();
    return std::pair{std::move(*ref), std::move(*bytes)};
  }
  std::vector<http_count> http_counts() const override {
    std::vector<http_count> out;
    for (auto* s : servers_)
      for (auto& c : s->counts())
        out.push_back(c);
    return out;
  }
  std::vector<http_latency> http_latencies() const override {
    std::vector<http_latency> out;
    for (auto* s : servers_)
      for (auto& l : s->latencies())
        out.push_back(std::move(l));
    return out;
  }
  std::vector<metric_family> plane_metrics() const override {
    std::vector<metric_family> out;
    for (auto& h : hooks_)
      if (h.metrics)
        for (auto& f : h.metrics())
          out.push_back(std::move(f));
    return out;
  }
  void plane_health(std::vector<std::string>& red, std::vector<std::string>& amber) const override {
    for (auto& h : hooks_)
      if (h.health)
        h.health(red, amber);
  }
  void add_server(const http_server* s) { servers_.push_back(s); }

private:
  actors::runtime& rt_;
  const node_bus& bus_;
  std::vector<std::string> planes_;
  const std::vector<plane_hooks>& hooks_;
  const journal::object_store& objects_;
  std::vector<const http_server*> servers_;
};

http_server_options server_options(const profile& p, const endpoint& e, std::string name,
                                   unsigned threads) {
  http_server_options o;
  o.name = std::move(name);
  o.bind = e.bind;
  o.port = e.port;
  o.threads = threads;
  o.keep_alive_max_requests = p.policy.http.keep_alive_max_requests;
  o.max_body_bytes = p.policy.http.max_body_bytes;
  return o;
}

/// Writes the ports file atomically (a temp file renamed over it).
expected<void> write_ports(const std::filesystem::path& data_dir, int admin, int ingress) {
  auto path = ports_file(data_dir);
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "{\"admin\":" << admin << ",\"ingress\":" << ingress << ",\"pid\":" << ::getpid()
        << "}\n";
    if (!out.flush())
      return error{errc::io, "cannot write " + tmp.string()};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return error{errc::io, "cannot rename " + tmp.string() + ": " + ec.message()};
  return {};
}

} // namespace

std::filesystem::path ports_file(const std::filesystem::path& data_dir) {
  return data_dir / "fpnode.ports.json";
}

int run_node(const node_options& opts) {
  auto p = load_profile(opts.profile);
  if (!p)
    return refuse(p.error().message());
  if (opts.data_dir)
    p->wiring.data_dir = *opts.data_dir;
  if (auto ok = apply_env_overrides(*p, [](const char* name) { return std::getenv(name); }); !ok)
    return refuse(ok.error().message());
  const auto& data = p->wiring.data_dir;
  if (auto ok = check_planes(*p); !ok)
    return refuse(ok.error().message());
  auto token = read_admin_token(p->wiring.admin);
  if (!token)
    return refuse(token.error().message());
  // Ingress API keys are read when a plane checks them (the testkit plane does not).
  expected<std::vector<std::string>> api_keys{std::vector<std::string>{}};
  if (p->wiring.ingress.require_api_key && planes_use_api_keys(*p))
    api_keys = read_api_keys(p->wiring.ingress);
  if (!api_keys)
    return refuse(api_keys.error().message());
  if (p->admin_requires_token() && !*token)
    return refuse("wiring.admin: the admin API needs a token and the profile names no location");
  // Block the stop signals before any thread starts, so that every thread inherits the mask
  // and only sigwait below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  std::filesystem::remove(ports_file(data), ec);
  journal::options jo = p->policy.journal;
  jo.dir = journal_dir(data);
  jo.writer_id = "fpnode";
  auto j = journal::journal::open(std::move(jo));
  if (!j)
    return refuse("cannot open the journal: " + j.error().message());
  auto events = (*j)->stats().next_global_seq - 1;
  auto bus = node_bus::open(*p, **j);
  if (!bus)
    return refuse(bus.error().message());
  auto provisioned = (*bus)->provision(*p, format_rfc3339_ns(wall_clock_ns()));
  if (!provisioned)
    return refuse(provisioned.error().message());
  for (auto& line : *provisioned)
    std::printf("fpnode: bus: %s\n", line.c_str());
  (*bus)->start_probe(std::chrono::seconds(5));
  auto rt = actors::runtime::start(**j, {p->policy.scheduler_threads});
  if (!rt)
    return refuse("cannot start the entity runtime: " + rt.error().message());
  std::vector<http_route> ingress_routes, plane_admin_routes;
  std::vector<plane_hooks> hooks;
  journal::object_store objects(**j);
  plane_context ctx{**rt,          *p,      ingress_routes, plane_admin_routes,
                    (*bus)->get(), objects, *api_keys,      FP_GIT_SHA,
                    hooks};
  // A plane that fails to start stops the node; those started before it stop first.
  auto stop_planes = [&hooks] {
    for (auto it = hooks.rbegin(); it != hooks.rend(); ++it)
      if (it->stop)
        it->stop();
    hooks.clear();
  };
  if (auto ok = start_planes(ctx); !ok) {
    stop_planes();
    return refuse(ok.error().message());
  }
  running_node view(**rt, **bus, p->policy.planes, hooks, objects);
  auto ao = server_options(*p, p->wiring.admin, "admin", p->policy.http.admin_threads);
  if (p->admin_requires_token())
    ao.bearer_token = **token;
  auto all_admin_routes = admin_routes(view);
  all_admin_routes.insert(all_admin_routes.end(), plane_admin_routes.begin(),
                          plane_admin_routes.end());
  auto admin = http_server::start(std::move(ao), std::move(all_admin_routes));
  if (!admin)
    return refuse(admin.error().message());
  auto ingress = http_server::start(
      server_options(*p, p->wiring.ingress, "ingress", p->policy.http.ingress_threads),
      std::move(ingress_routes));
  if (!ingress)
    return refuse(ingress.error().message());
  view.add_server(admin->get());
  view.add_server(ingress->get());
  served_endpoints served;
  served.admin_port = static_cast<std::uint16_t>((*admin)->port());
  served.ingress_port = static_cast<std::uint16_t>((*ingress)->port());
  {
    auto host = p->wiring.ingress.bind;
    if (host == "0.0.0.0")
      host = "127.0.0.1";
    else if (host == "::")
      host = "::1";
    if (host.find(':') != std::string::npos)
      host = "[" + host + "]";
    served.ingress_url = "http://" + host + ":" + std::to_string(served.ingress_port);
  }
  for (auto& h : hooks)
    if (h.serving)
      if (auto ok = h.serving(served); !ok) {
        (*ingress)->stop();
        stop_planes();
        return refuse(ok.error().message());
      }
  if (auto ok = write_ports(data, (*admin)->port(), (*ingress)->port()); !ok)
    return refuse(ok.error().message());
  std::string planes;
  for (auto& n : p->policy.planes)
    planes += (planes.empty() ? "" : ",") + n;
  std::printf("fpnode: profile %s; journal open at %s (%llu events); bus %s; planes [%s]; "
              "admin %s:%u (%s); ingress %s:%u\n",
              p->name.c_str(), journal_dir(data).c_str(), static_cast<unsigned long long>(events),
              p->wiring.bus_backend == "kafka" ? ("kafka at " + p->wiring.bus_bootstrap).c_str()
                                               : "embedded",
              planes.c_str(), p->wiring.admin.bind.c_str(), unsigned((*admin)->port()),
              p->admin_requires_token() ? "bearer token required" : "no token",
              p->wiring.ingress.bind.c_str(), unsigned((*ingress)->port()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  // A stop must end: a second signal, or the grace period plus a margin (a client trickling a
  // request can hold an HTTP worker), ends the process. Everything acknowledged is already
  // fsynced; commands not yet answered were not acknowledged.
  auto grace = p->policy.shutdown_grace;
  std::thread([stop, grace]() mutable {
    struct timespec limit {};
    auto total = grace + std::chrono::seconds(5);
    limit.tv_sec =
        static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(total).count());
    int again = sigtimedwait(&stop, nullptr, &limit);
    std::fprintf(stderr, "fpnode: %s; exiting without a clean stop\n",
                 again > 0 ? "second stop signal" : "stop did not finish in time");
    std::_Exit(1);
  }).detach();
  // Stop taking commands, let those in flight persist and reply, keep the admin API up for
  // the drain (it reports RED RUNTIME_STOPPING), then close everything in reverse order.
  (*ingress)->stop();
  stop_planes();
  (*rt)->shutdown(p->policy.shutdown_grace);
  (*admin)->stop();
  rt->reset();
  bus->reset(); // the embedded log lives in the journal: close it first
  j->reset();   // finishes queued writes and closes the environment
  std::filesystem::remove(ports_file(data), ec);
  std::printf("fpnode: %s received; stopped cleanly; journal closed\n",
              sig == SIGTERM ? "SIGTERM" : "SIGINT");
  std::fflush(stdout);
  return 0;
}

} // namespace fp::cluster
