#pragma once

// The Kafka / Redpanda backend of the event bus (DESIGN.md §5), on librdkafka. See README.md.

#include "bus/event_bus.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fp::bus {

/// librdkafka properties as `name = value` pairs, applied in order after ours (they win).
using kafka_properties = std::vector<std::pair<std::string, std::string>>;

struct kafka_options {
  std::string bootstrap; ///< `host:port[,host:port...]`; required
  std::string client_id = "fp";
  kafka_properties common; ///< every client (e.g. security.protocol, debug)
  kafka_properties producer;
  kafka_properties consumer;
  /// Admin requests, metadata, watermarks, commits, seeks and a consumer's close.
  std::chrono::milliseconds request_timeout{10000};
  /// `message.timeout.ms`: a record without an outcome by then fails with `errc::timeout`.
  std::chrono::milliseconds delivery_timeout{30000};
  /// CreateTopics' replication factor; -1 asks for the broker's default.
  std::int32_t replication_factor = -1;
  /// How create_topic makes a topic that does not exist yet. Null (the default): the Admin
  /// API's CreateTopics, which Kafka and Redpanda serve. librdkafka's 2.0.2 mock serves none:
  /// tests pass `mock_cluster::create_topic` here, so the bus's own path (refusals, no-ops,
  /// the AdminEvent) runs unchanged against it.
  std::function<expected<void>(const topic_spec&)> topic_creator;
};

/// Opens the producer (idempotent, acks=all, murmur2) and checks the bootstrap servers answer
/// within `request_timeout`. Errors: `invalid_argument` naming the bad option or property,
/// `broker`/`timeout` when no broker answers.
expected<std::unique_ptr<event_bus>> open_kafka_bus(kafka_options opts);

} // namespace fp::bus
