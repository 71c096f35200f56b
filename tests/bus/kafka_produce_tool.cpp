// A test helper for kafka_devbroker_test.sh: produces records through the Kafka bus backend
// and prints, one line a record, what a reader must find: `KEY PARTITION OFFSET HEADERS`.
//
//   kafka_produce_tool BOOTSTRAP TOPIC COUNT
//
// Keys are `acct-0..acct-{COUNT-1}`, values `value-I`, one header `fp.test=I` each. The
// partition printed is the one the backend reported; the tool exits 1 unless it equals
// partition_for(key, partitions).

#include "bus/kafka/kafka_bus.hpp"
#include "bus/partitioner.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: kafka_produce_tool BOOTSTRAP TOPIC COUNT\n");
    return 2;
  }
  fp::bus::kafka_options o;
  o.bootstrap = argv[1];
  o.client_id = "fp-produce-tool";
  auto bus = fp::bus::open_kafka_bus(o);
  if (!bus) {
    std::fprintf(stderr, "kafka_produce_tool: %s\n", bus.error().to_string().c_str());
    return 1;
  }
  std::string topic = argv[2];
  auto info = (*bus)->describe_topic(topic);
  if (!info) {
    std::fprintf(stderr, "kafka_produce_tool: %s\n", info.error().to_string().c_str());
    return 1;
  }
  // What a node does at start: create its profile's topics. The dev broker made them
  // already; the same partition count is a no-op (no AdminEvent), and fails fast.
  auto again = (*bus)->create_topic({topic, info->spec.partitions, 604800000, 1073741824},
                                    {"kafka_produce_tool", "startup", "2026-01-01T00:00:00Z"});
  if (!again) {
    std::fprintf(stderr, "kafka_produce_tool: %s\n", again.error().to_string().c_str());
    return 1;
  }
  int count = std::atoi(argv[3]);
  for (int i = 0; i < count; ++i) {
    auto key = "acct-" + std::to_string(i);
    auto r = (*bus)->produce(
        {topic, key, "value-" + std::to_string(i), {{"fp.test", std::to_string(i)}}, {}});
    if (!r) {
      std::fprintf(stderr, "kafka_produce_tool: %s\n", r.error().to_string().c_str());
      return 1;
    }
    if (r->partition != fp::bus::partition_for(key, info->spec.partitions)) {
      std::fprintf(stderr, "kafka_produce_tool: %s landed on %d, partition_for says %d\n",
                   key.c_str(), r->partition, fp::bus::partition_for(key, info->spec.partitions));
      return 1;
    }
    std::printf("%s %d %lld fp.test=%d\n", key.c_str(), r->partition,
                static_cast<long long>(r->offset), i);
  }
  return 0;
}
