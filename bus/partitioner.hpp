#pragma once

#include <cstdint>
#include <string_view>

namespace fp::bus {

/// `key -> partition`: the Java Kafka clients' default partitioner (murmur2, positive, modulo
/// `partitions`), taken from librdkafka so the entity runtime's shard regions, both bus
/// backends and any Kafka or Redpanda client place a key on the same partition number.
std::int32_t partition_for(std::string_view key, std::int32_t partitions);

} // namespace fp::bus
