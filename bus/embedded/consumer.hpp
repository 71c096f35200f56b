#pragma once

// Internal to bus/embedded/: consumers (group members and assigned readers) and the
// in-process group coordinator.

#include "bus/embedded/core.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <optional>

namespace fp::bus::embedded {

/// One consumer. A group member when made with group options: membership and partition
/// ownership live in `core::groups_mem_` (under `core::mu_`); positions live here and are
/// touched only by the consumer's own thread.
class member : public consumer {
public:
  member(std::shared_ptr<core> c, std::optional<group_options> g);
  ~member() override;

  expected<std::vector<message>> poll(std::size_t max, std::chrono::milliseconds timeout) override;
  expected<void> commit(const std::vector<topic_partition_offset>& next) override;
  expected<void> seek(const topic_partition_offset& to) override;
  std::vector<topic_partition> assignment() const override;
  void close() override;

  /// Group-less: start reading `from`.
  void assign_from(const std::vector<topic_partition_offset>& from);
  /// Group member: join (caller holds core::mu_).
  void join_locked();

  // Read by the coordinator under core::mu_.
  const group_options& opts() const { return *group_; }
  /// True when this consumer reads one of `touched`'s partitions (under core::mu_, while the
  /// consumer waits in poll).
  bool reads_any(const touched_map& touched) const;
  /// Notified (under core::mu_) while the consumer waits in poll.
  std::condition_variable wake_;
  std::chrono::steady_clock::time_point last_seen_;
  bool expired_ = false;

private:
  struct slot {
    topic_partition tp;
    std::int64_t position = 0;
    bool rewind_ok = false;     ///< seeked below the checkpoint: a lower commit is intended
    std::int64_t high_seen = 0; ///< the partition's high as of the last fetch
  };
  expected<void> sync_group();
  expected<void> fetch(std::size_t max, std::vector<message>& out);
  /// A partition it reads got records since the last fetch (caller holds core::mu_).
  bool has_records_locked() const;
  slot* find(const std::string& topic, std::int32_t partition);

  std::shared_ptr<core> core_;
  std::optional<group_options> group_;
  std::vector<slot> slots_;
  std::size_t next_slot_ = 0; ///< round-robin start, so one busy partition starves none
  bool closed_ = false;
};

/// Recomputes who should own each partition of `g` (caller holds core::mu_).
void rebalance(core& c, group_mem& g);

} // namespace fp::bus::embedded
