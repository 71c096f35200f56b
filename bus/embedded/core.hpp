#pragma once

// Internal to bus/embedded/: the state one embedded bus shares with its consumers. The bus
// object (embedded_bus.cpp) and every consumer hold a shared_ptr to it, so a consumer that
// outlives its bus only gets `closed`.

#include "bus/admin_event.hpp"
#include "bus/embedded/embedded_bus.hpp"
#include "bus/embedded/log_format.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace fp::bus::embedded {

/// What consumers and describe_topic need of a partition, as of the last durable commit.
struct partition_mem {
  std::int64_t low = 0, high = 0, bytes = 0;
  std::int64_t first_ts = -1; ///< timestamp of the record at `low`, -1 when unknown/empty
  /// The journal commit `low` and `bytes` were last taken from: completions of produce
  /// batches and retention runs may be applied out of commit order, older ones are ignored.
  std::uint64_t version = 0;
};

struct topic_mem {
  topic_spec spec;
  std::vector<partition_mem> parts;
};

class member;

/// A consumer group: membership lives in memory only, checkpoints in `bus.groups`.
struct group_mem {
  std::vector<member*> members;                      ///< in join order
  std::map<topic_partition, member*> target;         ///< who should own each partition
  std::map<topic_partition, member*> owner;          ///< who owns it now (until it releases it)
  std::map<topic_partition, std::int64_t> committed; ///< checkpoints read or written so far
};

struct pending_record {
  std::string topic;
  std::int32_t partition = 0;
  std::string bytes; ///< encode_record output; sealed by the writer
  event_bus::produce_callback done;
};

/// Records drained from the produce queue by one writer transaction.
struct produce_batch {
  bool drained = false;
  std::vector<pending_record> records;
  std::vector<std::int64_t> offsets;
};

struct counters {
  std::atomic<std::uint64_t> produced{0}, produce_failures{0}, consumed{0}, commits{0},
      rebalances{0}, topics_created{0}, bad_records{0}, trimmed{0};
};

/// Partitions a writer transaction appended to, with their new durable state.
struct touched_partition {
  partition_state state;
  std::int64_t first_ts = -1; ///< the first appended record's timestamp if it was empty
};
using touched_map = std::map<std::pair<std::string, std::int32_t>, touched_partition>;

class core : public std::enable_shared_from_this<core> {
public:
  core(journal::journal& j, embedded_options o)
      : journal_(j)
      , opts_(std::move(o)) {}

  ~core();
  /// Opens the tables, loads topics and watermarks, starts the completion thread.
  expected<void> load();
  /// Refuses new work, waits for every produce's outcome, stops the completion thread.
  void close();
  std::int64_t now_ms() const;

  // -- admin (core.cpp) ----------------------------------------------------------------------
  expected<topic_info> create_topic(const topic_spec& spec, const admin_context& who);
  expected<topic_info> set_retention(std::string_view topic, std::int64_t ms, std::int64_t bytes,
                                     const admin_context& who);
  expected<topic_info> describe(std::string_view topic);
  std::vector<std::string> list();

  // -- produce (produce.cpp) ------------------------------------------------------------------
  void produce_async(produce_record r, event_bus::produce_callback done);
  expected<staged_publish> stage(std::vector<produce_record> records);
  expected<void> flush(std::chrono::milliseconds timeout);
  /// Trims every topic by its retention now; returns the records removed.
  expected<std::uint64_t> enforce_retention();

  // -- reads (core.cpp) -----------------------------------------------------------------------
  /// Up to `max` records of a partition from `from`, verified; appends them to `out`.
  expected<void> read(const std::string& topic, std::int32_t partition, std::int64_t from,
                      std::size_t max, std::vector<message>& out);
  /// The group's durable checkpoint of a partition (the next offset to read), if any.
  expected<std::optional<std::int64_t>> checkpoint(std::string_view group, std::string_view topic,
                                                   std::int32_t partition);
  expected<void> store_checkpoints(std::string_view group,
                                   const std::vector<topic_partition_offset>& next);
  expected<std::vector<partition_lag>> lag(std::string_view group, std::string_view topic);

  journal::journal& journal_;
  embedded_options opts_;
  journal::table log_, topics_, partitions_, groups_;
  counters stat_;

  /// Inside a writer transaction: seals `record` with the partition's next offset and puts
  /// it; the partition's state is read once per transaction and kept in `touched`.
  expected<std::int64_t> append_record(journal::txn_context& tx, touched_map& touched,
                                       const std::string& topic, std::int32_t partition,
                                       std::string& record);
  /// Writes the states in `touched` (end of the transaction).
  expected<void> write_touched(journal::txn_context& tx, const touched_map& touched);
  /// After commit `commit_id` (0: unknown): watermarks in memory. Caller holds mu_.
  void apply_touched(const touched_map& touched, std::uint64_t commit_id);

  // Everything below is guarded by mu_. `changes_` counts the changes that concern every
  // consumer (membership, retention, a new topic, closing); new records move their partitions'
  // `high`. A consumer with nothing to read waits in `waiting_` for either.
  mutable std::mutex mu_;
  std::uint64_t changes_ = 0;
  std::vector<member*> waiting_;
  /// A change for every consumer: ++changes_, and every waiting consumer wakes.
  void changed_locked();
  /// Records committed to the partitions in `touched` (already applied): only the waiting
  /// consumers that read one of them wake, so a consumer of a quiet topic sleeps through the
  /// traffic of the others.
  void produced_locked(const touched_map& touched);
  bool closed_ = false;
  std::map<std::string, topic_mem, std::less<>> topics_mem_;
  std::map<std::string, group_mem, std::less<>> groups_mem_;
  bool retention_pending_ = false;

private:
  /// Admin writes (topic spec, partition states, the AdminEvent record) in one transaction.
  expected<topic_info> admin_write(const topic_spec& spec, const std::optional<topic_spec>& before,
                                   const admin_event& ev);
  /// Validates and encodes a record (partition chosen, timestamp taken).
  expected<pending_record> prepare(produce_record& r);
  void submit_produce();
  /// The completion thread: watermarks, produce callbacks and freeing a batch's records run
  /// there, so the journal writer goes on to the next commit without waiting for them.
  void run_completions();
  void produce_done(const std::shared_ptr<produce_batch>& b, expected<std::uint64_t> r);
  void maybe_retention();
  expected<void> trim(journal::txn_context& tx, const std::vector<topic_spec>& specs,
                      std::int64_t now, touched_map& touched, std::uint64_t& trimmed);
  void apply_trim(const touched_map& touched, std::uint64_t commit_id); ///< caller holds mu_

  std::mutex admin_mu_; ///< one admin action at a time
  struct completion {
    std::shared_ptr<produce_batch> batch;
    std::shared_ptr<touched_map> touched;
    expected<std::uint64_t> result;
  };
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::deque<completion> done_q_;
  bool done_stop_ = false;
  std::thread completer_;

  std::mutex prod_mu_;
  std::condition_variable prod_cv_;
  std::deque<pending_record> pending_;
  bool submitted_ = false;
  std::uint64_t outstanding_ = 0;
};

/// A journal error as a bus error, keeping the journal's reason.
error from_journal(const error& e, std::string_view what);
topic_info info_of(const topic_mem& t);

} // namespace fp::bus::embedded
