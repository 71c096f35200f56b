// The embedded log's write path: produce batching into the journal writer's group commit,
// and records staged into another journal write.

#include "bus/embedded/core.hpp"

#include "bus/partitioner.hpp"

#include <algorithm>

namespace fp::bus::embedded {

// -- appends inside a writer transaction --------------------------------------------------------

expected<std::int64_t> core::append_record(journal::txn_context& tx, touched_map& touched,
                                           const std::string& topic, std::int32_t partition,
                                           std::string& record) {
  auto key = std::pair{topic, partition};
  auto it = touched.find(key);
  if (it == touched.end()) {
    auto v = tx.get(partitions_, partition_key(topic, partition));
    if (!v)
      return v.error();
    auto st = *v ? decode_partition(**v) : std::optional<partition_state>{partition_state{}};
    if (!st)
      return error{errc::corrupt, "bus: partition " + topic + "/" + std::to_string(partition) +
                                      ": undecodable state"};
    it = touched.emplace(key, touched_partition{*st, -1}).first;
  }
  auto& t = it->second;
  auto offset = t.state.next;
  seal(record, offset);
  if (auto ok = tx.put(log_, record_key(topic, partition, offset), record,
                       journal::put_mode::no_overwrite);
      !ok)
    return ok.error();
  if (t.state.low == offset && t.first_ts < 0)
    t.first_ts = record_timestamp(record);
  t.state.next = offset + 1;
  t.state.bytes += static_cast<std::int64_t>(record.size());
  return offset;
}

expected<void> core::write_touched(journal::txn_context& tx, const touched_map& touched) {
  for (auto& [key, t] : touched)
    if (auto ok =
            tx.put(partitions_, partition_key(key.first, key.second), encode_partition(t.state));
        !ok)
      return ok;
  return {};
}

void core::apply_touched(const touched_map& touched, std::uint64_t commit_id) {
  for (auto& [key, t] : touched) {
    auto it = topics_mem_.find(key.first);
    if (it == topics_mem_.end() || key.second >= static_cast<std::int32_t>(it->second.parts.size()))
      continue;
    auto& m = it->second.parts[static_cast<std::size_t>(key.second)];
    // Completions may arrive out of commit order (the completion thread, a retention run, a
    // staged publish completing when its caller says so): the high watermark only moves up,
    // and low and bytes come from the newest commit.
    m.high = std::max(m.high, t.state.next);
    if (commit_id > m.version) {
      m.low = std::max(m.low, t.state.low);
      m.bytes = t.state.bytes;
      m.version = commit_id;
    }
    if (m.first_ts < 0)
      m.first_ts = t.first_ts;
  }
}

// -- produce ------------------------------------------------------------------------------------

expected<pending_record> core::prepare(produce_record& r) {
  std::int32_t partition = 0;
  {
    std::lock_guard g{mu_};
    if (closed_)
      return error{errc::closed, "bus: closed; produce refused"};
    auto it = topics_mem_.find(r.topic);
    if (it == topics_mem_.end())
      return error{errc::unknown_topic,
                   "bus: produce: topic \"" + r.topic +
                       "\" was never created (topics are created by an admin action)"};
    auto n = it->second.spec.partitions;
    if (r.partition && (*r.partition < 0 || *r.partition >= n))
      return error{errc::invalid_argument, "bus: produce_record.partition " +
                                               std::to_string(*r.partition) + " of \"" + r.topic +
                                               "\": must be 0.." + std::to_string(n - 1)};
    partition = r.partition ? *r.partition : partition_for(r.key, n);
  }
  auto size = r.key.size() + r.value.size();
  for (auto& h : r.headers)
    size += h.key.size() + h.value.size() + 8;
  if (size > opts_.max_record_bytes)
    return error{errc::too_large, "bus: produce to \"" + r.topic + "\": record of " +
                                      std::to_string(size) + " bytes exceeds max_record_bytes " +
                                      std::to_string(opts_.max_record_bytes)};
  if (r.headers.size() > 0xffff)
    return error{errc::invalid_argument, "bus: produce_record.headers: at most 65535"};
  return pending_record{std::move(r.topic), partition,
                        encode_record(r.key, r.value, r.headers, now_ms()), nullptr};
}

void core::produce_async(produce_record r, event_bus::produce_callback done) {
  auto p = prepare(r);
  if (!p) {
    stat_.produce_failures++;
    return done(std::move(p).error());
  }
  p->done = std::move(done);
  bool submit = false;
  {
    std::lock_guard g{prod_mu_};
    pending_.push_back(std::move(*p));
    ++outstanding_;
    submit = !submitted_;
    submitted_ = true;
  }
  if (submit)
    submit_produce();
}

expected<staged_publish> core::stage(std::vector<produce_record> records) {
  auto batch = std::make_shared<produce_batch>();
  for (auto& r : records) {
    auto p = prepare(r);
    if (!p)
      return std::move(p).error();
    batch->records.push_back(std::move(*p));
  }
  batch->drained = true;
  auto touched = std::make_shared<touched_map>();
  // -1: no expectation / no refusal yet. Set by the writer's thread, read by the fn's.
  auto expect = std::make_shared<std::atomic<std::int64_t>>(-1);
  auto moved_to = std::make_shared<std::atomic<std::int64_t>>(-1);
  staged_publish out;
  out.fn = [this, batch, touched, expect, moved_to](journal::txn_context& tx) -> expected<void> {
    auto expected_first = expect->load();
    touched->clear();
    batch->offsets.clear();
    for (auto& r : batch->records) {
      auto off = append_record(tx, *touched, r.topic, r.partition, r.bytes);
      if (!off)
        return off.error();
      if (expected_first >= 0 && batch->offsets.empty() && *off != expected_first) {
        moved_to->store(*off);
        return error{errc::offset_moved,
                     "bus: stage " + r.topic + "/" + std::to_string(r.partition) +
                         ": the record would get offset " + std::to_string(*off) +
                         ", not the expected " + std::to_string(expected_first)};
      }
      batch->offsets.push_back(*off);
    }
    return write_touched(tx, *touched);
  };
  out.expect = [expect](std::int64_t offset) { expect->store(offset); };
  out.moved_to = [moved_to] { return moved_to->load(); };
  out.complete = [self = shared_from_this(), batch, touched](bool committed) {
    std::vector<fp::origin_offset> origins;
    if (!committed) {
      self->stat_.produce_failures += batch->records.size();
      return origins;
    }
    {
      std::lock_guard g{self->mu_};
      self->apply_touched(*touched, 0);
      self->produced_locked(*touched);
    }
    self->stat_.produced += batch->records.size();
    for (std::size_t i = 0; i < batch->records.size(); ++i)
      origins.push_back({batch->records[i].topic, batch->records[i].partition, batch->offsets[i]});
    return origins;
  };
  return out;
}

void core::submit_produce() {
  // One writer transaction takes everything queued when it runs, so concurrent producers
  // share one commit; whoever produces after that drain submits the next transaction.
  auto batch = std::make_shared<produce_batch>();
  auto self = shared_from_this();
  auto touched = std::make_shared<touched_map>();
  journal_.transact_async(
      [this, batch, touched](journal::txn_context& tx) -> expected<void> {
        if (!batch->drained) {
          std::lock_guard g{prod_mu_};
          batch->records.assign(std::make_move_iterator(pending_.begin()),
                                std::make_move_iterator(pending_.end()));
          pending_.clear();
          submitted_ = false;
          batch->drained = true;
        }
        touched->clear(); // a retried batch starts over
        batch->offsets.clear();
        for (auto& r : batch->records) {
          auto off = append_record(tx, *touched, r.topic, r.partition, r.bytes);
          if (!off)
            return off.error();
          batch->offsets.push_back(*off);
        }
        return write_touched(tx, *touched);
      },
      [self, batch, touched](expected<std::uint64_t> r) {
        if (!batch->drained) { // the journal refused the request before running it
          std::lock_guard g{self->prod_mu_};
          batch->records.assign(std::make_move_iterator(self->pending_.begin()),
                                std::make_move_iterator(self->pending_.end()));
          self->pending_.clear();
          self->submitted_ = false;
          batch->drained = true;
        }
        bool inline_done = false;
        {
          std::lock_guard g{self->done_mu_};
          inline_done = self->done_stop_;
          if (!inline_done)
            self->done_q_.push_back({batch, touched, std::move(r)});
        }
        if (!inline_done) {
          self->done_cv_.notify_one();
          return;
        }
        if (r) {
          std::lock_guard g{self->mu_};
          self->apply_touched(*touched, *r);
          self->produced_locked(*touched);
        }
        self->produce_done(batch, std::move(r));
      });
}

void core::run_completions() {
  for (;;) {
    std::optional<completion> c;
    {
      std::unique_lock l{done_mu_};
      done_cv_.wait(l, [&] { return done_stop_ || !done_q_.empty(); });
      if (done_q_.empty())
        return;
      c.emplace(std::move(done_q_.front()));
      done_q_.pop_front();
    }
    if (c->result) {
      std::lock_guard g{mu_};
      apply_touched(*c->touched, *c->result);
      produced_locked(*c->touched);
    }
    produce_done(c->batch, std::move(c->result));
    c->batch->records.clear(); // free the records here, not on the journal's writer
  }
}

void core::produce_done(const std::shared_ptr<produce_batch>& b, expected<std::uint64_t> r) {
  std::optional<error> err;
  if (!r)
    err = from_journal(r.error(), "produce");
  for (std::size_t i = 0; i < b->records.size(); ++i) {
    auto& rec = b->records[i];
    if (err) {
      stat_.produce_failures++;
      rec.done(*err);
    } else {
      stat_.produced++;
      rec.done(fp::origin_offset{rec.topic, rec.partition, b->offsets[i]});
    }
  }
  {
    std::lock_guard g{prod_mu_};
    outstanding_ -= b->records.size();
    if (outstanding_ == 0)
      prod_cv_.notify_all();
  }
  if (r && opts_.retention_after_produce)
    maybe_retention();
}

expected<void> core::flush(std::chrono::milliseconds timeout) {
  std::unique_lock g{prod_mu_};
  if (!prod_cv_.wait_for(g, timeout, [&] { return outstanding_ == 0; }))
    return error{errc::timeout, "bus: flush: " + std::to_string(outstanding_) +
                                    " records still without an outcome after " +
                                    std::to_string(timeout.count()) + " ms"};
  return {};
}

} // namespace fp::bus::embedded
