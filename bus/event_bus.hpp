#pragma once

// The event bus (DESIGN.md §5): one interface, two real backends (embedded LMDB log, Kafka /
// Redpanda through librdkafka). No backend header, CAF, LMDB or librdkafka header here.

#include "bus/errc.hpp"
#include "schemas/expected.hpp"
#include "schemas/types.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fp::bus {

/// The topic that carries READY, governance facts, anomaly facts and AdminEvents.
inline constexpr std::string_view control_topic = "fp.bus.control.v1";

struct header {
  std::string key;
  std::string value;
  friend bool operator==(const header&, const header&) = default;
};
using headers = std::vector<header>;

/// A topic's shape. `retention_ms`/`retention_bytes` < 0 mean unlimited.
struct topic_spec {
  std::string name;
  std::int32_t partitions = 1;
  std::int64_t retention_ms = -1;
  std::int64_t retention_bytes = -1; ///< per partition, as in Kafka
  friend bool operator==(const topic_spec&, const topic_spec&) = default;
};

struct partition_info {
  std::int32_t partition = 0;
  std::int64_t low = 0;  ///< first offset still retained
  std::int64_t high = 0; ///< the next offset to be written
};

struct topic_info {
  topic_spec spec;
  std::vector<partition_info> partitions;
};

/// Who asks for an admin action, and why (seed 000: AdminEvent). `observed_at_utc` is taken
/// by the caller at its boundary (RFC 3339), never read inside the bus.
struct admin_context {
  std::string actor;
  std::string reason;
  std::string observed_at_utc;
};

struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  friend auto operator<=>(const topic_partition&, const topic_partition&) = default;
};

/// A position: the next offset to read from (or the committed checkpoint) of one partition.
struct topic_partition_offset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  friend auto operator<=>(const topic_partition_offset&, const topic_partition_offset&) = default;
};

struct produce_record {
  std::string topic;
  std::string key;   ///< decides the partition (partition_for) unless `partition` is set
  std::string value; ///< opaque bytes (versioned msgpack on the platform's own topics)
  bus::headers headers;
  std::optional<std::int32_t> partition;
};

/// A consumed record. `timestamp_ms` is the log-append time the backend stored (metadata).
struct message {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  bus::headers headers;
  std::int64_t timestamp_ms = 0;
  fp::origin_offset origin() const { return {topic, partition, offset}; }
};

struct partition_lag {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t committed = -1; ///< -1: the group has no checkpoint here
  std::int64_t high = 0;
  std::int64_t lag = 0; ///< high - max(committed, low)
};

/// Where a group member starts on a partition without a checkpoint.
enum class offset_reset { earliest, latest };

/// Partitions handed to or taken from a group member. Called on the member's thread from
/// inside `poll`, like Kafka's rebalance callbacks: on revoke, commit what is done (and only
/// that) before returning; what is not committed is redelivered to the next owner.
using rebalance_fn = std::function<void(const std::vector<topic_partition>&)>;

struct group_options {
  std::string group_id;
  std::vector<std::string> topics;
  std::string member_name; ///< shows in logs and metrics; ids stay the backend's
  offset_reset reset = offset_reset::earliest;
  std::chrono::milliseconds session_timeout{10000};
  rebalance_fn on_assigned;
  rebalance_fn on_revoked;
};

/// A consumer: a group member (`event_bus::subscribe`) or a group-less reader of explicit
/// partitions from explicit offsets (`event_bus::assign`, for replay of pinned ranges). One
/// thread uses a consumer at a time.
class consumer {
public:
  virtual ~consumer() = default;
  /// Up to `max` records in partition order, waiting up to `timeout` for the first one
  /// (waking on new records, not by polling storage). Rebalance callbacks run in here.
  virtual expected<std::vector<message>> poll(std::size_t max,
                                              std::chrono::milliseconds timeout) = 0;
  /// Durably stores the group's checkpoints: each offset is the NEXT offset to read (the last
  /// processed + 1). Call it only after your own side effects are durable. Group members
  /// only; a partition not currently assigned is `not_assigned`.
  virtual expected<void> commit(const std::vector<topic_partition_offset>& next) = 0;
  /// The next `poll` reads `partition` from `offset`.
  virtual expected<void> seek(const topic_partition_offset& to) = 0;
  virtual std::vector<topic_partition> assignment() const = 0;
  /// Leaves the group (revoking its partitions) and closes. Idempotent.
  virtual void close() = 0;
};

/// Counters, readable at any time; backends add their own to `/metrics`.
struct bus_stats {
  std::uint64_t produced = 0, produce_failures = 0, consumed = 0, commits = 0, rebalances = 0,
                topics_created = 0, bad_records = 0;
};

class event_bus {
public:
  using produce_callback = std::function<void(expected<fp::origin_offset>)>;

  virtual ~event_bus() = default;
  /// "embedded" or "kafka".
  virtual std::string_view backend() const = 0;

  // -- admin (explicit; never implicit on produce) -------------------------------------------
  /// Creates `spec.name` and emits an AdminEvent on `fp.bus.control.v1` (the control topic's
  /// own creation included). Creating an existing topic with the same shape is a no-op that
  /// emits nothing; another shape is `topic_exists`.
  virtual expected<topic_info> create_topic(const topic_spec& spec, const admin_context& who) = 0;
  /// Changes retention; emits an AdminEvent with before/after (it moves the replay window).
  virtual expected<topic_info> set_retention(std::string_view topic, std::int64_t retention_ms,
                                             std::int64_t retention_bytes,
                                             const admin_context& who) = 0;
  virtual expected<topic_info> describe_topic(std::string_view topic) = 0;
  virtual expected<std::vector<std::string>> list_topics() = 0;

  // -- produce -----------------------------------------------------------------------------
  /// Returns once the record is durable (embedded: fsynced; kafka: acks=all).
  virtual expected<fp::origin_offset> produce(produce_record r) = 0;
  /// The callback runs on a bus thread once the record is durable or has failed; records
  /// of one partition are stored in call order. Keep callbacks short.
  virtual void produce_async(produce_record r, produce_callback done) = 0;
  /// Waits until every `produce_async` so far has its outcome.
  virtual expected<void> flush(std::chrono::milliseconds timeout) = 0;

  // -- consume -----------------------------------------------------------------------------
  virtual expected<std::unique_ptr<consumer>> subscribe(group_options opts) = 0;
  /// A group-less consumer of `from` (topic, partition, first offset to read).
  virtual expected<std::unique_ptr<consumer>>
  assign(const std::vector<topic_partition_offset>& from) = 0;
  /// The group's committed checkpoints and lag on `topic`'s partitions.
  virtual expected<std::vector<partition_lag>> lag(std::string_view group_id,
                                                   std::string_view topic) = 0;

  virtual bus_stats stats() const = 0;
};

} // namespace fp::bus
