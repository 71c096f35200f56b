#pragma once

// The Ingestion Gate (seed 002, seed 001 section D): checks an event, decides on its
// AdmissionTuple entity, publishes it to its class's topic, writes the receipt, and answers
// only once the outcome is durable. One request per tuple runs at a time in this process (the
// others queue behind it), so a tuple found PUBLISH_IN_FLIGHT has no publisher here: it is
// marked PUBLISH_AMBIGUOUS and reconciled against the bus (scan the partition from the
// recorded end offset for its `fp.dedupe` header: found -> ADMITTED there, absent -> publish
// once). A start-up sweep does the same for tuples a crash left unresolved, and backfills
// receipts whose write failed.
//
// Threads: callbacks run on actor, bus and journal threads and only hand work on; scans and
// timers run on the gate's own two threads.

#include "actors/core/entity.hpp"
#include "actors/ingress/ig/admission.hpp"
#include "actors/ingress/ig/policy.hpp"
#include "actors/ingress/ig/types.hpp"
#include "schemas/expected.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fp::actors {
class runtime;
}
namespace fp::bus {
class event_bus;
}
namespace fp::journal {
class object_store;
}

namespace fp::ig {

struct gate_options {
  std::string service_release_id = "unknown";
  std::chrono::milliseconds publish_timeout{10'000};
  std::function<std::int64_t()> clock_ns; ///< wall clock (UTC ns); tests pass their own
  actors::entity_options entities;
  /// The start-up sweep lists tuples this many at a time, so its memory does not grow with
  /// the number of tuples ever admitted.
  std::size_t sweep_chunk = 4096;
};

/// An answer: the HTTP status and body (section "Response shapes" in README.md).
struct ingest_result {
  int status = 200;
  std::string body;     ///< the JSON object answered, as text (no trailing newline)
  std::string decision; ///< ADMITTED, DUPLICATE or QUARANTINE; empty for an error
  std::string reason;   ///< a quarantine's code
  /// `body` parsed.
  nlohmann::ordered_json json() const;
};

/// An error answer: `{"error": {"code": ..., "message": ...}}` with `status`.
ingest_result error_result(int status, std::string_view code, std::string_view message);

/// Counters of one run (seed 001 section G), exported as `fp_ig_<name>_total`.
struct run_counters {
  std::uint64_t ig_received = 0, admitted = 0, duplicate = 0, quarantined = 0,
                publish_ambiguous = 0, receipts_written = 0, receipt_write_failed = 0;
  std::map<std::string, std::uint64_t> quarantined_by_reason;
};

class gate {
public:
  static expected<std::unique_ptr<gate>> start(actors::runtime& rt, bus::event_bus& bus,
                                               journal::object_store& objects, policy pol,
                                               gate_options opts);
  ~gate(); ///< stop()

  gate(const gate&) = delete;
  gate& operator=(const gate&) = delete;

  /// Checks and decides one event; `done` runs once (on some thread) with the durable outcome.
  void ingest(std::string body, std::function<void(ingest_result)> done);
  /// `ingest`, waiting up to `timeout` (then 504: the outcome may still land; resend).
  ingest_result ingest_wait(std::string body, std::chrono::milliseconds timeout);

  /// Opens a run (journaled on `ig_run/{platform_run_id}`); idempotent for the same pins.
  expected<void> open_run(const run_pins& pins);

  /// Called, on the request's thread, when an event names a run the gate has not opened yet,
  /// before it is quarantined as RUN_NOT_READY: WSP and IG consume READY independently, so
  /// an event may arrive before IG has handled its run's READY. The hook waits (bounded) until
  /// IG's READY consumer has handled every control record on the bus at the time of the call.
  void set_run_catch_up(std::function<void(std::string_view platform_run_id)> hook);
  std::optional<run_pins> run(std::string_view platform_run_id) const;
  std::vector<run_pins> runs() const;

  /// A tuple as its journal holds it (admin inspection).
  expected<std::optional<tuple_state>> tuple(const tuple_id& t) const;

  /// Reconciles tuples left in flight or ambiguous and backfills unwritten receipts, from the
  /// journal; runs on the gate's worker (start() schedules one). Returns at once.
  void sweep();
  /// Tuples the last sweeps and backfills still work on (0 when idle).
  std::uint64_t unresolved() const;

  std::map<std::string, run_counters> counters() const; ///< by platform_run_id
  /// By (platform_run_id, event_class); unparseable events under (`_invalid`, `_unclassified`).
  std::map<std::pair<std::string, std::string>, run_counters> class_counters() const;
  void health(std::vector<std::string>& red, std::vector<std::string>& amber) const;
  const policy& active_policy() const;

  /// Refuses new requests (503) and waits up to `grace` for those in flight.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  struct impl;

private:
  run_lookup run_lookup_fn();
  void admit(expected<checked_event> ev, std::function<void(ingest_result)> done);
  explicit gate(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// `fp.dedupe` and the other headers IG puts on an admitted record.
inline constexpr std::string_view dedupe_header = "fp.dedupe";

} // namespace fp::ig
