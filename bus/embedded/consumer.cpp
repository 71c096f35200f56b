#include "bus/embedded/consumer.hpp"

#include <algorithm>

namespace fp::bus::embedded {

using steady = std::chrono::steady_clock;

// -- the coordinator ---------------------------------------------------------------------------

void rebalance(core& c, group_mem& g) {
  g.target.clear();
  std::map<std::string, std::vector<member*>> by_topic;
  for (auto* m : g.members)
    for (auto& t : m->opts().topics)
      by_topic[t].push_back(m);
  for (auto& [topic, members] : by_topic) {
    auto it = c.topics_mem_.find(topic);
    if (it == c.topics_mem_.end())
      continue;
    auto n = static_cast<std::size_t>(it->second.spec.partitions);
    auto k = members.size();
    for (std::size_t p = 0; p < n; ++p) {
      std::size_t who = 0;
      if (c.opts_.assignment == assignment_strategy::round_robin) {
        who = p % k;
      } else { // range: the first n % k members get one partition more
        auto base = n / k, extra = n % k;
        who = p < extra * (base + 1) ? p / (base + 1) : extra + (p - extra * (base + 1)) / base;
      }
      g.target[{topic, static_cast<std::int32_t>(p)}] = members[who];
    }
  }
  c.stat_.rebalances++;
  c.changed_locked();
}

namespace {

/// Removes members that have not polled within their session timeout: their partitions go
/// to the others without a revoke callback (what they did not commit is redelivered).
void expire(core& c, group_mem& g, steady::time_point now) {
  bool removed = false;
  for (auto it = g.members.begin(); it != g.members.end();) {
    auto* m = *it;
    if (m->last_seen_ + m->opts().session_timeout >= now) {
      ++it;
      continue;
    }
    m->expired_ = true;
    for (auto o = g.owner.begin(); o != g.owner.end();)
      o = o->second == m ? g.owner.erase(o) : std::next(o);
    it = g.members.erase(it);
    removed = true;
  }
  if (removed)
    rebalance(c, g);
}

} // namespace

// -- member -----------------------------------------------------------------------------------

member::member(std::shared_ptr<core> c, std::optional<group_options> g)
    : core_(std::move(c))
    , group_(std::move(g)) {}

member::~member() {
  close();
}

void member::join_locked() {
  last_seen_ = steady::now();
  auto& g = core_->groups_mem_[group_->group_id];
  g.members.push_back(this);
  rebalance(*core_, g);
}

void member::assign_from(const std::vector<topic_partition_offset>& from) {
  for (auto& f : from)
    slots_.push_back({{f.topic, f.partition}, f.offset, false});
}

member::slot* member::find(const std::string& topic, std::int32_t partition) {
  for (auto& s : slots_)
    if (s.tp.topic == topic && s.tp.partition == partition)
      return &s;
  return nullptr;
}

std::vector<topic_partition> member::assignment() const {
  std::vector<topic_partition> out;
  for (auto& s : slots_)
    out.push_back(s.tp);
  return out;
}

expected<void> member::sync_group() {
  auto& c = *core_;
  std::vector<topic_partition> lost, revoke;
  {
    std::lock_guard l{c.mu_};
    auto& g = c.groups_mem_[group_->group_id];
    auto now = steady::now();
    if (expired_) { // the session ran out: what we held is gone; join again
      expired_ = false;
      for (auto& s : slots_)
        lost.push_back(s.tp);
      slots_.clear();
      join_locked();
    }
    last_seen_ = now;
    expire(c, g, now);
    for (auto& s : slots_)
      if (auto t = g.target.find(s.tp); t == g.target.end() || t->second != this)
        revoke.push_back(s.tp);
  }
  if (!lost.empty() && group_->on_revoked)
    group_->on_revoked(lost);
  // The member still owns what it gives up while its callback runs, so it may commit there.
  if (!revoke.empty() && group_->on_revoked)
    group_->on_revoked(revoke);
  std::vector<topic_partition> gain;
  {
    std::lock_guard l{c.mu_};
    auto& g = c.groups_mem_[group_->group_id];
    for (auto& tp : revoke) {
      if (auto o = g.owner.find(tp); o != g.owner.end() && o->second == this)
        g.owner.erase(o);
      std::erase_if(slots_, [&](const slot& s) { return s.tp == tp; });
    }
    if (!revoke.empty())
      c.changed_locked(); // wake the new owners
    for (auto& [tp, who] : g.target)
      if (who == this && !g.owner.contains(tp)) {
        g.owner[tp] = this;
        gain.push_back(tp);
      }
  }
  if (gain.empty())
    return {};
  std::vector<std::optional<std::int64_t>> checkpoints;
  for (auto& tp : gain) {
    auto cp = c.checkpoint(group_->group_id, tp.topic, tp.partition);
    if (!cp) { // give the partitions back untouched; the next poll tries again
      std::lock_guard l{c.mu_};
      auto& g = c.groups_mem_[group_->group_id];
      for (auto& t : gain)
        g.owner.erase(t);
      return cp.error();
    }
    checkpoints.push_back(*cp);
  }
  {
    std::lock_guard l{c.mu_};
    auto& g = c.groups_mem_[group_->group_id];
    for (std::size_t i = 0; i < gain.size(); ++i) {
      auto& tp = gain[i];
      auto& part = c.topics_mem_[tp.topic].parts[static_cast<std::size_t>(tp.partition)];
      std::int64_t pos = 0;
      if (checkpoints[i]) {
        g.committed[tp] = *checkpoints[i];
        pos = *checkpoints[i];
      } else {
        pos = group_->reset == offset_reset::earliest ? part.low : part.high;
      }
      slots_.push_back({tp, pos, false});
    }
  }
  std::sort(slots_.begin(), slots_.end(), [](auto& a, auto& b) { return a.tp < b.tp; });
  if (group_->on_assigned)
    group_->on_assigned(gain);
  return {};
}

expected<void> member::fetch(std::size_t max, std::vector<message>& out) {
  auto& c = *core_;
  for (std::size_t i = 0; i < slots_.size() && out.size() < max; ++i) {
    auto& s = slots_[(next_slot_ + i) % slots_.size()];
    std::int64_t low = 0, high = 0;
    {
      std::lock_guard l{c.mu_};
      auto& part = c.topics_mem_[s.tp.topic].parts[static_cast<std::size_t>(s.tp.partition)];
      low = part.low;
      high = part.high;
    }
    s.high_seen = high;
    if (s.position < low) {
      // Retention removed what this consumer was about to read. A group member moves on by
      // its reset policy; an assigned reader is told, and decides (seek).
      if (!group_)
        return error{errc::offset_out_of_range,
                     "bus: " + s.tp.topic + "/" + std::to_string(s.tp.partition) + " offset " +
                         std::to_string(s.position) + " is below the retained low " +
                         std::to_string(low) + " (seek to replay what is left)"};
      s.position = group_->reset == offset_reset::earliest ? low : high;
    }
    if (s.position >= high)
      continue;
    auto before = out.size();
    // Never past `high`: a reader may see a commit before its meta page is fsynced, and
    // only what the bus has acknowledged as durable is delivered.
    auto room =
        std::min<std::size_t>(max - out.size(), static_cast<std::size_t>(high - s.position));
    auto r = c.read(s.tp.topic, s.tp.partition, s.position, room, out);
    if (!r)
      return r.error();
    if (out.size() > before)
      s.position = out.back().offset + 1;
  }
  next_slot_ = slots_.empty() ? 0 : (next_slot_ + 1) % slots_.size();
  c.stat_.consumed += out.size();
  return {};
}

expected<std::vector<message>> member::poll(std::size_t max, std::chrono::milliseconds timeout) {
  auto& c = *core_;
  auto deadline = steady::now() + timeout;
  std::vector<message> out;
  if (max == 0)
    return out;
  for (;;) {
    std::uint64_t seen = 0;
    {
      std::lock_guard l{c.mu_};
      if (closed_ || c.closed_)
        return error{errc::closed, "bus: consumer closed"};
      seen = c.changes_; // taken before reading, so no change slips between read and wait
    }
    if (group_)
      if (auto ok = sync_group(); !ok)
        return ok.error();
    if (auto ok = fetch(max, out); !ok)
      return ok.error();
    auto now = steady::now();
    if (!out.empty() || now >= deadline)
      return out;
    // Wake on new records in a partition it reads (their `high` moved past what the fetch saw)
    // or a change for every consumer; commits to other partitions do not wake it. A member
    // also wakes within a third of its session timeout to stay in the group and notice peers
    // that stopped polling.
    auto until = deadline;
    if (group_)
      until = std::min(until, now + group_->session_timeout / 3);
    std::unique_lock l{c.mu_};
    c.waiting_.push_back(this);
    wake_.wait_until(l, until,
                     [&] { return c.changes_ != seen || c.closed_ || has_records_locked(); });
    std::erase(c.waiting_, this);
  }
}

bool member::has_records_locked() const {
  for (auto& s : slots_) {
    auto it = core_->topics_mem_.find(s.tp.topic);
    if (it != core_->topics_mem_.end() &&
        s.tp.partition < static_cast<std::int32_t>(it->second.parts.size()) &&
        it->second.parts[static_cast<std::size_t>(s.tp.partition)].high > s.high_seen)
      return true;
  }
  return false;
}

bool member::reads_any(const touched_map& touched) const {
  // Both are a handful of partitions: compare in place rather than build lookup keys.
  for (auto& [key, t] : touched)
    for (auto& s : slots_)
      if (s.tp.partition == key.second && s.tp.topic == key.first)
        return true;
  return false;
}

void core::changed_locked() {
  ++changes_;
  for (auto* m : waiting_)
    m->wake_.notify_one();
}

void core::produced_locked(const touched_map& touched) {
  for (auto* m : waiting_)
    if (m->reads_any(touched))
      m->wake_.notify_one();
}

expected<void> member::commit(const std::vector<topic_partition_offset>& next) {
  auto& c = *core_;
  if (!group_)
    return error{errc::invalid_argument,
                 "bus: commit: only group members commit (this consumer was made by assign)"};
  {
    std::lock_guard l{c.mu_};
    if (closed_ || c.closed_)
      return error{errc::closed, "bus: consumer closed; commit refused"};
    auto& g = c.groups_mem_[group_->group_id];
    for (auto& n : next) {
      topic_partition tp{n.topic, n.partition};
      auto o = g.owner.find(tp);
      if (o == g.owner.end() || o->second != this)
        return error{errc::not_assigned, "bus: commit " + n.topic + "/" +
                                             std::to_string(n.partition) + " by group \"" +
                                             group_->group_id + "\": not assigned to this member"};
      auto& part = c.topics_mem_[n.topic].parts[static_cast<std::size_t>(n.partition)];
      if (n.offset < 0 || n.offset > part.high)
        return error{errc::offset_out_of_range,
                     "bus: commit " + n.topic + "/" + std::to_string(n.partition) + " at " +
                         std::to_string(n.offset) + ": must be 0.." + std::to_string(part.high)};
      auto cp = g.committed.find(tp);
      auto* s = find(n.topic, n.partition);
      if (cp != g.committed.end() && n.offset < cp->second && !(s && s->rewind_ok))
        return error{errc::invalid_argument,
                     "bus: commit " + n.topic + "/" + std::to_string(n.partition) + " at " +
                         std::to_string(n.offset) + " would move the checkpoint back from " +
                         std::to_string(cp->second) + "; seek below it first to replay"};
    }
  }
  if (auto ok = c.store_checkpoints(group_->group_id, next); !ok)
    return ok;
  std::lock_guard l{c.mu_};
  auto& g = c.groups_mem_[group_->group_id];
  for (auto& n : next) {
    g.committed[{n.topic, n.partition}] = n.offset;
    if (auto* s = find(n.topic, n.partition))
      s->rewind_ok = false;
  }
  return {};
}

expected<void> member::seek(const topic_partition_offset& to) {
  auto& c = *core_;
  auto* s = find(to.topic, to.partition);
  if (!s)
    return error{errc::not_assigned, "bus: seek " + to.topic + "/" + std::to_string(to.partition) +
                                         ": not assigned to this consumer"};
  std::lock_guard l{c.mu_};
  auto high = c.topics_mem_[to.topic].parts[static_cast<std::size_t>(to.partition)].high;
  if (to.offset < 0 || to.offset > high)
    return error{errc::offset_out_of_range,
                 "bus: seek " + to.topic + "/" + std::to_string(to.partition) + " to " +
                     std::to_string(to.offset) + ": must be 0.." + std::to_string(high)};
  s->position = to.offset;
  if (group_) {
    auto& g = c.groups_mem_[group_->group_id];
    auto cp = g.committed.find(s->tp);
    s->rewind_ok = cp != g.committed.end() && to.offset < cp->second;
  }
  return {};
}

void member::close() {
  if (closed_)
    return;
  if (group_) {
    bool still_member = false;
    {
      std::lock_guard l{core_->mu_};
      still_member = !expired_;
    }
    if (still_member && !slots_.empty() && group_->on_revoked)
      group_->on_revoked(assignment());
    std::lock_guard l{core_->mu_};
    auto& g = core_->groups_mem_[group_->group_id];
    for (auto o = g.owner.begin(); o != g.owner.end();)
      o = o->second == this ? g.owner.erase(o) : std::next(o);
    if (std::erase(g.members, this) > 0)
      rebalance(*core_, g);
    else
      core_->changed_locked();
  }
  closed_ = true;
  slots_.clear();
}

} // namespace fp::bus::embedded
