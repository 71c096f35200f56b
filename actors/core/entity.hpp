#pragma once

// How a plane defines an event-sourced entity type. This header is CAF-free: planes include
// it everywhere; only the one .cpp that registers the type includes region_impl.hpp.
//
// A definition is a struct of types and static functions:
//
//   struct account_def {
//     static constexpr std::string_view type = "account";  // persistence id "account/<key>"
//     static constexpr std::string_view plane = "testkit";
//     using state = ...;   using command = ...;   using event = ...;   using reply = ...;
//     // Validate a command against the state: the events to persist (none for a query), or a
//     // rejection (fp::error). Pure; time arrives inside the command, never from a clock.
//     static fp::expected<std::vector<event>> handle(const state&, const command&);
//     static void apply(state&, const event&);                    // pure
//     static reply reply_for(const state&, const command&);       // after the events applied
//     static fp::journal::event_data encode(const event&);        // versioned msgpack
//     static fp::expected<event> decode(const fp::journal::record_view&);
//     static std::string encode_state(const state&);              // snapshot bytes
//     static fp::expected<state> decode_state(const fp::journal::record_view&);
//     static std::uint32_t state_version();                       // snapshot schema_version
//     static nlohmann::json to_json(const state&);                // for inspection
//     static std::string fingerprint(const command&);             // names a command (poison)
//     // Optional: a side effect that commits in the same journal write as the events handle()
//     // returned (see `effect`); nullopt for none. Called right after handle().
//     static std::optional<fp::actors::effect<event>> effect_for(const state&, const command&,
//                                                                const std::vector<event>&);
//   };

#include "journal/tables.hpp"
#include "journal/types.hpp"
#include "schemas/expected.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fp::actors {

/// A side effect that a command's events carry into their journal write: `fn` runs in the
/// events' nested transaction (journal::append_async with a table function), so what it writes
/// to tables commits with the events or not at all. Persist-then-reply still holds: the entity
/// applies the events and replies only after the commit; if the write fails (the journal's
/// error or `fn`'s own), nothing of either is written, the entity reloads from its journal and
/// the command is answered `persist_failed`.
template <class Event>
struct effect {
  /// Optional. Runs on the shard when the append is handed to the journal, under a lock that
  /// every effect-carrying append of the runtime takes, so these appends reach the journal's
  /// queue in the order their `seal`s ran. It may complete the events with what only that
  /// order decides (the offset a record staged by `fn` will get, which `fn` then checks); the
  /// events are encoded after it. It must not block.
  std::function<void(std::vector<Event>&)> seal;
  /// Runs on the journal's writer thread inside the commit, after the events. It may run more
  /// than once (the journal retries a batch after growing the map): compute everything from
  /// the transaction and the captured inputs. An error fails the write.
  journal::txn_fn fn;
  /// Optional. Runs once on the journal's writer thread with the write's outcome (true =
  /// committed), before the entity applies the events and replies. Keep it short.
  std::function<void(bool committed)> complete;
};

/// Per entity type runtime settings (the profile's `policy.entities` section).
struct entity_options {
  std::uint32_t shards = 8;                          ///< shard actors of this type's region
  std::int32_t partitions = 64;                      ///< key -> partition (murmur2) -> shard
  std::uint64_t snapshot_every = 100;                ///< events between snapshots; 0 = never
  std::chrono::milliseconds passivate_after{60'000}; ///< idle time before passivation
  std::uint64_t max_live = 100'000;                  ///< live entities before LRU passivation
  std::uint32_t max_crashes = 3;                     ///< crashes on one command -> quarantine
  std::chrono::milliseconds backoff_min{10};         ///< first restart delay, doubled per crash
  std::chrono::milliseconds backoff_max{5'000};
  std::uint32_t max_concurrent_recoveries = 256; ///< per region
};

/// What an entity's status is, as the admin API shows it.
enum class entity_status { recovering, live, passivated, quarantined };
std::string_view to_string(entity_status s);

/// The persistence id of an entity: `<type>/<key>`.
std::string persistence_id(std::string_view type, std::string_view key);

/// Counters of one entity type. `passivated` is derived from the journal, not from memory.
struct entity_counts {
  std::uint64_t recovering = 0;
  std::uint64_t live = 0;
  std::uint64_t passivated = 0;
  std::uint64_t quarantined = 0;
};

/// Lifecycle events of one entity type, counted (not logged).
struct lifecycle_counters {
  std::uint64_t commands = 0;
  std::uint64_t rejected = 0;
  std::uint64_t events_persisted = 0;
  std::uint64_t recovered = 0;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t snapshot_fallbacks = 0;
  std::uint64_t passivated = 0;
  std::uint64_t restarted = 0;
  std::uint64_t quarantined = 0;
  std::uint64_t persist_failures = 0;
  std::uint64_t recoveries_in_flight_max = 0; ///< high-water mark of concurrent recoveries
};

} // namespace fp::actors
