// Retention of the embedded log: by time (record timestamps against the injected clock) and
// by stored bytes per partition, trimming whole records from the low end.

#include "bus/embedded/core.hpp"

namespace fp::bus::embedded {

// -- retention ----------------------------------------------------------------------------------

void core::maybe_retention() {
  auto now = now_ms();
  {
    std::lock_guard g{mu_};
    if (retention_pending_ || closed_)
      return;
    bool over = false;
    for (auto& [name, t] : topics_mem_) {
      for (auto& p : t.parts) {
        if (p.low == p.high)
          continue;
        if (t.spec.retention_bytes >= 0 && p.bytes > t.spec.retention_bytes)
          over = true;
        if (t.spec.retention_ms >= 0 && p.first_ts >= 0 && p.first_ts < now - t.spec.retention_ms)
          over = true;
      }
    }
    if (!over)
      return;
    retention_pending_ = true;
  }
  // Runs on the writer thread's callback: queue the trim, never wait for it here.
  auto self = shared_from_this();
  auto trimmed = std::make_shared<std::uint64_t>(0);
  auto touched = std::make_shared<touched_map>();
  std::vector<topic_spec> specs;
  {
    std::lock_guard g{mu_};
    for (auto& [name, t] : topics_mem_)
      specs.push_back(t.spec);
  }
  journal_.transact_async(
      [this, specs, now, trimmed, touched](journal::txn_context& tx) -> expected<void> {
        *trimmed = 0;
        touched->clear();
        return trim(tx, specs, now, *touched, *trimmed);
      },
      [self, trimmed, touched](expected<std::uint64_t> r) {
        std::lock_guard g{self->mu_};
        self->retention_pending_ = false;
        if (!r)
          return;
        self->apply_trim(*touched, *r);
        self->stat_.trimmed += *trimmed;
        self->changed_locked();
      });
}

expected<void> core::trim(journal::txn_context& tx, const std::vector<topic_spec>& specs,
                          std::int64_t now, touched_map& touched, std::uint64_t& trimmed) {
  for (auto& spec : specs) {
    if (spec.retention_ms < 0 && spec.retention_bytes < 0)
      continue;
    for (std::int32_t p = 0; p < spec.partitions; ++p) {
      auto pk = partition_key(spec.name, p);
      auto v = tx.get(partitions_, pk);
      if (!v)
        return v.error();
      auto st = *v ? decode_partition(**v) : std::optional<partition_state>{partition_state{}};
      if (!st)
        return error{errc::corrupt, "bus: partition " + spec.name + "/" + std::to_string(p) +
                                        ": undecodable state"};
      auto before = *st;
      std::int64_t first_ts = -1;
      auto scanned = tx.scan(
          log_, record_key(spec.name, p, st->low), [&](std::string_view k, std::string_view val) {
            if (!k.starts_with(pk) || k.size() != pk.size() + 8)
              return false;
            auto ts = record_timestamp(val);
            bool by_bytes = spec.retention_bytes >= 0 && st->bytes > spec.retention_bytes;
            bool by_time = spec.retention_ms >= 0 && ts < now - spec.retention_ms;
            if (!by_bytes && !by_time) {
              first_ts = ts;
              return false;
            }
            st->bytes -= static_cast<std::int64_t>(val.size());
            st->low = offset_of(k) + 1;
            return true;
          });
      if (!scanned)
        return scanned.error();
      if (st->low == before.low) { // nothing to trim; still report what `low` holds now
        touched[{spec.name, p}] = touched_partition{*st, first_ts};
        continue;
      }
      auto removed = tx.del_range(log_, record_key(spec.name, p, before.low),
                                  record_key(spec.name, p, st->low));
      if (!removed)
        return removed.error();
      trimmed += *removed;
      if (auto ok = tx.put(partitions_, pk, encode_partition(*st)); !ok)
        return ok;
      touched[{spec.name, p}] = touched_partition{*st, first_ts};
    }
  }
  return {};
}

void core::apply_trim(const touched_map& touched, std::uint64_t commit_id) {
  for (auto& [key, t] : touched) {
    auto it = topics_mem_.find(key.first);
    if (it == topics_mem_.end())
      continue;
    auto& m = it->second.parts[static_cast<std::size_t>(key.second)];
    if (commit_id <= m.version) {
      // A produce committed after this run was applied first: it carries our low and bytes.
      if (t.state.low == m.low)
        m.first_ts = t.first_ts;
      continue;
    }
    m.low = std::max(m.low, t.state.low);
    m.bytes = t.state.bytes;
    m.version = commit_id;
    if (t.first_ts >= 0 || m.low >= m.high) // empty as of the trim, but maybe not now
      m.first_ts = m.low < m.high ? t.first_ts : -1;
  }
}

expected<std::uint64_t> core::enforce_retention() {
  auto now = now_ms();
  std::vector<topic_spec> specs;
  {
    std::lock_guard g{mu_};
    for (auto& [name, t] : topics_mem_)
      specs.push_back(t.spec);
  }
  std::uint64_t trimmed = 0;
  touched_map touched;
  auto r = journal_.transact([&](journal::txn_context& tx) -> expected<void> {
    trimmed = 0;
    touched.clear();
    return trim(tx, specs, now, touched, trimmed);
  });
  if (!r)
    return from_journal(r.error(), "retention");
  std::lock_guard g{mu_};
  apply_trim(touched, *r);
  stat_.trimmed += trimmed;
  changed_locked();
  return trimmed;
}

} // namespace fp::bus::embedded
