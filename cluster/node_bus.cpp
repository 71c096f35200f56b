#include "cluster/node_bus.hpp"

#include "bus/embedded/embedded_bus.hpp"
#include "bus/kafka/kafka_bus.hpp"
#include "cluster/errc.hpp"

namespace fp::cluster {

node_bus::node_bus(std::unique_ptr<bus::event_bus> b, std::string control_topic)
    : bus_(std::move(b))
    , control_topic_(std::move(control_topic)) {}

node_bus::~node_bus() {
  {
    std::lock_guard lock{mu_};
    stop_ = true;
  }
  cv_.notify_all();
  if (prober_.joinable())
    prober_.join();
}

expected<std::unique_ptr<node_bus>> node_bus::open(const profile& p, journal::journal& j) {
  std::unique_ptr<bus::event_bus> b;
  if (p.wiring.bus_backend == "kafka") {
    bus::kafka_options ko;
    ko.bootstrap = p.wiring.bus_bootstrap;
    ko.client_id = "fpnode";
    auto k = bus::open_kafka_bus(std::move(ko));
    if (!k)
      return error{errc::io, "wiring.bus: cannot reach the Kafka brokers at " +
                                 p.wiring.bus_bootstrap + ": " + k.error().to_string()};
    b = std::move(*k);
  } else {
    auto e = bus::open_embedded_bus(j, bus::embedded_options{});
    if (!e)
      return error{errc::io, "wiring.bus: cannot open the embedded log: " + e.error().to_string()};
    b = std::move(*e);
  }
  return std::unique_ptr<node_bus>(new node_bus(std::move(b), std::string(bus::control_topic)));
}

expected<std::vector<std::string>> node_bus::provision(const profile& p,
                                                       const std::string& observed_at_utc) {
  std::vector<std::string> done;
  const bus::admin_context who{"fpnode", "policy.bus.topics of profile " + p.name, observed_at_utc};
  // The control topic first: every other action's AdminEvent is written to it.
  std::vector<const bus::topic_spec*> order;
  for (auto& t : p.policy.bus.topics)
    if (t.name == bus::control_topic)
      order.insert(order.begin(), &t);
    else
      order.push_back(&t);
  for (const auto* want : order) {
    auto have = bus_->describe_topic(want->name);
    if (!have) {
      if (!have.error().is(bus::errc::unknown_topic))
        return error{errc::io,
                     "bus: describe topic " + want->name + ": " + have.error().to_string()};
      auto made = bus_->create_topic(*want, who);
      if (!made)
        return error{errc::io, "bus: create topic " + want->name + ": " + made.error().to_string()};
      done.push_back("created topic " + want->name + " (" + std::to_string(want->partitions) +
                     (want->partitions == 1 ? " partition)" : " partitions)"));
      continue;
    }
    if (have->spec.partitions != want->partitions)
      return error{errc::bad_profile,
                   "policy.bus.topics: topic " + want->name + " has " +
                       std::to_string(have->spec.partitions) + " partitions, the profile says " +
                       std::to_string(want->partitions) +
                       " (repartitioning moves keys between partitions and is not done at "
                       "startup; keep the existing count)"};
    if (have->spec.retention_ms != want->retention_ms ||
        have->spec.retention_bytes != want->retention_bytes) {
      auto set = bus_->set_retention(want->name, want->retention_ms, want->retention_bytes, who);
      if (!set && set.error().is(bus::errc::broker)) {
        // The brokers refuse the change (no controller, no AlterConfigs permission, a test
        // broker): the topic still works; the operator sees why the retention differs.
        done.push_back("WARNING: retention of " + want->name +
                       " could not be read or differs from the profile, and was not changed: " +
                       set.error().message());
        continue;
      }
      if (!set)
        return error{errc::io,
                     "bus: set retention of " + want->name + ": " + set.error().to_string()};
      done.push_back("changed retention of " + want->name + " to retention_ms " +
                     std::to_string(want->retention_ms) + ", retention_bytes " +
                     std::to_string(want->retention_bytes));
    }
  }
  return done;
}

expected<std::vector<bus::topic_info>> node_bus::topics() const {
  auto names = bus_->list_topics();
  if (!names)
    return std::move(names).error();
  std::vector<bus::topic_info> out;
  for (auto& n : *names) {
    auto t = bus_->describe_topic(n);
    if (!t)
      return std::move(t).error();
    out.push_back(std::move(*t));
  }
  return out;
}

void node_bus::probe_once() {
  auto r = bus_->describe_topic(control_topic_);
  std::lock_guard lock{mu_};
  reachable_ = static_cast<bool>(r);
  detail_ = r ? std::string{} : r.error().to_string();
}

void node_bus::start_probe(std::chrono::milliseconds every) {
  probe_once();
  prober_ = std::thread([this, every] {
    std::unique_lock lock{mu_};
    while (!cv_.wait_for(lock, every, [this] { return stop_; })) {
      lock.unlock();
      probe_once();
      lock.lock();
    }
  });
}

bus_status node_bus::status() const {
  bus_status s;
  s.wired = true;
  s.backend = std::string(bus_->backend());
  s.stats = bus_->stats();
  std::lock_guard lock{mu_};
  s.reachable = reachable_;
  s.detail = detail_;
  return s;
}

} // namespace fp::cluster
