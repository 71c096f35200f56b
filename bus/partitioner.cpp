#include "bus/partitioner.hpp"

#include <librdkafka/rdkafka.h>

namespace fp::bus {

std::int32_t partition_for(std::string_view key, std::int32_t partitions) {
  if (partitions <= 1)
    return 0;
  // librdkafka's murmur2 partitioner ignores the topic handle and the opaques.
  return rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partitions, nullptr,
                                          nullptr);
}

} // namespace fp::bus
