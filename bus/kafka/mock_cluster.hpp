#pragma once

// librdkafka's mock cluster (DESIGN.md §10): real Kafka protocol on random local ports, for
// tests, the benchmark and `fp devbroker`. It keeps only 5 MiB / 100 k message sets per
// partition, serves no CreateTopics (topics are made here), and isolates no transactions.
// Its brokers answer with TCP_NODELAY, as real ones do (set here: see `nodelay_brokers`).

#include "bus/event_bus.hpp"

#include <memory>
#include <string>
#include <vector>

namespace fp::bus {

class mock_cluster {
public:
  /// Starts `brokers` brokers (1..64). Errors: `invalid_argument`, `broker`.
  static expected<std::unique_ptr<mock_cluster>> start(int brokers);
  ~mock_cluster();
  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;

  /// `host:port,...` of every broker.
  const std::string& bootstrap() const { return bootstrap_; }
  int brokers() const { return brokers_; }
  /// The brokers' ports, as `bootstrap()` names them.
  const std::vector<int>& ports() const { return ports_; }
  /// How many brokers accept with TCP_NODELAY, as a Kafka or Redpanda broker does (the mock
  /// itself does not set it; `start` sets it on every broker's listener it finds among the
  /// process's descriptors, normally all of them).
  int nodelay_brokers() const { return nodelay_listeners_; }
  /// Creates a topic as a broker-side act (what an operator's tooling would do). Retention is
  /// not modelled by the mock. Replication is min(3, brokers).
  expected<void> create_topic(const topic_spec& spec);

private:
  struct impl;
  explicit mock_cluster(std::unique_ptr<impl> p, int brokers);
  std::unique_ptr<impl> impl_;
  std::string bootstrap_;
  int brokers_;
  std::vector<int> ports_;
  int nodelay_listeners_;
};

} // namespace fp::bus
