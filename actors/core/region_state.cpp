#include "actors/core/region_state.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <set>

namespace fp::actors::detail {

region_state::region_state(runtime::impl& r, entity_options o, std::string_view t,
                           std::string_view p)
    : rt(&r)
    , journal(r.journal)
    , opts(o)
    , type(t)
    , plane(p)
    , gate(o.max_concurrent_recoveries) {}

void region_state::add_source(const status_source* s) {
  std::lock_guard guard{sources_mu_};
  sources_.push_back(s);
}

void region_state::remove_source(const status_source* s) {
  std::lock_guard guard{sources_mu_};
  std::erase(sources_, s);
}

std::unordered_map<std::string, entity_status> region_state::statuses() const {
  std::unordered_map<std::string, entity_status> out;
  std::lock_guard guard{sources_mu_};
  for (auto* s : sources_)
    s->visit([&](const std::string& key, entity_status st) { out.emplace(key, st); });
  return out;
}

std::size_t region_state::live_count() const {
  std::size_t n = 0;
  std::lock_guard guard{sources_mu_};
  for (auto* s : sources_)
    s->visit([&](const std::string&, entity_status) { ++n; });
  return n;
}

expected<void> region_state::quarantine(const std::string& key, const std::string& reason) {
  std::lock_guard guard{quarantine_mu_};
  auto pid = persistence_id(type, key);
  auto head = journal->head_seq(pid);
  if (!head)
    return head.error();
  auto r = journal->append(pid, *head,
                           {journal::event_data{std::string(quarantine_event_type), 1, reason}});
  if (!r)
    return r.error();
  // The entity's own stream is the truth (recovery reads it); the index only serves counts and
  // listings. If it cannot be written the entity is still quarantined, durably.
  counters.quarantined++;
  auto index = quarantine_index();
  if (auto ihead = journal->head_seq(index))
    (void)journal->append(index, *ihead, {journal::event_data{"quarantined", 1, key}});
  return {};
}

namespace {

class region_view final : public entity_type_view {
public:
  explicit region_view(std::shared_ptr<region_state> s)
      : s_(std::move(s)) {}

  std::string_view type() const override { return s_->type; }
  std::string_view plane() const override { return s_->plane; }

  std::set<std::string> quarantined_keys() const {
    std::set<std::string> keys;
    (void)s_->journal->read_entity(s_->quarantine_index(), 1, [&](const journal::record_view& r) {
      keys.emplace(r.payload);
      return true;
    });
    return keys;
  }

  entity_counts counts() const override {
    entity_counts c;
    auto mem = s_->statuses();
    for (auto& [k, st] : mem) {
      if (st == entity_status::recovering)
        ++c.recovering;
      else if (st == entity_status::live)
        ++c.live;
    }
    auto quarantined = quarantined_keys();
    c.quarantined = quarantined.size();
    auto prefix = persistence_id(s_->type, "");
    (void)s_->journal->list_streams(
        [&](std::string_view pid, std::uint64_t) {
          auto key = std::string(pid.substr(prefix.size()));
          if (!mem.contains(key) && !quarantined.contains(key))
            ++c.passivated;
          return true;
        },
        {}, prefix);
    return c;
  }

  lifecycle_counters lifecycle() const override {
    auto& a = s_->counters;
    lifecycle_counters l;
    l.commands = a.commands;
    l.rejected = a.rejected;
    l.events_persisted = a.events_persisted;
    l.recovered = a.recovered;
    l.snapshots_taken = a.snapshots_taken;
    l.snapshot_fallbacks = a.snapshot_fallbacks;
    l.passivated = a.passivated;
    l.restarted = a.restarted;
    l.quarantined = a.quarantined;
    l.persist_failures = a.persist_failures;
    l.recoveries_in_flight_max = s_->gate.high_water();
    return l;
  }

  entity_status status_of(const std::string& key,
                          const std::unordered_map<std::string, entity_status>& mem,
                          const std::set<std::string>& quarantined) const {
    if (auto it = mem.find(key); it != mem.end())
      return it->second;
    return quarantined.contains(key) ? entity_status::quarantined : entity_status::passivated;
  }

  expected<nlohmann::json> inspect(std::string_view key) const override {
    auto pid = persistence_id(s_->type, key);
    nlohmann::json out;
    if (auto ok = s_->state_json(pid, *s_->journal, out); !ok)
      return ok.error();
    out["type"] = s_->type;
    out["key"] = std::string(key);
    out["persistence_id"] = pid;
    out["status"] = to_string(status_of(std::string(key), s_->statuses(), quarantined_keys()));
    return out;
  }

  expected<std::vector<std::pair<std::string, entity_status>>>
  list(std::optional<entity_status> status, std::string_view after,
       std::size_t limit) const override {
    std::vector<std::pair<std::string, entity_status>> out;
    auto mem = s_->statuses();
    auto quarantined = quarantined_keys();
    auto prefix = persistence_id(s_->type, "");
    // Journal streams and in-memory entities without events yet, merged in key order.
    std::set<std::string> keys;
    for (auto& [k, st] : mem)
      if (k > after)
        keys.insert(k);
    auto after_pid = after.empty() ? std::string() : persistence_id(s_->type, after);
    auto n = s_->journal->list_streams(
        [&](std::string_view pid, std::uint64_t) {
          keys.emplace(pid.substr(prefix.size()));
          return status.has_value() || keys.size() < limit + mem.size() + 1;
        },
        after_pid, prefix);
    if (!n)
      return n.error();
    for (auto& k : keys) {
      if (out.size() >= limit)
        break;
      auto st = status_of(k, mem, quarantined);
      if (!status || *status == st)
        out.emplace_back(k, st);
    }
    return out;
  }

private:
  std::shared_ptr<region_state> s_;
};

} // namespace

std::unique_ptr<entity_type_view> make_view(std::shared_ptr<region_state> shared) {
  return std::make_unique<region_view>(std::move(shared));
}

} // namespace fp::actors::detail
