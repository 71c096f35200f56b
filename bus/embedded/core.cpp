#include "bus/embedded/core.hpp"

#include "bus/partitioner.hpp"
#include "schemas/ids.hpp"

namespace fp::bus::embedded {

error from_journal(const error& e, std::string_view what) {
  using jerr = journal::errc;
  auto msg = "bus: " + std::string(what) + ": " + e.to_string();
  if (e.is(jerr::closed))
    return error{errc::closed, std::move(msg)};
  if (e.is(jerr::too_large))
    return error{errc::too_large, std::move(msg)};
  if (e.is(jerr::corrupt))
    return error{errc::corrupt, std::move(msg)};
  if (e.is(jerr::invalid_argument))
    return error{errc::invalid_argument, std::move(msg)};
  return error{errc::io, std::move(msg)};
}

topic_info info_of(const topic_mem& t) {
  topic_info out{t.spec, {}};
  for (std::size_t p = 0; p < t.parts.size(); ++p)
    out.partitions.push_back({static_cast<std::int32_t>(p), t.parts[p].low, t.parts[p].high});
  return out;
}

std::int64_t core::now_ms() const {
  if (opts_.clock_ms)
    return opts_.clock_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

expected<void> core::load() {
  for (auto [name, t] :
       {std::pair{log_table, &log_}, std::pair{topics_table, &topics_},
        std::pair{partitions_table, &partitions_}, std::pair{groups_table, &groups_}}) {
    auto opened = journal_.open_table(name);
    if (!opened)
      return from_journal(opened.error(), "open table");
    *t = *opened;
  }
  std::optional<error> bad;
  auto n = journal_.read_table(topics_, "", [&](std::string_view k, std::string_view v) {
    auto spec = decode_topic(k, v);
    if (!spec) {
      bad = error{errc::corrupt, "bus: topic \"" + std::string(k) + "\": undecodable spec"};
      return false;
    }
    topic_mem t{*spec, std::vector<partition_mem>(static_cast<std::size_t>(spec->partitions))};
    topics_mem_.emplace(std::string(k), std::move(t));
    return true;
  });
  if (!n)
    return from_journal(n.error(), "load topics");
  if (bad)
    return *bad;
  for (auto& [name, t] : topics_mem_) {
    for (std::int32_t p = 0; p < t.spec.partitions; ++p) {
      auto v = journal_.get_table(partitions_, partition_key(name, p));
      if (!v)
        return from_journal(v.error(), "load partition state");
      auto st = *v ? decode_partition(**v) : std::optional<partition_state>{partition_state{}};
      if (!st)
        return error{errc::corrupt,
                     "bus: partition " + name + "/" + std::to_string(p) + ": undecodable state"};
      auto& m = t.parts[static_cast<std::size_t>(p)];
      m.low = st->low;
      m.high = st->next;
      m.bytes = st->bytes;
      if (m.low < m.high) {
        auto first = journal_.get_table(log_, record_key(name, p, m.low));
        if (first && *first)
          m.first_ts = record_timestamp(**first);
      }
    }
  }
  completer_ = std::thread([this] { run_completions(); });
  return {};
}

void core::close() {
  {
    std::lock_guard g{mu_};
    closed_ = true; // no new produce; consumers return `closed`
    changed_locked();
  }
  (void)flush(std::chrono::hours(1));
  {
    std::lock_guard g{done_mu_};
    done_stop_ = true;
  }
  done_cv_.notify_all();
  if (completer_.joinable()) {
    if (completer_.get_id() == std::this_thread::get_id())
      completer_.detach(); // closed from a produce callback: the thread ends by itself
    else
      completer_.join();
  }
}

core::~core() {
  close();
}

// -- admin ------------------------------------------------------------------------------------

namespace {

expected<void> validate_spec(const topic_spec& s, std::int32_t max_partitions) {
  if (!schemas::is_topic(s.name))
    return error{errc::invalid_argument, "bus: topic_spec.name \"" + s.name +
                                             "\": not a Kafka topic name (1..249 of "
                                             "[A-Za-z0-9._-], not . or ..)"};
  if (s.partitions < 1 || s.partitions > max_partitions)
    return error{errc::invalid_argument, "bus: topic_spec.partitions of \"" + s.name +
                                             "\": must be 1.." + std::to_string(max_partitions) +
                                             ", got " + std::to_string(s.partitions)};
  return {};
}

/// Retention values below zero all mean "unlimited"; they are stored as -1.
std::int64_t norm(std::int64_t v) {
  return v < 0 ? -1 : v;
}

} // namespace

expected<topic_info> core::create_topic(const topic_spec& in, const admin_context& who) {
  auto spec = in;
  spec.retention_ms = norm(spec.retention_ms);
  spec.retention_bytes = norm(spec.retention_bytes);
  if (auto ok = validate_spec(spec, opts_.max_partitions); !ok)
    return ok.error();
  std::lock_guard admin{admin_mu_};
  {
    std::lock_guard g{mu_};
    if (closed_)
      return error{errc::closed, "bus: closed"};
    if (auto it = topics_mem_.find(spec.name); it != topics_mem_.end()) {
      if (it->second.spec == spec)
        return info_of(it->second); // same shape: a no-op that emits nothing
      return error{errc::topic_exists, "bus: create_topic \"" + spec.name + "\": exists as " +
                                           topic_spec_json(it->second.spec) + ", asked for " +
                                           topic_spec_json(spec)};
    }
    if (spec.name != control_topic && !topics_mem_.contains(control_topic))
      return error{errc::unknown_topic, "bus: create_topic \"" + spec.name + "\": create " +
                                            std::string(control_topic) +
                                            " first (it carries the AdminEvent)"};
  }
  auto ev = make_admin_event(action_create_topic, who, {spec.name}, std::nullopt, spec);
  if (!ev)
    return ev.error();
  auto info = admin_write(spec, std::nullopt, *ev);
  if (info)
    stat_.topics_created++;
  return info;
}

expected<topic_info> core::set_retention(std::string_view topic, std::int64_t ms,
                                         std::int64_t bytes, const admin_context& who) {
  std::lock_guard admin{admin_mu_};
  topic_spec before;
  {
    std::lock_guard g{mu_};
    if (closed_)
      return error{errc::closed, "bus: closed"};
    auto it = topics_mem_.find(topic);
    if (it == topics_mem_.end())
      return error{errc::unknown_topic,
                   "bus: set_retention: topic \"" + std::string(topic) + "\" was never created"};
    before = it->second.spec;
  }
  auto after = before;
  after.retention_ms = norm(ms);
  after.retention_bytes = norm(bytes);
  auto ev = make_admin_event(action_set_retention, who, {before.name}, before, after);
  if (!ev)
    return ev.error();
  return admin_write(after, before, *ev);
}

expected<topic_info> core::admin_write(const topic_spec& spec,
                                       const std::optional<topic_spec>& before,
                                       const admin_event& ev) {
  auto rec = admin_event_record(ev);
  std::int32_t ctl_partitions = 1;
  {
    std::lock_guard g{mu_};
    auto it = topics_mem_.find(control_topic);
    ctl_partitions = it != topics_mem_.end() ? it->second.spec.partitions : spec.partitions;
  }
  auto ctl_partition = partition_for(rec.key, ctl_partitions);
  auto ts = now_ms();
  auto touched = std::make_shared<touched_map>();
  auto fn = [&, touched](journal::txn_context& tx) -> expected<void> {
    touched->clear();
    if (auto ok = tx.put(topics_, spec.name, encode_topic(spec)); !ok)
      return ok;
    if (!before) {
      for (std::int32_t p = 0; p < spec.partitions; ++p)
        if (auto ok = tx.put(partitions_, partition_key(spec.name, p),
                             encode_partition(partition_state{}), journal::put_mode::no_overwrite);
            !ok)
          return ok;
    }
    auto bytes = encode_record(rec.key, rec.value, rec.headers, ts);
    auto off = append_record(tx, *touched, rec.topic, ctl_partition, bytes);
    if (!off)
      return off.error();
    return write_touched(tx, *touched);
  };
  auto committed = journal_.transact(fn);
  if (!committed)
    return from_journal(committed.error(), ev.action_type + " \"" + spec.name + "\"");
  std::lock_guard g{mu_};
  auto& t = topics_mem_[spec.name];
  if (!before)
    t.parts.resize(static_cast<std::size_t>(spec.partitions));
  t.spec = spec;
  apply_touched(*touched, *committed);
  stat_.produced++;
  changed_locked();
  return info_of(t);
}

expected<topic_info> core::describe(std::string_view topic) {
  std::lock_guard g{mu_};
  auto it = topics_mem_.find(topic);
  if (it == topics_mem_.end())
    return error{errc::unknown_topic,
                 "bus: topic \"" + std::string(topic) + "\" was never created"};
  return info_of(it->second);
}

std::vector<std::string> core::list() {
  std::lock_guard g{mu_};
  std::vector<std::string> out;
  for (auto& [name, t] : topics_mem_)
    out.push_back(name);
  return out;
}

// -- reads ------------------------------------------------------------------------------------

expected<void> core::read(const std::string& topic, std::int32_t partition, std::int64_t from,
                          std::size_t max, std::vector<message>& out) {
  auto prefix = partition_key(topic, partition);
  std::optional<error> bad;
  std::size_t got = 0;
  auto expected_offset = from;
  auto n = journal_.read_table(
      log_, record_key(topic, partition, from), [&](std::string_view k, std::string_view v) {
        if (!k.starts_with(prefix) || k.size() != prefix.size() + 8)
          return false;
        auto off = offset_of(k);
        std::string why;
        auto m = off == expected_offset
                     ? decode_record(v, off, why)
                     : (why = "gap before offset " + std::to_string(off), std::optional<message>{});
        if (!m) {
          stat_.bad_records++;
          bad = error{errc::corrupt, "bus: record " + topic + "/" + std::to_string(partition) +
                                         "@" + std::to_string(expected_offset) + ": " + why};
          return false;
        }
        m->topic = topic;
        m->partition = partition;
        out.push_back(std::move(*m));
        ++expected_offset;
        return ++got < max;
      });
  if (!n)
    return from_journal(n.error(), "read " + topic + "/" + std::to_string(partition));
  if (bad)
    return *bad;
  return {};
}

expected<std::optional<std::int64_t>>
core::checkpoint(std::string_view group, std::string_view topic, std::int32_t partition) {
  auto v = journal_.get_table(groups_, checkpoint_key(group, topic, partition));
  if (!v)
    return from_journal(v.error(), "read checkpoint");
  if (!*v)
    return std::optional<std::int64_t>{};
  auto c = decode_checkpoint(**v);
  if (!c)
    return error{errc::corrupt, "bus: checkpoint of group \"" + std::string(group) + "\" on " +
                                    std::string(topic) + "/" + std::to_string(partition) +
                                    ": undecodable"};
  return std::optional<std::int64_t>{*c};
}

expected<void> core::store_checkpoints(std::string_view group,
                                       const std::vector<topic_partition_offset>& next) {
  std::string gid(group);
  auto r = journal_.transact([&](journal::txn_context& tx) -> expected<void> {
    for (auto& n : next)
      if (auto ok = tx.put(groups_, checkpoint_key(gid, n.topic, n.partition),
                           encode_checkpoint(n.offset));
          !ok)
        return ok;
    return {};
  });
  if (!r)
    return from_journal(r.error(), "commit group \"" + gid + "\"");
  stat_.commits++;
  return {};
}

expected<std::vector<partition_lag>> core::lag(std::string_view group, std::string_view topic) {
  auto info = describe(topic);
  if (!info)
    return info.error();
  std::vector<partition_lag> out;
  for (auto& p : info->partitions) {
    auto c = checkpoint(group, topic, p.partition);
    if (!c)
      return c.error();
    partition_lag l{std::string(topic), p.partition, c->value_or(-1), p.high, 0};
    l.lag = p.high - std::max(l.committed, p.low);
    out.push_back(std::move(l));
  }
  return out;
}

} // namespace fp::bus::embedded
