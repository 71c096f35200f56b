#pragma once

#include "actors/core/entity.hpp"
#include "journal/journal.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fp::actors {

/// What the admin API and the shell see of one entity type, without CAF.
class entity_type_view {
public:
  virtual ~entity_type_view() = default;
  virtual std::string_view type() const = 0;
  virtual std::string_view plane() const = 0;
  virtual entity_counts counts() const = 0;
  virtual lifecycle_counters lifecycle() const = 0;
  /// The entity as its journal holds it (a live entity never runs ahead of its journal):
  /// `{type, key, persistence_id, status, last_seq, last_event{event_type, seq, global_seq,
  /// written_at}, state, snapshot_seq}`. `not_found` (journal errc) when it has no events.
  virtual expected<nlohmann::json> inspect(std::string_view key) const = 0;
  /// Entities of this type in key order after `after`, at most `limit`, optionally only those
  /// with `status`. Passivated ones come from the journal.
  virtual expected<std::vector<std::pair<std::string, entity_status>>>
  list(std::optional<entity_status> status, std::string_view after, std::size_t limit) const = 0;
};

struct runtime_options {
  unsigned scheduler_threads = 0; ///< 0 = the machine's core count
};

/// The node's actor system: the scheduler, the supervisors of every plane's regions, and the
/// registry of entity types. CAF stays behind this pimpl.
class runtime {
public:
  static expected<std::unique_ptr<runtime>> start(journal::journal& j, runtime_options o = {});
  ~runtime(); ///< shutdown() if not done yet

  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  journal::journal& journal() const;
  std::vector<const entity_type_view*> types() const;
  const entity_type_view* type(std::string_view name) const;

  /// Stops taking new commands (they fail with `stopped`), waits up to `grace` for commands
  /// in flight (their persists finish and their replies leave), then stops every actor.
  void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));
  bool stopping() const;

  struct impl;
  impl& internals() const { return *impl_; }

private:
  explicit runtime(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace fp::actors
