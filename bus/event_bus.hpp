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
#include <span>
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

/// A header as views (`produce_async_view`, `message_view`).
struct header_view {
  std::string_view key;
  std::string_view value;
};

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

/// A record to produce as views into the caller's buffers (`event_bus::produce_async_view`):
/// they need to stay valid only until that call returns.
struct record_view {
  std::string_view topic;
  std::string_view key; ///< decides the partition (partition_for) unless `partition` is set
  std::string_view value;
  std::span<const header_view> headers;
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

/// A consumed record as views into the backend's buffers (`consumer::poll_each`): valid only
/// during the callback that receives it; `to_message` copies it out.
struct message_view {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view key;
  std::string_view value;
  std::span<const header_view> headers;
  std::int64_t timestamp_ms = 0;
  fp::origin_offset origin() const { return {std::string(topic), partition, offset}; }
  message to_message() const {
    message m{std::string(topic), partition, offset,      std::string(key),
              std::string(value), {},        timestamp_ms};
    m.headers.reserve(headers.size());
    for (auto& h : headers)
      m.headers.push_back({std::string(h.key), std::string(h.value)});
    return m;
  }
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
  using message_fn = std::function<void(const message_view&)>;

  virtual ~consumer() = default;
  /// Up to `max` records in partition order, waiting up to `timeout` for the first one
  /// (waking on new records, not by polling storage). Rebalance callbacks run in here.
  virtual expected<std::vector<message>> poll(std::size_t max,
                                              std::chrono::milliseconds timeout) = 0;
  /// `poll` without the copies: hands each record to `fn` on this thread, in the order `poll`
  /// would return them, as views valid only during that call, and returns how many it handed
  /// over. Waiting, errors, counters and rebalance callbacks are `poll`'s. If `fn` throws, the
  /// exception propagates and the records after that one in this call are skipped (`seek` to
  /// read them again). The default goes through `poll`; a backend that can lend its buffers
  /// overrides it.
  virtual expected<std::size_t> poll_each(std::size_t max, std::chrono::milliseconds timeout,
                                          const message_fn& fn) {
    auto got = poll(max, timeout);
    if (!got)
      return std::move(got).error();
    std::vector<header_view> hs;
    for (auto& m : *got) {
      hs.clear();
      for (auto& h : m.headers)
        hs.push_back({h.key, h.value});
      fn(message_view{m.topic, m.partition, m.offset, m.key, m.value, hs, m.timestamp_ms});
    }
    return got->size();
  }
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
  /// `produce_async` from views, for callers that hold the bytes already: the bus copies what
  /// it needs before returning (kafka: straight into librdkafka's buffers). The default copies
  /// into a `produce_record`.
  virtual void produce_async_view(const record_view& r, produce_callback done) {
    produce_record rec{
        std::string(r.topic), std::string(r.key), std::string(r.value), {}, r.partition};
    rec.headers.reserve(r.headers.size());
    for (auto& h : r.headers)
      rec.headers.push_back({std::string(h.key), std::string(h.value)});
    produce_async(std::move(rec), std::move(done));
  }
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
