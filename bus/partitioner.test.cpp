#include "bus/partitioner.hpp"

#include <doctest/doctest.h>

#include <cstdint>

using fp::bus::partition_for;

namespace {

/// What the Java client's default partitioner computes from Kafka's Utils.murmur2 value.
std::int32_t java_partition(std::int32_t murmur2, std::int32_t partitions) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(murmur2) & 0x7fffffffu) % partitions;
}

} // namespace

TEST_CASE("keys land on the partitions Java Kafka clients (and Redpanda tooling) choose") {
  // Kafka's Utils.murmur2 outputs for these keys, as published with Kafka's own tests.
  struct vec {
    const char* key;
    std::int32_t murmur2;
  };
  for (auto v : {vec{"1", -1993445489}, vec{"12", 126087238}, vec{"123", -267702483},
                 vec{"1234", -1614185708}, vec{"12345", -1188365604}, vec{"21", -973932308},
                 vec{"foobar", -790332482}, vec{"abc", 479470107}})
    for (std::int32_t n : {2, 3, 8, 12, 64, 1000})
      CHECK_MESSAGE(partition_for(v.key, n) == java_partition(v.murmur2, n),
                    "key " << v.key << " partitions " << n);
}

TEST_CASE("one partition (or none) maps everything to 0") {
  CHECK(partition_for("anything", 1) == 0);
  CHECK(partition_for("anything", 0) == 0);
}
