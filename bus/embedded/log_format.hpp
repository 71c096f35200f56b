#pragma once

// Internal to bus/embedded/: the keys and values of the embedded log's tables (bus/README.md
// and journal/FORMAT.md, "Bus tables", describe them). All integers in keys are big-endian so
// that one partition's records, and one group's checkpoints, are contiguous ranges in key
// order; integers in values are little-endian.

#include "bus/event_bus.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fp::bus::embedded {

inline constexpr const char* log_table = "bus.log";
inline constexpr const char* topics_table = "bus.topics";
inline constexpr const char* partitions_table = "bus.partitions";
inline constexpr const char* groups_table = "bus.groups";

inline constexpr std::uint8_t format_version = 1;
inline constexpr std::size_t record_header = 36;

/// `topic 0x00 u32be partition`: the prefix of a partition's records, and its state's key.
std::string partition_key(std::string_view topic, std::int32_t partition);
/// `partition_key · u64be offset`.
std::string record_key(std::string_view topic, std::int32_t partition, std::int64_t offset);
/// The offset at the end of a record key.
std::int64_t offset_of(std::string_view record_key);
/// `group 0x00 topic 0x00 u32be partition`.
std::string checkpoint_key(std::string_view group, std::string_view topic, std::int32_t partition);
/// `group 0x00 topic 0x00`.
std::string checkpoint_prefix(std::string_view group, std::string_view topic);

/// A record value without its offset and checksum (the writer fills both in `seal`).
std::string encode_record(std::string_view key, std::string_view value, const headers& hs,
                          std::int64_t timestamp_ms);
/// Writes `offset` into the record and computes its checksum.
void seal(std::string& record, std::int64_t offset);
/// Decodes and verifies (version, lengths, checksum, offset); nullopt with `why` set if bad.
std::optional<message> decode_record(std::string_view bytes, std::int64_t expected_offset,
                                     std::string& why);
/// The stored timestamp, without verifying (retention reads only it); -1 if too short.
std::int64_t record_timestamp(std::string_view bytes);

/// Topic value: u8 version, i32 partitions, i64 retention_ms, i64 retention_bytes.
std::string encode_topic(const topic_spec& s);
std::optional<topic_spec> decode_topic(std::string_view name, std::string_view bytes);

/// A partition's durable state: the first retained offset, the next offset to assign and the
/// bytes of the retained record values.
struct partition_state {
  std::int64_t low = 0;
  std::int64_t next = 0;
  std::int64_t bytes = 0;
};
std::string encode_partition(const partition_state& s);
std::optional<partition_state> decode_partition(std::string_view bytes);

/// Checkpoint value: u8 version, i64 next offset to read.
std::string encode_checkpoint(std::int64_t next);
std::optional<std::int64_t> decode_checkpoint(std::string_view bytes);

} // namespace fp::bus::embedded
