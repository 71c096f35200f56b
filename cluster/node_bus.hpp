#pragma once

// The node's event bus: the backend the profile names (the embedded log in the node's
// journal, or Kafka/Redpanda), the profile's topics provisioned as audited admin actions, and
// a reachability probe for /healthz. No backend header here.

#include "bus/event_bus.hpp"
#include "cluster/health.hpp"
#include "cluster/profile.hpp"
#include "journal/journal.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace fp::cluster {

class node_bus {
public:
  /// Opens the profile's backend. Kafka: `wiring.bus.bootstrap` must answer.
  static expected<std::unique_ptr<node_bus>> open(const profile& p, journal::journal& j);
  ~node_bus();
  node_bus(const node_bus&) = delete;
  node_bus& operator=(const node_bus&) = delete;

  bus::event_bus& bus() { return *bus_; }
  /// The bus for reads (describe, lag). The interface is not const: reads may talk to brokers.
  bus::event_bus& get() const { return *bus_; }
  /// Every topic, described.
  expected<std::vector<bus::topic_info>> topics() const;

  /// Makes the bus match `policy.bus.topics`: a missing topic is created and a changed
  /// retention is applied, each an admin action that leaves an AdminEvent on the control
  /// topic (actor `fpnode`, reason naming the profile). A different partition count is
  /// refused: repartitioning moves keys between partitions, so it is not done at startup. A
  /// retention change the brokers refuse is a WARNING line, not a failure.
  /// Returns one line per action taken.
  expected<std::vector<std::string>> provision(const profile& p,
                                               const std::string& observed_at_utc);

  /// Probes reachability every `every` on a thread of its own (Kafka: a metadata request).
  void start_probe(std::chrono::milliseconds every);
  bus_status status() const;

private:
  node_bus(std::unique_ptr<bus::event_bus> b, std::string control_topic);
  void probe_once();

  std::unique_ptr<bus::event_bus> bus_;
  std::string control_topic_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool reachable_ = false;
  std::string detail_;
  std::thread prober_;
};

} // namespace fp::cluster
