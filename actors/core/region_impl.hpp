#pragma once

// The shard region of one entity type on CAF: `key -> partition (murmur2) -> shard actor ->
// entity actor`. Include this only from the one .cpp that registers an entity type (it pulls
// in CAF); everything else talks to the region through entity_client<Def> (region.hpp).
//
// Who owns what:
// - An entity actor owns its state and its stash. It recovers (snapshot + tail) once it holds
//   a recovery permit, handles one command at a time, persists before it replies, and snapshots
//   every N events. Commands arriving while it recovers or persists are stashed in order.
// - A shard actor owns the entities of its keys: it spawns them on demand, forwards commands,
//   passivates idle ones (and the least recently used beyond max_live), restarts crashed ones
//   with exponential backoff and re-delivers every command they had not answered, and
//   quarantines an entity that crashed max_crashes times on the same command.
// - packet: a command with its reply callback. It is answered exactly once; one that is
//   destroyed unanswered answers `stopped`, so no command is ever dropped silently.

#include "actors/core/errc.hpp"
#include "actors/core/region.hpp"
#include "actors/core/region_state.hpp"
#include "actors/core/runtime_impl.hpp"
#include "actors/core/small_queue.hpp"
#include "bus/partitioner.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <list>
#include <optional>
#include <unordered_map>

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

using passivate_atom = caf::atom_constant<caf::atom("fp_pass")>;
using refused_atom = caf::atom_constant<caf::atom("fp_refuse")>;
using permit_atom = caf::atom_constant<caf::atom("fp_permit")>;
using restart_atom = caf::atom_constant<caf::atom("fp_restart")>;
using tick_atom = caf::atom_constant<caf::atom("fp_tick")>;
using crashed_atom = caf::atom_constant<caf::atom("fp_crash")>;
using stop_atom = caf::atom_constant<caf::atom("fp_stop")>;

/// The journal's answer to an entity's append, carried back into the actor.
struct persist_result {
  expected<journal::append_result> result;
};
using persist_result_ptr = std::shared_ptr<persist_result>;

} // namespace fp::actors::detail

namespace caf {
template <class Def>
struct allowed_unsafe_message_type<fp::actors::detail::packet_ptr<Def>> : std::true_type {};
template <>
struct allowed_unsafe_message_type<fp::actors::detail::persist_result_ptr> : std::true_type {};
} // namespace caf

namespace fp::actors::detail {

// -- the entity actor -------------------------------------------------------------------------

enum class phase { waiting_permit, recovering, ready, persisting, quarantined, failed };

template <class Def>
struct entity_state {
  std::shared_ptr<region_state> shared;
  caf::actor shard;
  std::string key;
  std::string pid;
  std::uint64_t incarnation = 0;
  typename Def::state s{};
  std::uint64_t seq = 0;
  std::uint64_t since_snapshot = 0;
  phase ph = phase::waiting_permit;
  std::string reason; ///< why quarantined or failed
  small_queue<packet_ptr<Def>> stash;
  packet_ptr<Def> current;
  std::vector<typename Def::event> pending;
  bool stop_requested = false; ///< the node is stopping: quit once the persist in flight lands
  static inline const char* name = "fp_entity";
};

template <class Def>
using entity_actor = caf::stateful_actor<entity_state<Def>>;

template <class Def>
error entity_error(const entity_state<Def>& st, errc code, const std::string& what) {
  return error{code, "actors: " + std::string(Def::type) + " \"" + st.key + "\": " + what};
}

/// Rebuilds the entity from its journal: newest decodable snapshot, then the later events.
/// Never throws: a journal or decode failure leaves the entity `failed` with the reason.
template <class Def>
void recover(entity_actor<Def>* self) {
  auto& st = self->state;
  st.ph = phase::recovering;
  st.s = typename Def::state{};
  st.seq = 0;
  st.since_snapshot = 0;
  bool quarantined = false;
  std::string failure;
  expected<journal::recovery_report> report = journal::recovery_report{};
  try {
    report = st.shared->journal->recover(
        st.pid,
        [&](const journal::record_view& r) {
          auto decoded = Def::decode_state(r);
          if (!decoded)
            return false;
          st.s = std::move(*decoded);
          return true;
        },
        [&](const journal::record_view& r) {
          if (r.event_type == quarantine_event_type) {
            quarantined = true;
            st.reason = std::string(r.payload);
            return true;
          }
          auto ev = Def::decode(r);
          if (!ev) {
            failure = "event seq " + std::to_string(r.seq) + ": " + ev.error().message();
            return false;
          }
          Def::apply(st.s, *ev);
          return true;
        });
  } catch (const std::exception& e) {
    failure = std::string("a decoder or apply threw: ") + e.what();
  } catch (...) {
    failure = "a decoder or apply threw";
  }
  if (!report) {
    failure = report.error().message();
  } else {
    st.seq = report->last_seq;
    if (!report->fallback_reason.empty())
      st.shared->counters.snapshot_fallbacks++;
  }
  if (!failure.empty()) {
    st.ph = phase::failed;
    st.reason = "recovery failed: " + failure;
    st.shared->set_status(st.key, st.incarnation, entity_status::quarantined);
  } else if (quarantined) {
    st.ph = phase::quarantined;
    st.shared->set_status(st.key, st.incarnation, entity_status::quarantined);
  } else {
    st.ph = phase::ready;
    st.shared->set_status(st.key, st.incarnation, entity_status::live);
  }
  st.shared->counters.recovered++;
}

template <class Def>
void process_next(entity_actor<Def>* self);

template <class Def>
void handle_command(entity_actor<Def>* self, const packet_ptr<Def>& p) {
  auto& st = self->state;
  if (p->answered)
    return; // re-delivered after a restart but already answered
  if (st.ph == phase::quarantined || st.ph == phase::failed) {
    p->answer(entity_error(st, st.ph == phase::failed ? errc::recovery_failed : errc::quarantined,
                           st.reason));
    return;
  }
  st.shared->counters.commands++;
  st.current = p;
  auto events = Def::handle(st.s, p->cmd); // may throw: the supervisor takes over
  if (!events) {
    st.shared->counters.rejected++;
    st.current = nullptr;
    p->answer(entity_error(st, errc::rejected, events.error().message()));
    return;
  }
  if (events->empty()) {
    // reply_for may throw while `current` still names the command: nothing was persisted, so
    // the supervisor's re-delivery is right.
    auto reply = Def::reply_for(st.s, p->cmd);
    st.current = nullptr;
    p->answer(std::move(reply));
    return;
  }
  std::vector<journal::event_data> data;
  data.reserve(events->size());
  for (auto& e : *events)
    data.push_back(Def::encode(e));
  st.pending = std::move(*events);
  st.ph = phase::persisting;
  caf::actor me = caf::actor_cast<caf::actor>(self);
  st.shared->journal->append_async(
      st.pid, st.seq, std::move(data), [me](expected<journal::append_result> r) {
        caf::anon_send(me, std::make_shared<persist_result>(persist_result{std::move(r)}));
      });
}

template <class Def>
void on_persisted(entity_actor<Def>* self, const persist_result_ptr& res) {
  auto& st = self->state;
  auto p = std::move(st.current);
  st.current = nullptr;
  if (!res->result) {
    // The journal refused or failed the append: nothing of it is durable. Reload so memory
    // can never run ahead of the journal, and tell the caller why.
    st.shared->counters.persist_failures++;
    st.pending.clear();
    if (p)
      p->answer(entity_error(st, errc::persist_failed, res->result.error().to_string()));
    recover(self); // a rare path: no recovery permit needed
    return;
  }
  // The events are durable: if applying them or building the reply throws, the command is
  // answered here (it must not be re-delivered after the restart) and the entity crashes.
  std::optional<typename Def::reply> reply;
  auto crashed = [&](const std::string& what) {
    if (p)
      p->answer(
          entity_error(st, errc::crashed, "events persisted, then the entity threw: " + what));
  };
  try {
    for (auto& e : st.pending)
      Def::apply(st.s, e);
    if (p)
      reply = Def::reply_for(st.s, p->cmd);
  } catch (const std::exception& e) {
    crashed(e.what());
    throw;
  } catch (...) {
    crashed("unknown exception");
    throw;
  }
  st.shared->counters.events_persisted += st.pending.size();
  st.since_snapshot += st.pending.size();
  st.pending.clear();
  st.seq = res->result->last_seq;
  st.ph = phase::ready;
  if (p)
    p->answer(std::move(*reply));
  auto every = st.shared->opts.snapshot_every;
  if (every > 0 && st.since_snapshot >= every) {
    st.since_snapshot = 0;
    auto shared = st.shared;
    st.shared->journal->save_snapshot_async(
        st.pid, st.seq,
        journal::event_data{std::string(Def::type) + ".snapshot", Def::state_version(),
                            Def::encode_state(st.s)},
        [shared](expected<std::uint64_t> r) {
          if (r)
            shared->counters.snapshots_taken++;
        });
  }
}

template <class Def>
void process_next(entity_actor<Def>* self) {
  auto& st = self->state;
  while (!st.stash.empty() && st.ph != phase::persisting && st.ph != phase::recovering &&
         st.ph != phase::waiting_permit) {
    auto p = std::move(st.stash.front());
    st.stash.pop_front();
    handle_command(self, p);
  }
}

template <class Def>
void start_recovery(entity_actor<Def>* self) {
  struct permit {
    recovery_gate& gate;
    ~permit() { gate.release(); } // also when a decoder throws: a leaked permit stalls the region
  } held{self->state.shared->gate};
  recover(self);
  process_next(self);
}

template <class Def>
caf::behavior entity_behavior(entity_actor<Def>* self, std::shared_ptr<region_state> shared,
                              std::string key, std::uint64_t incarnation, caf::actor shard) {
  auto& st = self->state;
  st.shared = std::move(shared);
  st.key = std::move(key);
  st.pid = persistence_id(Def::type, st.key);
  st.incarnation = incarnation;
  st.shard = std::move(shard);
  st.shared->set_status(st.key, st.incarnation, entity_status::recovering);
  self->set_exception_handler(
      [](caf::scheduled_actor* ptr, std::exception_ptr& eptr) -> caf::error {
        auto* me = static_cast<entity_actor<Def>*>(ptr);
        auto& s = me->state;
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(eptr);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        auto fp = s.current ? Def::fingerprint(s.current->cmd) : std::string("(no command)");
        me->send(s.shard, crashed_atom::value, s.key, s.incarnation, fp, what);
        return caf::make_error(caf::sec::runtime_error, what);
      });
  auto shared_ptr = st.shared;
  auto key_copy = st.key;
  self->attach_functor([shared_ptr, key_copy, incarnation](const caf::error&) {
    shared_ptr->clear_status(key_copy, incarnation);
  });
  caf::actor me = caf::actor_cast<caf::actor>(self);
  if (st.shared->gate.try_acquire([me] { caf::anon_send(me, permit_atom::value); }))
    start_recovery(self);
  return {
      [self](const packet_ptr<Def>& p) {
        auto& s = self->state;
        if (s.ph == phase::ready || s.ph == phase::quarantined || s.ph == phase::failed) {
          if (s.stash.empty()) {
            handle_command(self, p);
            return;
          }
        }
        s.stash.push_back(p);
        process_next(self);
      },
      [self](const persist_result_ptr& res) {
        on_persisted(self, res);
        if (self->state.stop_requested) {
          self->quit(caf::exit_reason::user_shutdown); // stashed commands answer `stopped`
          return;
        }
        process_next(self);
      },
      [self](stop_atom) {
        // Never abandon a persist in flight: its caller must hear the journal's verdict.
        if (self->state.ph == phase::persisting)
          self->state.stop_requested = true;
        else
          self->quit(caf::exit_reason::user_shutdown);
      },
      [self](permit_atom) { start_recovery(self); },
      [self](passivate_atom) {
        auto& s = self->state;
        bool idle = s.stash.empty() &&
                    (s.ph == phase::ready || s.ph == phase::quarantined || s.ph == phase::failed);
        if (!idle) {
          self->send(s.shard, refused_atom::value, s.key, s.incarnation);
          return;
        }
        self->quit(); // normal exit: the shard records the passivation
      },
  };
}

// -- the shard actor --------------------------------------------------------------------------

template <class Def>
struct shard_state {
  struct slot {
    caf::actor actor;
    std::uint64_t incarnation = 0;
    enum class mode { active, passivating, restarting, quarantining } m = mode::active;
    small_queue<packet_ptr<Def>> sent;   ///< forwarded and maybe not yet answered
    small_queue<packet_ptr<Def>> buffer; ///< held while passivating or restarting
    std::string crash_fp;
    std::uint32_t crash_count = 0;
    std::string crash_what;
    bool crash_pending = false;
    std::chrono::steady_clock::time_point last_active;
    std::list<std::string>::iterator lru_pos;
  };
  std::shared_ptr<region_state> shared;
  std::unordered_map<std::string, slot> slots;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  std::list<std::string> lru; ///< front = most recently used
  std::uint64_t next_incarnation = 1;
  std::uint64_t max_live = 1;
  static inline const char* name = "fp_shard";
};

template <class Def>
using shard_actor = caf::stateful_actor<shard_state<Def>>;

template <class Def>
void spawn_entity(shard_actor<Def>* self, const std::string& key,
                  typename shard_state<Def>::slot& sl) {
  auto& st = self->state;
  sl.incarnation = st.next_incarnation++;
  sl.actor = self->spawn(entity_behavior<Def>, st.shared, key, sl.incarnation,
                         caf::actor_cast<caf::actor>(self));
  self->monitor(sl.actor);
  st.by_addr[sl.actor.address()] = key;
  sl.m = shard_state<Def>::slot::mode::active;
  while (!sl.buffer.empty()) {
    auto p = std::move(sl.buffer.front());
    sl.buffer.pop_front();
    if (p->answered)
      continue;
    sl.sent.push_back(p);
    self->send(sl.actor, p);
  }
}

template <class Def>
void touch(shard_actor<Def>* self, const std::string& key, typename shard_state<Def>::slot& sl) {
  auto& st = self->state;
  st.lru.splice(st.lru.begin(), st.lru, sl.lru_pos);
  sl.last_active = std::chrono::steady_clock::now();
}

/// Forgets forwarded commands that were answered; a success ends a run of crashes, so only
/// crashes on the same command in a row lead to quarantine.
template <class Def>
void prune_answered(typename shard_state<Def>::slot& sl) {
  while (!sl.sent.empty() && sl.sent.front()->answered) {
    if (sl.sent.front()->succeeded)
      sl.crash_count = 0;
    sl.sent.pop_front();
  }
}

template <class Def>
bool can_passivate(typename shard_state<Def>::slot& sl) {
  prune_answered<Def>(sl);
  return sl.m == shard_state<Def>::slot::mode::active && sl.sent.empty() && sl.buffer.empty();
}

template <class Def>
void passivate(shard_actor<Def>* self, typename shard_state<Def>::slot& sl) {
  sl.m = shard_state<Def>::slot::mode::passivating;
  self->send(sl.actor, passivate_atom::value);
}

template <class Def>
void forward(shard_actor<Def>* self, const packet_ptr<Def>& p) {
  auto& st = self->state;
  if (st.shared->rt->stopping) {
    p->answer(error{errc::stopped, "actors: " + std::string(Def::type) + " \"" + p->key +
                                       "\": the node is shutting down"});
    return;
  }
  auto [it, fresh] = st.slots.try_emplace(p->key);
  auto& sl = it->second;
  using mode = typename shard_state<Def>::slot::mode;
  if (fresh) {
    st.lru.push_front(p->key);
    sl.lru_pos = st.lru.begin();
    sl.last_active = std::chrono::steady_clock::now();
    sl.buffer.push_back(p);
    spawn_entity(self, p->key, sl);
    // Over the live limit: passivate the least recently used idle entity.
    if (st.slots.size() > st.max_live) {
      int looked = 0;
      for (auto victim = st.lru.rbegin(); victim != st.lru.rend() && looked < 16;
           ++victim, ++looked) {
        auto& v = st.slots[*victim];
        if (can_passivate<Def>(v)) {
          passivate(self, v);
          break;
        }
      }
    }
    return;
  }
  touch(self, p->key, sl);
  if (sl.m != mode::active) {
    sl.buffer.push_back(p);
    return;
  }
  prune_answered<Def>(sl);
  sl.sent.push_back(p);
  self->send(sl.actor, p);
}

template <class Def>
void on_entity_down(shard_actor<Def>* self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto a = st.by_addr.find(dm.source);
  if (a == st.by_addr.end())
    return;
  auto key = a->second;
  st.by_addr.erase(a);
  auto it = st.slots.find(key);
  if (it == st.slots.end())
    return;
  auto& sl = it->second;
  if (sl.actor.address() != dm.source)
    return;
  sl.actor = nullptr;
  using mode = typename shard_state<Def>::slot::mode;
  if (!dm.reason) {
    // A normal exit is a passivation (or the runtime stopping).
    st.shared->counters.passivated++;
    small_queue<packet_ptr<Def>> keep; // sent before the buffer was held: they go first
    for (auto& p : sl.sent)
      if (!p->answered)
        keep.push_back(p);
    for (auto& p : sl.buffer)
      keep.push_back(p);
    sl.sent.clear();
    sl.buffer = std::move(keep);
    if (!sl.buffer.empty() && !st.shared->rt->stopping) {
      spawn_entity(self, key, sl);
      return;
    }
    st.lru.erase(sl.lru_pos);
    st.slots.erase(it);
    return;
  }
  // A crash: every command it had not answered goes back, in order, ahead of the buffer.
  st.shared->counters.restarted++;
  small_queue<packet_ptr<Def>> redo;
  for (auto& p : sl.sent)
    if (!p->answered)
      redo.push_back(p);
  sl.sent.clear();
  for (auto& p : sl.buffer)
    redo.push_back(p);
  sl.buffer = std::move(redo);
  if (sl.crash_count >= st.shared->opts.max_crashes) {
    // Journal the verdict durably, then restart: the entity recovers into quarantine and
    // answers the poison command and everything after it with the reason.
    auto reason = "crashed " + std::to_string(sl.crash_count) + " times on command " + sl.crash_fp +
                  ": " + sl.crash_what;
    sl.crash_count = 0;
    if (auto ok = st.shared->quarantine(key, reason); !ok) {
      for (auto& p : sl.buffer)
        p->answer(error{errc::crashed,
                        "actors: " + std::string(Def::type) + " \"" + key + "\": " + reason +
                            "; quarantine not journaled: " + ok.error().to_string()});
      sl.buffer.clear();
    }
    spawn_entity(self, key, sl);
    return;
  }
  sl.m = mode::restarting;
  auto delay = st.shared->opts.backoff_min * (1u << std::min<std::uint32_t>(sl.crash_count, 16));
  delay = std::min(delay, st.shared->opts.backoff_max);
  self->delayed_send(self, delay, restart_atom::value, key);
}

template <class Def>
caf::behavior shard_behavior(shard_actor<Def>* self, std::shared_ptr<region_state> shared) {
  auto& st = self->state;
  st.shared = std::move(shared);
  st.max_live = std::max<std::uint64_t>(1, st.shared->opts.max_live / st.shared->opts.shards);
  self->set_down_handler([self](caf::down_msg& dm) { on_entity_down(self, dm); });
  auto tick = std::max(std::chrono::milliseconds(20), st.shared->opts.passivate_after / 4);
  self->delayed_send(self, tick, tick_atom::value);
  return {
      [self](const packet_ptr<Def>& p) { forward(self, p); },
      [self](crashed_atom, const std::string& key, std::uint64_t incarnation,
             const std::string& fingerprint, const std::string& what) {
        auto it = self->state.slots.find(key);
        if (it == self->state.slots.end() || it->second.incarnation != incarnation)
          return;
        auto& sl = it->second;
        if (sl.crash_fp == fingerprint) {
          ++sl.crash_count;
        } else {
          sl.crash_fp = fingerprint;
          sl.crash_count = 1;
        }
        sl.crash_what = what;
      },
      [self](restart_atom, const std::string& key) {
        auto it = self->state.slots.find(key);
        if (it != self->state.slots.end() && !it->second.actor)
          spawn_entity(self, key, it->second);
      },
      [self](stop_atom) {
        for (auto& [key, sl] : self->state.slots)
          if (sl.actor)
            self->send(sl.actor, stop_atom::value);
        self->quit(caf::exit_reason::user_shutdown);
      },
      [self](refused_atom, const std::string& key, std::uint64_t incarnation) {
        auto it = self->state.slots.find(key);
        if (it == self->state.slots.end() || it->second.incarnation != incarnation)
          return;
        auto& sl = it->second;
        sl.m = shard_state<Def>::slot::mode::active;
        while (!sl.buffer.empty()) {
          auto p = std::move(sl.buffer.front());
          sl.buffer.pop_front();
          sl.sent.push_back(p);
          self->send(sl.actor, p);
        }
      },
      [self](tick_atom) {
        auto& s = self->state;
        auto now = std::chrono::steady_clock::now();
        auto idle = s.shared->opts.passivate_after;
        for (auto it = s.lru.rbegin(); it != s.lru.rend(); ++it) {
          auto& sl = s.slots[*it];
          if (now - sl.last_active < idle)
            break; // the rest were used more recently
          if (can_passivate<Def>(sl))
            passivate(self, sl);
        }
        auto next = std::max(std::chrono::milliseconds(20), idle / 4);
        self->delayed_send(self, next, tick_atom::value);
      },
  };
}

// -- the region -------------------------------------------------------------------------------

template <class Def>
class region final : public region_port<Def> {
public:
  region(std::shared_ptr<region_state> shared, std::vector<caf::actor> shards)
      : shared_(std::move(shared))
      , shards_(std::move(shards)) {}

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
    caf::anon_send(shards_[static_cast<std::size_t>(partition) % shards_.size()], p);
  }

private:
  std::shared_ptr<region_state> shared_;
  std::vector<caf::actor> shards_;
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
  std::vector<caf::actor> shards;
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(1, opts.shards); ++i)
    shards.push_back(impl.system->spawn(shard_behavior<Def>, shared));
  auto view = make_view(shared);
  impl.add_view(std::move(view), [shards] {
    for (auto& s : shards)
      caf::anon_send(s, stop_atom::value);
  });
  return entity_client<Def>{std::make_shared<region<Def>>(shared, std::move(shards))};
}

} // namespace fp::actors::detail
