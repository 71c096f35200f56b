#pragma once

// What the Kafka backend's files share: owning handles, the translation of librdkafka's error
// codes into bus::errc (the only place that happens), configuration, record conversion and
// metadata look-ups. Internal to bus/kafka/.

#include "bus/kafka/kafka_bus.hpp"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace fp::bus::kafka {

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct tpl_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct event_deleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using rk_ptr = std::unique_ptr<rd_kafka_t, rk_deleter>;
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;
using tpl_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, tpl_deleter>;
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;
using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;

/// The produce callbacks of records in flight, in slots that are reused instead of allocated
/// per record. A slot is written by a producing thread and read and cleared by the poller, so
/// each has a cache line of its own. A producing thread takes slots from a run it keeps for
/// the pool, without a lock: the run is everything the poller gave back since the last
/// refill (one exchange), a run another thread left, or a new block. The poller gives back a
/// whole chain per poll with one compare-and-swap, so neither side waits for the other.
class callback_pool {
public:
  struct alignas(64) slot {
    event_bus::produce_callback done;
    slot* next = nullptr;
    slot* next_run = nullptr; ///< in the first slot of a run left by a thread (`left_`)
  };
  /// Slots released by one poll, not yet given back.
  struct chain {
    slot* head = nullptr;
    slot* tail = nullptr;
    void push(slot* s) {
      s->done = nullptr;
      s->next = head;
      head = s;
      if (tail == nullptr)
        tail = s;
    }
  };

  callback_pool();
  ~callback_pool();
  callback_pool(const callback_pool&) = delete;
  callback_pool& operator=(const callback_pool&) = delete;

  slot* take(event_bus::produce_callback&& done);
  /// A slot whose record never got to librdkafka: its callback, back to the caller.
  event_bus::produce_callback give_back(slot* s);
  void give_back(chain c);

private:
  struct thread_run;
  /// A run of spare slots, null-terminated, never empty.
  slot* refill();
  /// A thread's run, back to the pool (the thread moves to another pool or ends).
  void leave(slot* run);

  std::uint64_t id_; ///< tells pools apart in the producing threads' runs
  std::atomic<slot*> returned_{nullptr};
  std::atomic<slot*> left_{nullptr};            ///< runs, linked by `next_run`
  std::mutex mu_;                               ///< taking from `left_`, new blocks
  std::vector<std::unique_ptr<slot[]>> blocks_; ///< mu_
};

/// The bus's counters, shared with its consumers (which may outlive it).
struct counters {
  std::atomic<std::uint64_t> produced{0}, produce_failures{0}, consumed{0}, commits{0},
      rebalances{0}, topics_created{0}, bad_records{0};
  bus_stats snapshot() const;
};

/// The bus::errc of a librdkafka or broker error code.
errc errc_of(rd_kafka_resp_err_t err);
/// `kafka: WHAT: REASON (ERR_NAME)`; `reason` defaults to `rd_kafka_err2str(err)`.
fp::error to_error(rd_kafka_resp_err_t err, std::string_view what, std::string_view reason = {});

/// Kafka's topic-name rule: 1..249 characters of `[a-zA-Z0-9._-]`, not "." or "..".
expected<void> check_topic_name(std::string_view what, std::string_view name);

/// A configuration: bootstrap and client id from `opts`, then `ours`, then `opts.common`, then
/// `specific`. A bad property is `invalid_argument` naming it and librdkafka's reason.
expected<conf_ptr> make_conf(const kafka_options& opts, const kafka_properties& ours,
                             const kafka_properties& specific);
/// Creates a client from `conf` (taking it).
expected<rk_ptr> make_client(rd_kafka_type_t type, conf_ptr conf);

/// A consumed record (the value, key and headers copied out of librdkafka's buffers).
message to_message(const rd_kafka_message_t& m);
/// A consumed record as views into librdkafka's buffers (valid while `m` lives); `topic` is
/// `m`'s topic name, `hs` the buffer that the header views go to.
message_view to_message_view(const rd_kafka_message_t& m, std::string_view topic,
                             std::vector<header_view>& hs);
/// Our headers as a librdkafka header list (null when there are none).
rd_kafka_headers_t* to_rd_headers(const headers& hs);
rd_kafka_headers_t* to_rd_headers(std::span<const header_view> hs);
std::vector<topic_partition> to_partitions(const rd_kafka_topic_partition_list_t* l);

/// Every topic the cluster reports, with its partition count (internal `__` topics left out).
expected<std::vector<std::pair<std::string, std::int32_t>>>
topic_partition_counts(rd_kafka_t* rk, std::chrono::milliseconds timeout);
/// One topic's partition count; `unknown_topic` when the cluster does not have it.
expected<std::int32_t> partition_count(rd_kafka_t* rk, std::string_view topic,
                                       std::chrono::milliseconds timeout);

// -- admin (kafka_admin.cpp) -----------------------------------------------------------------

/// What the admin functions need of kafka_options.
struct admin_options {
  std::chrono::milliseconds timeout;
  std::int32_t replication_factor;
  const std::function<expected<void>(const topic_spec&)>* creator; ///< may point to null
};

/// Partitions and watermarks from metadata, retention from DescribeConfigs (when the cluster
/// has a controller to serve it; otherwise, as on librdkafka's mock, it reads -1).
expected<topic_info> describe(rd_kafka_t* rk, std::string_view topic, const admin_options& a);
struct create_outcome {
  topic_info info;
  bool created = false; ///< false: it existed with this shape (a no-op)
};
expected<create_outcome> create(rd_kafka_t* rk, const topic_spec& spec, const admin_options& a);
/// AlterConfigs (non-incremental, so the topic's other dynamic configs are sent back as they
/// were). Returns the shape before and after.
expected<std::pair<topic_spec, topic_info>> alter_retention(rd_kafka_t* rk, std::string_view topic,
                                                            std::int64_t retention_ms,
                                                            std::int64_t retention_bytes,
                                                            const admin_options& a);
/// The group's checkpoints (OffsetFetch through a short-lived member that never joins) and
/// the high watermarks of `topic`'s partitions.
expected<std::vector<partition_lag>> group_lag(const kafka_options& opts, rd_kafka_t* rk,
                                               std::string_view group_id, std::string_view topic,
                                               const admin_options& a);

// -- consumers (kafka_consumer.cpp) ----------------------------------------------------------

expected<std::unique_ptr<consumer>> subscribe(const kafka_options& opts, group_options group,
                                              std::shared_ptr<counters> stats);
expected<std::unique_ptr<consumer>> assign(const kafka_options& opts,
                                           const std::vector<topic_partition_offset>& from,
                                           std::shared_ptr<counters> stats);

} // namespace fp::bus::kafka
