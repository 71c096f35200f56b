#pragma once

// Internal to actors/: what a region's shard and entity actors share with each other and with
// the inspection view, without templates. Lives as long as the region (shared_ptr).

#include "actors/core/recovery_gate.hpp"
#include "actors/core/runtime_impl.hpp"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace fp::actors::detail {

/// The event a quarantine appends to the entity's own stream (payload: the reason).
inline constexpr std::string_view quarantine_event_type = "$quarantined";
inline constexpr std::size_t max_key_bytes = 300;

/// `2026-11-22T00:19:06.488451787Z` from ns since the Unix epoch (record metadata).
std::string rfc3339_ns(std::int64_t ns);

struct region_state {
  region_state(runtime::impl& r, entity_options o, std::string_view t, std::string_view p);

  runtime::impl* rt;
  journal::journal* journal;
  entity_options opts;
  std::string type;
  std::string plane;
  recovery_gate gate;

  struct atomic_counters {
    std::atomic<std::uint64_t> commands{0}, rejected{0}, events_persisted{0}, recovered{0},
        snapshots_taken{0}, snapshot_fallbacks{0}, passivated{0}, restarted{0}, quarantined{0},
        persist_failures{0};
  } counters;

  /// Rebuilds the state JSON of the entity with persistence id `pid` from the journal.
  std::function<expected<void>(std::string_view pid, journal::journal&, nlohmann::json& out)>
      state_json;

  /// In-memory entities (recovering, live, quarantined-live), by key, as the shards host them.
  std::unordered_map<std::string, entity_status> statuses() const;
  std::size_t live_count() const;

  /// One shard's entities, as the inspection view reads them: `visit` runs on the view's
  /// thread, under the shard's own lock. A shard registers for as long as it lives.
  class status_source {
  public:
    virtual ~status_source() = default;
    virtual void visit(const std::function<void(const std::string&, entity_status)>& fn) const = 0;
  };
  void add_source(const status_source* s);
  void remove_source(const status_source* s);

  /// Journals the quarantine of `key` durably on its own stream (the truth) before the entity
  /// is restarted into its quarantined state; the region's quarantine index (counts and
  /// listings) is written after it, best effort. Fails only if the entity's stream could not be.
  expected<void> quarantine(const std::string& key, const std::string& reason);
  std::string quarantine_index() const { return "$quarantine/" + type; }

private:
  mutable std::mutex sources_mu_;
  std::vector<const status_source*> sources_;
  std::mutex quarantine_mu_;
};

/// The inspection view of a region (admin API, shell, metrics).
std::unique_ptr<entity_type_view> make_view(std::shared_ptr<region_state> shared);

} // namespace fp::actors::detail
