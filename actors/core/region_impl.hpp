#pragma once

// The shard region of one entity type on CAF: `key -> partition (murmur2) -> shard actor ->
// entity`. Include this only from the one .cpp that registers an entity type (it pulls in
// CAF); everything else talks to the region through entity_client<Def> (region.hpp).
//
// Who owns what:
// - A shard actor hosts the entities of its keys. Each entity is a lightweight actor inside
//   it: its own queue of commands (the stash), processed strictly one command at a time, its
//   state, rebuilt from the journal. A CAF actor per entity would cost ~1.3 KB and a mailbox
//   hop per command; hosted, an entity costs a map node and a command costs one message.
// - An entity recovers (snapshot + tail) once the shard holds a recovery permit for it: the
//   shard recovers every entity waiting at that moment in one journal pass (recover_many). It
//   handles one command at a time, persists before it replies, and snapshots every N events.
//   Commands arriving while it recovers or persists wait in its stash, in order.
// - The shard supervises its entities: a throwing entity is restarted from its journal with
//   exponential backoff and its unanswered command is re-delivered; after max_crashes on the
//   same command it is quarantined. Idle entities (and the least recently used beyond
//   max_live) passivate.
// - The journal's acknowledgements reach a shard through an inbox: one message per burst.
// - packet: a command with its reply callback. It is answered exactly once; one that is
//   destroyed unanswered answers `stopped`, so no command is ever dropped silently.

#include "actors/core/entity_table.hpp"
#include "actors/core/errc.hpp"
#include "actors/core/region.hpp"
#include "actors/core/region_state.hpp"
#include "actors/core/runtime_impl.hpp"
#include "actors/core/small_queue.hpp"
#include "bus/partitioner.hpp"
#include "journal/bulk_read.hpp"
#include "journal/bulk_write.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <concepts>
#include <exception>
#include <mutex>
#include <optional>

namespace fp::actors::detail {

template <class Def>
struct packet {
  std::string key;
  typename Def::command cmd;
  typename region_port<Def>::callback done;
  std::atomic<bool> answered{false};
  std::atomic<bool> succeeded{false}; ///< answered with a reply (read by the shard, best effort)
  std::atomic<std::int64_t>* in_flight = nullptr;

  void answer(expected<typename Def::reply> r) {
    if (answered.exchange(true))
      return;
    succeeded = r.has_value();
    done(std::move(r));
    if (in_flight != nullptr)
      --*in_flight;
  }
  ~packet() {
    if (!answered)
      answer(error{errc::stopped, "actors: " + std::string(Def::type) + " \"" + key +
                                      "\": the runtime stopped before the command ran"});
  }
};

template <class Def>
using packet_ptr = std::shared_ptr<packet<Def>>;

using recover_atom = caf::atom_constant<caf::atom("fp_recov")>;
using permit_atom = caf::atom_constant<caf::atom("fp_permit")>;
using restart_atom = caf::atom_constant<caf::atom("fp_restart")>;
using tick_atom = caf::atom_constant<caf::atom("fp_tick")>;
using idle_atom = caf::atom_constant<caf::atom("fp_idle")>;
using acks_atom = caf::atom_constant<caf::atom("fp_acks")>;
using stop_atom = caf::atom_constant<caf::atom("fp_stop")>;
using flush_atom = caf::atom_constant<caf::atom("fp_flush")>;
using commands_atom = caf::atom_constant<caf::atom("fp_cmds")>;

// -- the hosted entity ------------------------------------------------------------------------

enum class phase : std::uint8_t { recovering, ready, persisting, restarting, quarantined, failed };

/// What only a troubled entity needs (most never crash): kept out of line.
struct trouble {
  std::string reason; ///< why quarantined or failed
  std::string crash_fp;
  std::uint32_t crash_count = 0;
  std::string crash_what;
};

/// One entity, hosted by its shard actor: a mailbox (the stash) processed strictly one command
/// at a time, its state, and the shard's bookkeeping (LRU links, incarnation).
template <class Def>
struct hosted_entity {
  typename Def::state s{};
  std::uint64_t seq = 0;
  std::uint64_t since_snapshot = 0;
  std::uint64_t incarnation = 0;
  const std::string* key = nullptr; ///< the shard map's key (nodes never move)
  hosted_entity* newer = nullptr;   ///< LRU neighbours
  hosted_entity* older = nullptr;
  std::chrono::steady_clock::time_point last_active;
  small_queue<packet_ptr<Def>> stash; ///< commands waiting, in arrival order
  packet_ptr<Def> current;            ///< the command being handled or persisted
  std::vector<typename Def::event> pending;
  std::unique_ptr<detail::trouble> trouble;
  std::atomic<phase> ph{phase::recovering}; ///< the inspection view reads it too

  detail::trouble& troubled() {
    if (!trouble)
      trouble = std::make_unique<detail::trouble>();
    return *trouble;
  }
  bool serving() const {
    auto p = ph.load(std::memory_order_relaxed);
    return p == phase::ready || p == phase::quarantined || p == phase::failed;
  }
};

/// Empties an entity's pending events and gives their buffer back: a vector keeps its
/// capacity when cleared, and every live entity would hold its last command's events' worth.
template <class Def>
void drop_pending(hosted_entity<Def>& e) {
  std::vector<typename Def::event>{}.swap(e.pending);
}

/// Journal acknowledgements on their way to a shard: the writer thread adds them and wakes the
/// shard once per burst, so one commit costs a shard one message, not one per entity.
template <class Def>
struct ack_inbox {
  struct item {
    hosted_entity<Def>* e; ///< persisting entities stay put until their ack is handled
    expected<journal::append_result> r;
  };
  std::mutex mu;
  std::vector<item> items;
};

inline entity_status status_of(phase p) {
  switch (p) {
  case phase::recovering:
  case phase::restarting:
    return entity_status::recovering;
  case phase::ready:
  case phase::persisting:
    return entity_status::live;
  case phase::quarantined:
  case phase::failed:
    break;
  }
  return entity_status::quarantined;
}

/// Commands on their way to a shard: callers add them and wake the shard once per burst (one
/// CAF message per burst, not one per command). Once the shard stopped it is closed, and a
/// command arriving then is answered `stopped` at once.
template <class Def>
struct packet_inbox {
  std::mutex mu;
  std::vector<packet_ptr<Def>> items;
  bool closed = false;
};

template <class Def>
struct shard_state : region_state::status_source {
  std::shared_ptr<region_state> shared;
  /// The shard alone reads and writes it; inserts and erases also hold `dir_mu`, so the
  /// inspection view can walk it (visit) from another thread.
  entity_table<hosted_entity<Def>> entities;
  mutable std::mutex dir_mu;
  hosted_entity<Def>* newest = nullptr; ///< LRU ends
  hosted_entity<Def>* oldest = nullptr;
  small_queue<hosted_entity<Def>*> to_recover;
  bool recovery_scheduled = false;
  bool waiting_permit = false;
  std::shared_ptr<ack_inbox<Def>> acks = std::make_shared<ack_inbox<Def>>();
  std::vector<typename ack_inbox<Def>::item> acks_scratch;
  std::shared_ptr<packet_inbox<Def>> commands;
  std::vector<packet_ptr<Def>> commands_scratch;
  std::vector<journal::append_request> outbox; ///< appends of this burst, not yet queued
  struct effect_append {
    hosted_entity<Def>* e;
    effect<typename Def::event> fx;
  };
  std::vector<effect_append> effect_outbox; ///< appends with a side effect, not yet queued
  bool flush_scheduled = false;
  std::size_t persisting = 0;
  std::uint64_t next_incarnation = 1;
  std::uint64_t max_live = 1;
  bool stopping = false;
  static inline const char* name = "fp_shard";

  ~shard_state() override {
    if (shared)
      shared->remove_source(this);
  }
  void visit(const std::function<void(const std::string&, entity_status)>& fn) const override {
    std::lock_guard guard{dir_mu};
    entities.for_each([&](const std::string& key, const hosted_entity<Def>& e) {
      fn(key, status_of(e.ph.load(std::memory_order_relaxed)));
    });
  }
};

template <class Def>
using shard_actor = caf::stateful_actor<shard_state<Def>>;

/// The shard running on this thread, if any. Reply callbacks run inside a shard; a command
/// they send next is then enqueued from that shard's context (CAF runs it on the same worker)
/// instead of waking another scheduler thread through the central queue.
inline thread_local caf::event_based_actor* current_host = nullptr;

struct hosting {
  caf::event_based_actor* prev;
  explicit hosting(caf::event_based_actor* self)
      : prev(current_host) {
    current_host = self;
  }
  ~hosting() { current_host = prev; }
  hosting(const hosting&) = delete;
  hosting& operator=(const hosting&) = delete;
};

/// Commands of one recovery batch at most (permits permitting).
constexpr std::size_t max_recovery_batch = 256;

template <class Def>
error entity_error(const hosted_entity<Def>& e, errc code, const std::string& what) {
  return error{code, "actors: " + std::string(Def::type) + " \"" + *e.key + "\": " + what};
}

inline std::string what_of(std::exception_ptr eptr) {
  try {
    std::rethrow_exception(eptr);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
  }
  return "unknown exception";
}

// -- LRU --------------------------------------------------------------------------------------

template <class Def>
void lru_unlink(shard_state<Def>& st, hosted_entity<Def>& e) {
  (e.newer ? e.newer->older : st.newest) = e.older;
  (e.older ? e.older->newer : st.oldest) = e.newer;
  e.newer = e.older = nullptr;
}

template <class Def>
void lru_push_newest(shard_state<Def>& st, hosted_entity<Def>& e) {
  e.older = st.newest;
  e.newer = nullptr;
  (st.newest ? st.newest->newer : st.oldest) = &e;
  st.newest = &e;
  e.last_active = std::chrono::steady_clock::now();
}

template <class Def>
void touch(shard_state<Def>& st, hosted_entity<Def>& e) {
  if (st.newest != &e) {
    lru_unlink(st, e);
    lru_push_newest(st, e);
  } else {
    e.last_active = std::chrono::steady_clock::now();
  }
}

/// Forgets an entity (its stashed commands, if any, answer `stopped` as they are destroyed).
template <class Def>
void drop(shard_state<Def>& st, hosted_entity<Def>& e) {
  lru_unlink(st, e);
  auto key = *e.key; // the map owns the string `e.key` points to
  std::lock_guard guard{st.dir_mu};
  st.entities.erase(key);
}

template <class Def>
bool can_passivate(const hosted_entity<Def>& e) {
  return e.serving() && e.stash.empty() && !e.current;
}

template <class Def>
void passivate(shard_state<Def>& st, hosted_entity<Def>& e) {
  st.shared->counters.passivated++;
  drop(st, e);
}

/// Idle entities a shard passivates before it turns to its mailbox again: a tick that finds
/// tens of thousands idle (a burst of new keys a passivation period ago) would otherwise hold
/// every command to that shard for as long as it takes to drop them all.
inline constexpr std::size_t passivations_per_turn = 512;

/// Passivates entities idle for `passivate_after`, oldest first, at most
/// `passivations_per_turn`; true when more idle ones remain.
template <class Def>
bool passivate_idle(shard_state<Def>& st) {
  auto now = std::chrono::steady_clock::now();
  auto idle = st.shared->opts.passivate_after;
  std::size_t done = 0;
  for (auto* e = st.oldest; e != nullptr;) {
    if (now - e->last_active < idle)
      return false; // the rest were used more recently
    if (done == passivations_per_turn)
      return true;
    auto* next = e->newer;
    if (can_passivate(*e)) {
      passivate(st, *e);
      ++done;
    }
    e = next;
  }
  return false;
}

// -- recovery ---------------------------------------------------------------------------------

template <class Def>
void process_next(shard_actor<Def>* self, hosted_entity<Def>& e);

/// Rebuilds `batch` from the journal in one pass (newest decodable snapshot, then the later
/// events, per entity: journal::recover_many). Never throws: a journal or decode failure
/// leaves that entity `failed` with the reason, and the others recover.
template <class Def>
void recover_batch(shard_actor<Def>* self, const std::vector<hosted_entity<Def>*>& batch) {
  auto& st = self->state;
  struct outcome {
    bool quarantined = false;
    std::string quarantine_reason;
    std::string failure;
  };
  std::vector<outcome> out(batch.size());
  std::vector<std::string> pids;
  pids.reserve(batch.size());
  for (auto* e : batch) {
    pids.push_back(persistence_id(Def::type, *e->key));
    e->ph = phase::recovering;
    e->s = typename Def::state{};
    e->seq = 0;
    e->since_snapshot = 0;
  }
  auto threw = [&](std::size_t i) {
    out[i].failure = "a decoder or apply threw: " + what_of(std::current_exception());
  };
  auto results = journal::recover_many(
      *st.shared->journal, pids,
      [&](std::size_t i, const journal::record_view& r) {
        if (!out[i].failure.empty())
          return true; // stop trying snapshots; the entity fails
        try {
          auto decoded = Def::decode_state(r);
          if (!decoded)
            return false;
          batch[i]->s = std::move(*decoded);
          return true;
        } catch (...) {
          threw(i);
          return true;
        }
      },
      [&](std::size_t i, const journal::record_view& r) {
        if (!out[i].failure.empty())
          return false;
        if (r.event_type == quarantine_event_type) {
          out[i].quarantined = true;
          out[i].quarantine_reason = std::string(r.payload);
          return true;
        }
        try {
          auto ev = Def::decode(r);
          if (!ev) {
            out[i].failure = "event seq " + std::to_string(r.seq) + ": " + ev.error().message();
            return false;
          }
          Def::apply(batch[i]->s, *ev);
          return true;
        } catch (...) {
          threw(i);
          return false;
        }
      });
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& e = *batch[i];
    auto& o = out[i];
    if (!results[i]) {
      o.failure = results[i].error().message();
    } else {
      e.seq = results[i]->last_seq;
      if (!results[i]->fallback_reason.empty())
        st.shared->counters.snapshot_fallbacks++;
    }
    if (!o.failure.empty()) {
      e.ph = phase::failed;
      e.troubled().reason = "recovery failed: " + o.failure;
    } else if (o.quarantined) {
      e.ph = phase::quarantined;
      e.troubled().reason = std::move(o.quarantine_reason);
    } else {
      e.ph = phase::ready;
    }
    st.shared->counters.recovered++;
  }
}

template <class Def>
void schedule_recovery(shard_actor<Def>* self) {
  auto& st = self->state;
  if (st.recovery_scheduled || st.waiting_permit || st.to_recover.empty())
    return;
  st.recovery_scheduled = true;
  self->send(self, recover_atom::value); // after the commands already queued: they batch
}

template <class Def>
void queue_recovery(shard_actor<Def>* self, hosted_entity<Def>& e) {
  e.ph = phase::recovering;
  self->state.to_recover.push_back(&e);
  schedule_recovery(self);
}

/// Recovers the entities waiting for it, as many at once as the region's recovery permits
/// allow; `held` permits are already this shard's.
template <class Def>
void run_recoveries(shard_actor<Def>* self, std::uint32_t held) {
  auto& st = self->state;
  auto& gate = st.shared->gate;
  auto want = static_cast<std::uint32_t>(std::min(st.to_recover.size(), max_recovery_batch));
  if (st.stopping || want == 0) {
    gate.release(held);
    return;
  }
  if (held > want) {
    gate.release(held - want); // more than this shard waits for: the next waiter's
    held = want;
  }
  if (held < want) {
    caf::actor me = caf::actor_cast<caf::actor>(self);
    std::function<void(std::uint32_t)> wake;
    if (held == 0)
      wake = [me](std::uint32_t n) { caf::anon_send(me, permit_atom::value, n); };
    held += gate.acquire(want - held, wake);
  }
  if (held == 0) {
    st.waiting_permit = true; // `wake` brings some
    return;
  }
  struct permits {
    recovery_gate& gate;
    std::uint32_t n;
    ~permits() { gate.release(n); }
  } hold{gate, held};
  std::vector<hosted_entity<Def>*> batch;
  batch.reserve(held);
  while (batch.size() < held && !st.to_recover.empty()) {
    batch.push_back(st.to_recover.front());
    st.to_recover.pop_front();
  }
  recover_batch(self, batch);
  for (auto* e : batch)
    process_next(self, *e);
  schedule_recovery(self);
}

// -- commands ---------------------------------------------------------------------------------

template <class Def>
void crash(shard_actor<Def>* self, hosted_entity<Def>& e, const std::string& what);

template <class Def>
void succeeded(hosted_entity<Def>& e) {
  if (e.trouble)
    e.trouble->crash_count = 0; // a success ends a run of crashes
}

/// Whether `Def` declares side effects (`Def::effect_for`, see entity.hpp).
template <class Def>
concept has_effect = requires(const typename Def::state& s, const typename Def::command& c,
                              const std::vector<typename Def::event>& evs) {
  { Def::effect_for(s, c, evs) } -> std::same_as<std::optional<effect<typename Def::event>>>;
};

/// The journal's answer to an entity's append, handed to its shard's ack inbox.
template <class Def>
journal::journal::append_callback ack_callback(shard_actor<Def>* self, hosted_entity<Def>& e) {
  caf::actor me = caf::actor_cast<caf::actor>(self);
  return [inbox = self->state.acks, me, ep = &e](expected<journal::append_result> r) {
    bool first = false;
    {
      std::lock_guard guard{inbox->mu};
      first = inbox->items.empty();
      inbox->items.push_back({ep, std::move(r)});
    }
    if (first)
      caf::anon_send(me, acks_atom::value);
  };
}

/// Queues the appends that carry a side effect, in one order across the runtime: each one's
/// `seal` runs and its append is queued under the runtime's effects lock. A seal or encoder
/// that throws fails that append (the entity reloads and answers `persist_failed`).
template <class Def>
void flush_effects(shard_actor<Def>* self) {
  auto& st = self->state;
  if (st.effect_outbox.empty())
    return;
  auto& j = *st.shared->journal;
  std::lock_guard guard{st.shared->rt->effects_mu};
  for (auto& item : st.effect_outbox) {
    auto& e = *item.e;
    auto done = ack_callback(self, e);
    std::vector<journal::event_data> data;
    std::optional<std::string> failure;
    try {
      if (item.fx.seal)
        item.fx.seal(e.pending);
      data.reserve(e.pending.size());
      for (auto& ev : e.pending)
        data.push_back(Def::encode(ev));
    } catch (...) {
      failure = "sealing or encoding the events threw: " + what_of(std::current_exception());
    }
    if (failure) {
      if (item.fx.complete)
        item.fx.complete(false);
      done(entity_error(e, errc::persist_failed, *failure));
      continue;
    }
    auto then = [complete = std::move(item.fx.complete),
                 done = std::move(done)](expected<journal::append_result> r) {
      if (complete)
        complete(r.has_value());
      done(std::move(r));
    };
    auto pid = persistence_id(Def::type, *e.key);
    if (item.fx.fn)
      j.append_async(std::move(pid), e.seq, std::move(data), std::move(item.fx.fn),
                     std::move(then));
    else
      j.append_async(std::move(pid), e.seq, std::move(data), std::move(then));
  }
  st.effect_outbox.clear();
}

template <class Def>
void handle_command(shard_actor<Def>* self, hosted_entity<Def>& e, const packet_ptr<Def>& p) {
  auto& st = self->state;
  if (p->answered)
    return; // re-delivered after a restart but already answered
  if (e.ph == phase::quarantined || e.ph == phase::failed) {
    p->answer(entity_error(e, e.ph == phase::failed ? errc::recovery_failed : errc::quarantined,
                           e.trouble ? e.trouble->reason : std::string()));
    return;
  }
  st.shared->counters.commands++;
  e.current = p;
  std::vector<journal::event_data> data;
  std::optional<effect<typename Def::event>> fx;
  try {
    auto events = Def::handle(e.s, p->cmd);
    if (!events) {
      st.shared->counters.rejected++;
      e.current = nullptr;
      p->answer(entity_error(e, errc::rejected, events.error().message()));
      return;
    }
    if (events->empty()) {
      // reply_for may throw while `current` still names the command: nothing was persisted,
      // so the restart's re-delivery is right.
      auto reply = Def::reply_for(e.s, p->cmd);
      e.current = nullptr;
      succeeded(e);
      p->answer(std::move(reply));
      return;
    }
    if constexpr (has_effect<Def>) {
      fx = Def::effect_for(e.s, p->cmd, *events);
    }
    if (!fx) {
      data.reserve(events->size());
      for (auto& ev : *events)
        data.push_back(Def::encode(ev));
    }
    e.pending = std::move(*events);
  } catch (...) {
    crash(self, e, what_of(std::current_exception()));
    return;
  }
  e.ph = phase::persisting;
  ++st.persisting;
  if (fx)
    st.effect_outbox.push_back({&e, std::move(*fx)}); // encoded when queued, after its seal
  else
    st.outbox.push_back(journal::append_request{persistence_id(Def::type, *e.key), e.seq,
                                                std::move(data), ack_callback(self, e)});
  if (!st.flush_scheduled) {
    // After the commands already queued: the burst reaches the journal writer at once.
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

template <class Def>
void on_persisted(shard_actor<Def>* self, hosted_entity<Def>& e,
                  expected<journal::append_result>& res) {
  auto& st = self->state;
  --st.persisting;
  auto p = std::move(e.current);
  e.current = nullptr;
  if (!res) {
    // The journal refused or failed the append: nothing of it is durable. Reload so memory
    // can never run ahead of the journal, and tell the caller why.
    st.shared->counters.persist_failures++;
    drop_pending(e);
    e.ph = phase::ready;
    if (p)
      p->answer(entity_error(e, errc::persist_failed, res.error().to_string()));
    if (!st.stopping)
      recover_batch(self, {&e}); // a rare path: no recovery permit needed
    return;
  }
  // The events are durable: if applying them or building the reply throws, the command is
  // answered here (it must not be re-delivered after the restart) and the entity restarts.
  std::optional<typename Def::reply> reply;
  try {
    for (auto& ev : e.pending)
      Def::apply(e.s, ev);
    if (p)
      reply = Def::reply_for(e.s, p->cmd);
  } catch (...) {
    auto what = what_of(std::current_exception());
    if (p)
      p->answer(entity_error(e, errc::crashed, "events persisted, then the entity threw: " + what));
    drop_pending(e);
    e.ph = phase::ready;
    crash(self, e, what);
    return;
  }
  st.shared->counters.events_persisted += e.pending.size();
  e.since_snapshot += e.pending.size();
  drop_pending(e);
  e.seq = res->last_seq;
  e.ph = phase::ready;
  succeeded(e);
  if (p)
    p->answer(std::move(*reply));
  auto every = st.shared->opts.snapshot_every;
  if (every > 0 && e.since_snapshot >= every) {
    e.since_snapshot = 0;
    std::string bytes;
    try {
      bytes = Def::encode_state(e.s);
    } catch (...) {
      crash(self, e, what_of(std::current_exception()));
      return;
    }
    auto shared = st.shared;
    st.shared->journal->save_snapshot_async(
        persistence_id(Def::type, *e.key), e.seq,
        journal::event_data{std::string(Def::type) + ".snapshot", Def::state_version(),
                            std::move(bytes)},
        [shared](expected<std::uint64_t> r) {
          if (r)
            shared->counters.snapshots_taken++;
        });
  }
}

template <class Def>
void process_next(shard_actor<Def>* self, hosted_entity<Def>& e) {
  while (!e.stash.empty() && e.serving()) {
    auto p = std::move(e.stash.front());
    e.stash.pop_front();
    handle_command(self, e, p);
  }
}

// -- supervision ------------------------------------------------------------------------------

/// The entity threw: its state is discarded and rebuilt from the journal after a backoff, and
/// the command it had not answered goes back ahead of the rest; after max_crashes on the same
/// command the verdict is journaled and the entity recovers into quarantine.
template <class Def>
void crash(shard_actor<Def>* self, hosted_entity<Def>& e, const std::string& what) {
  auto& st = self->state;
  auto& t = e.troubled();
  std::string fp = "(no command)";
  if (e.current) {
    try {
      fp = Def::fingerprint(e.current->cmd);
    } catch (...) {
    }
  }
  if (t.crash_fp == fp) {
    ++t.crash_count;
  } else {
    t.crash_fp = fp;
    t.crash_count = 1;
  }
  t.crash_what = what;
  st.shared->counters.restarted++;
  small_queue<packet_ptr<Def>> redo;
  if (e.current && !e.current->answered)
    redo.push_back(std::move(e.current));
  e.current = nullptr;
  for (auto& p : e.stash)
    redo.push_back(std::move(p));
  e.stash = std::move(redo);
  drop_pending(e);
  e.s = typename Def::state{};
  e.seq = 0;
  // A new incarnation: timers of the old one are ignored.
  e.incarnation = st.next_incarnation++;
  if (t.crash_count >= st.shared->opts.max_crashes) {
    // Journal the verdict durably, then recover: the entity comes back quarantined and
    // answers the poison command and everything after it with the reason.
    auto reason = "crashed " + std::to_string(t.crash_count) + " times on command " + t.crash_fp +
                  ": " + t.crash_what;
    t.crash_count = 0;
    if (auto ok = st.shared->quarantine(*e.key, reason); !ok) {
      for (auto& p : e.stash)
        p->answer(error{errc::crashed,
                        "actors: " + std::string(Def::type) + " \"" + *e.key + "\": " + reason +
                            "; quarantine not journaled: " + ok.error().to_string()});
      e.stash.clear();
    }
    queue_recovery(self, e);
    return;
  }
  e.ph = phase::restarting;
  auto delay = st.shared->opts.backoff_min * (1u << std::min<std::uint32_t>(t.crash_count, 16));
  delay = std::min(delay, st.shared->opts.backoff_max);
  self->delayed_send(self, delay, restart_atom::value, *e.key, e.incarnation);
}

// -- the shard actor --------------------------------------------------------------------------

template <class Def>
void forward(shard_actor<Def>* self, const packet_ptr<Def>& p) {
  auto& st = self->state;
  if (st.shared->rt->stopping || st.stopping) {
    p->answer(error{errc::stopped, "actors: " + std::string(Def::type) + " \"" + p->key +
                                       "\": the node is shutting down"});
    return;
  }
  auto* n = st.entities.find(p->key);
  if (n == nullptr) {
    {
      std::lock_guard guard{st.dir_mu};
      n = st.entities.try_emplace(p->key).first;
    }
    auto& e = n->value;
    e.key = &n->key;
    e.incarnation = st.next_incarnation++;
    lru_push_newest(st, e);
    e.stash.push_back(p);
    queue_recovery(self, e);
    // Over the live limit: passivate the least recently used idle entity.
    if (st.entities.size() > st.max_live) {
      int looked = 0;
      for (auto* v = st.oldest; v != nullptr && looked < 16; v = v->newer, ++looked) {
        if (can_passivate(*v)) {
          passivate(st, *v);
          break;
        }
      }
    }
    return;
  }
  auto& e = n->value;
  touch(st, e);
  if (e.serving() && e.stash.empty()) {
    handle_command(self, e, p);
    return;
  }
  e.stash.push_back(p);
}

/// Stops once no append is in flight: its caller must hear the journal's verdict.
template <class Def>
void quit_if_idle(shard_actor<Def>* self) {
  auto& st = self->state;
  if (!st.stopping || st.persisting > 0)
    return;
  std::vector<packet_ptr<Def>> late;
  {
    std::lock_guard guard{st.commands->mu};
    st.commands->closed = true;
    late.swap(st.commands->items);
  }
  for (auto& p : late)
    forward(self, p); // answers `stopped`
  self->quit(caf::exit_reason::user_shutdown);
}

template <class Def>
void on_commands(shard_actor<Def>* self) {
  auto& st = self->state;
  st.commands_scratch.clear();
  {
    std::lock_guard guard{st.commands->mu};
    st.commands_scratch.swap(st.commands->items);
  }
  for (auto& p : st.commands_scratch)
    forward(self, p);
  st.commands_scratch.clear();
}

template <class Def>
void on_acks(shard_actor<Def>* self) {
  auto& st = self->state;
  st.acks_scratch.clear();
  {
    std::lock_guard guard{st.acks->mu};
    st.acks_scratch.swap(st.acks->items);
  }
  for (auto& item : st.acks_scratch) {
    auto& e = *item.e;
    on_persisted(self, e, item.r);
    if (st.stopping && e.ph != phase::persisting)
      drop(st, e); // stashed commands answer `stopped`
    else
      process_next(self, e);
  }
  st.acks_scratch.clear();
  quit_if_idle(self);
}

template <class Def>
caf::behavior shard_behavior(shard_actor<Def>* self, std::shared_ptr<region_state> shared,
                             std::shared_ptr<packet_inbox<Def>> commands) {
  auto& st = self->state;
  st.shared = std::move(shared);
  st.commands = std::move(commands);
  st.shared->add_source(&st);
  st.max_live = std::max<std::uint64_t>(1, st.shared->opts.max_live / st.shared->opts.shards);
  auto tick = std::max(std::chrono::milliseconds(20), st.shared->opts.passivate_after / 4);
  self->delayed_send(self, tick, tick_atom::value);
  return {
      [self](commands_atom) {
        hosting h{self};
        on_commands(self);
      },
      [self](acks_atom) {
        hosting h{self};
        on_acks(self);
      },
      [self](flush_atom) {
        auto& s = self->state;
        s.flush_scheduled = false;
        journal::append_many_async(*s.shared->journal, s.outbox);
        flush_effects(self);
      },
      [self](recover_atom) {
        hosting h{self};
        self->state.recovery_scheduled = false;
        run_recoveries(self, 0);
      },
      [self](permit_atom, std::uint32_t n) {
        hosting h{self};
        self->state.waiting_permit = false;
        run_recoveries(self, n);
      },
      [self](restart_atom, const std::string& key, std::uint64_t incarnation) {
        hosting h{self};
        auto& s = self->state;
        auto* n = s.entities.find(key);
        if (s.stopping || n == nullptr || n->value.incarnation != incarnation ||
            n->value.ph != phase::restarting)
          return;
        queue_recovery(self, n->value);
      },
      [self](stop_atom) {
        hosting h{self};
        auto& s = self->state;
        s.stopping = true;
        // Entities without an append in flight go now; their waiting commands answer `stopped`.
        s.to_recover.clear();
        std::vector<hosted_entity<Def>*> idle;
        s.entities.for_each([&](const std::string&, hosted_entity<Def>& e) {
          if (e.ph != phase::persisting)
            idle.push_back(&e);
        });
        for (auto* e : idle)
          drop(s, *e);
        quit_if_idle(self);
      },
      [self](tick_atom) {
        auto& s = self->state;
        if (passivate_idle(s))
          self->send(self, idle_atom::value);
        auto next = std::max(std::chrono::milliseconds(20), s.shared->opts.passivate_after / 4);
        self->delayed_send(self, next, tick_atom::value);
      },
      [self](idle_atom) { // the rest of a tick's idle entities, after the commands that came
        if (passivate_idle(self->state))
          self->send(self, idle_atom::value);
      },
  };
}

// -- the region -------------------------------------------------------------------------------

template <class Def>
class region final : public region_port<Def> {
public:
  struct shard_ref {
    caf::actor actor;
    std::shared_ptr<packet_inbox<Def>> commands;
  };

  region(std::shared_ptr<region_state> shared, std::vector<shard_ref> shards)
      : shared_(std::move(shared))
      , shards_(std::move(shards))
      , system_(&shards_.front().actor->home_system()) {}

  void dispatch(std::string key, typename Def::command cmd,
                typename region_port<Def>::callback done) override {
    if (key.empty() || key.size() > max_key_bytes) {
      done(error{errc::bad_key, "actors: " + std::string(Def::type) + " key must be 1.." +
                                    std::to_string(max_key_bytes) + " bytes"});
      return;
    }
    if (shared_->rt->stopping) {
      done(error{errc::stopped, "actors: the node is shutting down"});
      return;
    }
    auto p = std::make_shared<packet<Def>>();
    p->key = std::move(key);
    p->cmd = std::move(cmd);
    p->done = std::move(done);
    p->in_flight = &shared_->rt->in_flight;
    ++shared_->rt->in_flight;
    auto partition = bus::partition_for(p->key, shared_->opts.partitions);
    auto& shard = shards_[static_cast<std::size_t>(partition) % shards_.size()];
    bool first = false;
    {
      std::lock_guard guard{shard.commands->mu};
      if (!shard.commands->closed) {
        first = shard.commands->items.empty();
        shard.commands->items.push_back(std::move(p));
      }
    }
    if (p) { // the shard has stopped
      p->answer(error{errc::stopped, "actors: the node is shutting down"});
      return;
    }
    if (!first)
      return; // the shard's wake-up is on its way
    // From inside a shard of the same actor system, the wake-up is scheduled on this worker.
    if (auto* host = current_host; host != nullptr && &host->home_system() == system_)
      host->send(shard.actor, commands_atom::value);
    else
      caf::anon_send(shard.actor, commands_atom::value);
  }

private:
  std::shared_ptr<region_state> shared_;
  std::vector<shard_ref> shards_;
  caf::actor_system* system_;
};

/// The entity's state rebuilt from its journal (snapshot + tail), for inspection.
template <class Def>
expected<void> inspect_state(std::string_view pid, journal::journal& j, nlohmann::json& out) {
  typename Def::state s{};
  std::string failure;
  nlohmann::json last = nullptr;
  std::string quarantine_reason;
  auto report = j.recover(
      pid,
      [&](const journal::record_view& r) {
        auto decoded = Def::decode_state(r);
        if (!decoded)
          return false;
        s = std::move(*decoded);
        return true;
      },
      [&](const journal::record_view& r) {
        last = nlohmann::json{{"event_type", std::string(r.event_type)},
                              {"seq", r.seq},
                              {"global_seq", r.global_seq},
                              {"written_at", rfc3339_ns(r.written_at_ns)}};
        if (r.event_type == quarantine_event_type) {
          quarantine_reason = std::string(r.payload);
          return true;
        }
        auto ev = Def::decode(r);
        if (!ev) {
          failure = "event seq " + std::to_string(r.seq) + ": " + ev.error().message();
          return false;
        }
        Def::apply(s, *ev);
        return true;
      });
  if (!report)
    return report.error();
  if (report->last_seq == 0)
    return error{journal::errc::not_found,
                 "actors: no entity " + std::string(pid) + " in the journal"};
  out["last_seq"] = report->last_seq;
  out["snapshot_seq"] = report->snapshot_seq;
  out["last_event"] = last;
  out["state"] = Def::to_json(s);
  if (!quarantine_reason.empty())
    out["quarantine_reason"] = quarantine_reason;
  if (!failure.empty())
    out["recovery_error"] = failure;
  return {};
}

/// Starts the region of `Def` in `rt` and registers it for inspection.
template <class Def>
entity_client<Def> start_region(runtime& rt, const entity_options& opts) {
  auto& impl = rt.internals();
  auto shared = std::make_shared<region_state>(impl, opts, Def::type, Def::plane);
  shared->state_json = [](std::string_view pid, journal::journal& j,
                          nlohmann::json& out) -> expected<void> {
    return inspect_state<Def>(pid, j, out);
  };
  std::vector<typename region<Def>::shard_ref> shards;
  std::vector<caf::actor> actors;
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(1, opts.shards); ++i) {
    auto commands = std::make_shared<packet_inbox<Def>>();
    actors.push_back(impl.system->spawn(shard_behavior<Def>, shared, commands));
    shards.push_back({actors.back(), std::move(commands)});
  }
  auto view = make_view(shared);
  impl.add_view(std::move(view), [actors] {
    for (auto& s : actors)
      caf::anon_send(s, stop_atom::value);
  });
  return entity_client<Def>{std::make_shared<region<Def>>(shared, std::move(shards))};
}

} // namespace fp::actors::detail
