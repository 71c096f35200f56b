#include "actors/ingress/ig/gate.hpp"

#include "actors/core/region.hpp"
#include "actors/core/runtime.hpp"
#include "actors/core/small_queue.hpp"
#include "actors/ingress/ig/errc.hpp"
#include "actors/ingress/ig/run_entity.hpp"
#include "actors/ingress/ig/tuple_entity.hpp"
#include "actors/ingress/ig/worker.hpp"
#include "bus/event_bus.hpp"
#include "bus/partitioner.hpp"
#include "bus/staged_publish.hpp"
#include "journal/journal.hpp"
#include "journal/object_store.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace fp::ig {

namespace {

using ojson = nlohmann::ordered_json;
using clock = std::chrono::steady_clock;

std::string format_utc(std::int64_t ns) {
  auto secs = ns / 1'000'000'000;
  auto frac = ns % 1'000'000'000;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  int year = tm.tm_year + 1900;
  if (frac < 0 || year < 0 || year > 9999) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", year, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
    return buf;
  }
  // Every request is stamped: digits by hand, as the format above writes them.
  char out[31] = "0000-00-00T00:00:00.000000000Z";
  auto put = [&](int at, std::int64_t v, int width) {
    for (int i = at + width - 1; i >= at; --i, v /= 10)
      out[i] = static_cast<char>('0' + v % 10);
  };
  put(0, year, 4);
  put(5, tm.tm_mon + 1, 2);
  put(8, tm.tm_mday, 2);
  put(11, tm.tm_hour, 2);
  put(14, tm.tm_min, 2);
  put(17, tm.tm_sec, 2);
  put(20, frac, 9);
  return std::string(out, sizeof out - 1);
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ingest_result from_json(int status, const ojson& body, std::string decision = {},
                        std::string reason = {}) {
  return {status, body.dump(-1, ' ', false, ojson::error_handler_t::replace), std::move(decision),
          std::move(reason)};
}

} // namespace

ingest_result error_result(int status, std::string_view code, std::string_view message) {
  return from_json(status, ojson{{"error", {{"code", code}, {"message", message}}}});
}

/// One request (or one sweep task) moving through the pipeline; each step runs in the
/// callback of the one before, so only one thread touches it at a time, except the publish
/// timer, which only reads `published`.
struct request {
  std::optional<checked_event> ev; ///< absent for sweep tasks
  std::string dedupe;
  tuple_id tuple;
  std::string received_at;
  std::string attempt;
  tuple_state state;
  decision d;
  std::function<void(ingest_result)> done;
  std::atomic<bool> published{false};
  std::atomic<bool> counted_ambiguous{false}; ///< publish_ambiguous counted once a request
  bool reconciled = false;
  int staged_attempts = 0; ///< one-write admissions tried (each failed as a whole)
};
using request_ptr = std::shared_ptr<request>;

struct gate::impl {
  impl(actors::runtime& r, bus::event_bus& b, journal::object_store& o, policy p, gate_options g)
      : rt(r)
      , bus(b)
      , objects(o)
      , pol(std::move(p))
      , opts(std::move(g)) {}

  actors::runtime& rt;
  bus::event_bus& bus;
  journal::object_store& objects;
  policy pol;
  gate_options opts;
  actors::entity_client<tuple_def> tuples;
  actors::entity_client<run_def> run_entities;
  worker timers{"ig-timer"};
  worker scans{"ig-reconcile"};
  std::string boot = std::to_string(wall_ns());
  std::atomic<std::uint64_t> attempts{0};
  std::atomic<bool> stopping{false};
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::uint64_t> unresolved{0};
  std::atomic<std::uint64_t> publish_failures_recent{0};

  mutable std::mutex slots_mu;
  /// Requests waiting for a tuple's slot (small_queue: nothing allocated while none waits).
  /// Keys are dedupe digests (64 hex digits): their first 16 digits hash as well as all 64.
  struct digest_hash {
    std::size_t operator()(const std::string& k) const noexcept {
      return std::hash<std::string_view>{}(std::string_view(k).substr(0, 16));
    }
  };
  std::unordered_map<std::string, actors::detail::small_queue<std::function<void()>>, digest_hash>
      slots;

  mutable std::mutex ends_mu;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> ends; ///< known end offsets
  std::map<std::string, std::int32_t> partitions;                    ///< per topic

  /// The embedded bus: a new admission's record commits in the journal write of its Received
  /// and Admitted events (bus::stage_publish as the write's table function). The offset the
  /// record will get is predicted when the write is queued (in queue order, under the
  /// runtime's effects lock) and written into Admitted; inside the commit the bus refuses the
  /// record (`staged_publish::expect`), failing the whole write, unless it gets exactly that
  /// offset, so a journaled eb_ref is always the record's. A miss (another writer, or an earlier
  /// write that failed) resyncs the prediction and the request is tried again.
  bool one_write = false;
  struct predicted_offsets {
    std::int64_t next = 0;
    std::uint64_t epoch = 0; ///< bumped at each resync; a miss of an older epoch is stale
  };
  std::mutex predict_mu;
  std::map<std::pair<std::string, std::int32_t>, predicted_offsets> predicted;
  static constexpr int max_staged_attempts = 4;

  mutable std::shared_mutex runs_mu;
  std::function<void(std::string_view)> catch_up; ///< set before the routes serve
  std::map<std::string, run_pins, std::less<>> runs;

  mutable std::mutex backlog_mu;
  std::map<std::string, tuple_id> backlog; ///< tuples with a receipt write that failed
  bool backfill_scheduled = false;

  mutable std::mutex counters_mu;
  /// By (platform_run_id, event_class).
  struct run_class_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      std::string_view a1 = a.first, b1 = b.first;
      if (a1 != b1)
        return a1 < b1;
      return std::string_view(a.second) < std::string_view(b.second);
    }
  };
  std::map<std::pair<std::string, std::string>, run_counters, run_class_less> counters;

  std::int64_t now_ns() const { return opts.clock_ns ? opts.clock_ns() : wall_ns(); }

  template <class F>
  void count(const tuple_id& t, F&& f) {
    // Several times an admission: look the pair up without copying its strings.
    auto key = std::pair<std::string_view, std::string_view>{t.platform_run_id, t.event_class};
    std::lock_guard lock(counters_mu);
    auto it = counters.lower_bound(key);
    if (it == counters.end() || run_class_less{}(key, it->first))
      it = counters.emplace_hint(it, std::pair{t.platform_run_id, t.event_class}, run_counters{});
    f(it->second);
  }

  // -- per-tuple slots --------------------------------------------------------------------------

  void acquire(const std::string& key, std::function<void()> start) {
    {
      std::lock_guard lock(slots_mu);
      auto [it, fresh] = slots.try_emplace(key);
      if (!fresh) {
        it->second.push_back(std::move(start));
        return;
      }
    }
    start();
  }

  void release(const std::string& key) {
    std::function<void()> next;
    {
      std::lock_guard lock(slots_mu);
      auto it = slots.find(key);
      if (it == slots.end())
        return;
      if (it->second.empty()) {
        slots.erase(it);
        return;
      }
      next = std::move(it->second.front());
      it->second.pop_front();
    }
    next();
  }

  void finish(const request_ptr& r, ingest_result res) {
    release(r->dedupe);
    --in_flight;
    // Moved out: the callback and what it holds (the caller's reply path) go once it ran, so
    // nothing of the request outlives its outcome.
    auto done = std::move(r->done);
    r->done = nullptr;
    if (done)
      done(std::move(res));
  }

  // -- results ----------------------------------------------------------------------------------

  /// Written directly, not through a JSON tree: every string in it is an id IG checked
  /// (path-safe or a hash), a configured name or a path made of them.
  ingest_result admitted_result(const request& r, bool duplicate) {
    const auto& s = r.state;
    const char* decision = duplicate ? "DUPLICATE" : "ADMITTED";
    std::string body;
    body.reserve(320);
    body = "{\"decision\":\"";
    body += decision;
    body += "\",\"event_id\":";
    schemas::append_canonical_string(body, s.tuple.event_id);
    body += ",\"event_class\":";
    schemas::append_canonical_string(body, s.tuple.event_class);
    body += ",\"eb_ref\":";
    if (s.eb_ref) {
      body += "{\"topic\":";
      schemas::append_canonical_string(body, s.eb_ref->topic);
      body += ",\"partition\":";
      body += std::to_string(s.eb_ref->partition);
      body += ",\"offset\":";
      body += std::to_string(s.eb_ref->offset);
      body += '}';
    } else {
      body += "null";
    }
    body += ",\"receipt_ref\":";
    schemas::append_canonical_string(body, receipt_path(s.tuple, r.d.kind, r.d.ordinal));
    body += '}';
    return {200, std::move(body), decision, {}};
  }

  ingest_result quarantine_result(const request& r) {
    const auto& d = r.d;
    ojson body{{"decision", "QUARANTINE"},
               {"reason", d.reason},
               {"field", d.field},
               {"message", d.message},
               {"event_id", r.tuple.event_id},
               {"event_class", r.tuple.event_class},
               {"receipt_ref", receipt_path(r.tuple, d.kind, d.ordinal)},
               {"evidence_ref", d.evidence_ref}};
    return from_json(d.reason == "PAYLOAD_HASH_MISMATCH" ? 409 : 422, body, "QUARANTINE", d.reason);
  }

  ingest_result failure(const fp::error& e) {
    if (e.is(actors::errc::stopped) || stopping)
      return error_result(503, "stopping", "ig: the node is stopping; resend later");
    return error_result(503, "unavailable",
                        "ig: the outcome is not durable yet (" + e.code_name() +
                            "); resend with the same event_id");
  }

  // -- the pipeline -----------------------------------------------------------------------------

  decision new_decision(const request& r) {
    decision d;
    d.attempt = r.attempt;
    d.received_at_utc = r.received_at;
    d.payload_hash = r.ev->payload_hash;
    d.scenario_run_id = r.ev->scenario_run_id;
    d.policy_rev = pol.policy_rev;
    d.service_release_id = opts.service_release_id;
    return d;
  }

  void start_request(const request_ptr& r) {
    const auto& ev = *r->ev;
    if (ev.quarantine) {
      quarantine(r);
      return;
    }
    tuple_command c;
    c.op = tuple_op::receive;
    c.tuple = r->tuple;
    c.d = new_decision(*r);
    c.route.topic = ev.topic;
    c.route.key = ev.key;
    {
      std::lock_guard lock(ends_mu);
      c.route.partition = bus::partition_for(ev.key, partitions[ev.topic]);
      c.route.end_offset = ends[{ev.topic, c.route.partition}];
    }
    c.route.record = schemas::encode_msgpack(ev.envelope);
    if (one_write && r->staged_attempts < max_staged_attempts) {
      c.publish = stage_admission(r, c.route);
      // The record commits with the tuple's events: the tuple keeps no bytes of it.
      if (c.publish)
        c.route.record.clear();
    }
    bool staged = c.publish.has_value();
    tuples.send(r->dedupe, std::move(c), [this, r, staged](expected<tuple_reply> x) {
      if (!x) {
        // A one-write admission that failed wrote nothing (events, record): try it again.
        if (staged && x.error().is(actors::errc::persist_failed) && !stopping) {
          ++r->staged_attempts;
          return start_request(r);
        }
        return finish(r, failure(x.error()));
      }
      r->state = std::move(x->state);
      r->d = std::move(x->d);
      switch (x->outcome) {
      case tuple_outcome::publish:
        return publish(r);
      case tuple_outcome::admitted: // one write: events, record and receipt
        r->d = r->state.admission;
        count(r->tuple, [](run_counters& c) {
          ++c.receipts_written;
          ++c.admitted;
        });
        return finish(r, admitted_result(*r, false));
      case tuple_outcome::duplicate:
        return write_receipt(r, [this, r](bool) { finish(r, admitted_result(*r, true)); });
      case tuple_outcome::hash_mismatch:
        return mismatch(r);
      case tuple_outcome::in_flight:
        return make_ambiguous(r);
      default:
        return finish(r, error_result(500, "internal", "ig: unexpected tuple outcome"));
      }
    });
  }

  void quarantine(const request_ptr& r) {
    const auto& q = *r->ev->quarantine;
    auto d = new_decision(*r);
    d.reason = q.reason;
    d.field = q.field;
    d.message = q.message;
    d.evidence_ref = evidence_path(r->tuple, r->ev->body_sha256, r->received_at);
    record_quarantine(r, q, std::move(d), [this, r] { finish(r, quarantine_result(*r)); });
  }

  /// The tuple answered a payload hash mismatch without journaling it: it is journaled, like
  /// every quarantine, only once its evidence is written.
  void mismatch(const request_ptr& r) {
    quarantine_reason q{r->d.reason, r->d.field, r->d.message};
    // Named here, not on every receive: only a quarantine has evidence.
    r->d.evidence_ref = evidence_path(r->tuple, r->ev->body_sha256, r->received_at);
    record_quarantine(r, q, r->d, [this, r] { anomaly(r); });
  }

  /// Evidence (an object at `d.evidence_ref`) → Quarantined on the tuple → receipt → `then`.
  void record_quarantine(const request_ptr& r, const quarantine_reason& q, decision d,
                         std::function<void()> then) {
    auto path = d.evidence_ref;
    objects.put_async(
        path, evidence_json(*r->ev, q, r->received_at), std::string("ig_quarantine.v1"),
        [this, r, d = std::move(d), then = std::move(then)](expected<artifact_ref> put) mutable {
          if (!put)
            return finish(r, failure(put.error()));
          tuple_command c;
          c.op = tuple_op::quarantine;
          c.tuple = r->tuple;
          c.d = std::move(d);
          tuples.send(r->dedupe, std::move(c),
                      [this, r, then = std::move(then)](expected<tuple_reply> x) mutable {
                        if (!x)
                          return finish(r, failure(x.error()));
                        r->state = std::move(x->state);
                        r->d = std::move(x->d);
                        write_receipt(r, [then = std::move(then)](bool) { then(); });
                      });
        });
  }

  void anomaly(const request_ptr& r) {
    bus::produce_record rec;
    rec.topic = std::string(bus::control_topic);
    rec.key = r->tuple.platform_run_id;
    rec.value = hash_mismatch_fact(r->tuple, r->d.payload_hash, r->state.admission.payload_hash,
                                   receipt_path(r->tuple, r->d.kind, r->d.ordinal), r->received_at);
    rec.headers = {{"fp.schema", "anomaly_fact.v1"}};
    bus.produce_async(std::move(rec), [this, r](expected<fp::origin_offset>) {
      // The quarantine is journaled and receipted; a lost fact does not undo it.
      finish(r, quarantine_result(*r));
    });
  }

  /// Counts a receipt put's outcome; a failed one is retried by the backfill.
  void note_receipt(const request_ptr& r, bool ok) {
    count(r->tuple, [&](run_counters& c) { ++(ok ? c.receipts_written : c.receipt_write_failed); });
    if (!ok)
      remember_backfill(r->dedupe, r->state.tuple);
  }

  /// Puts the receipt of `r->d` and records whether it was written; `then(ok)` afterwards.
  void write_receipt(const request_ptr& r, std::function<void(bool)> then) {
    auto path = receipt_path(r->state.tuple, r->d.kind, r->d.ordinal);
    objects.put_async(path, receipt_json(r->state, r->d), std::string("ig_receipt.v1"),
                      [this, r, then = std::move(then)](expected<artifact_ref> put) {
                        bool ok = put.has_value();
                        note_receipt(r, ok);
                        // An admission records its receipt on Admitted; other decisions
                        // record it here, before their answer, so a sweep finds only real
                        // backlog.
                        if (r->d.kind == decision_kind::admit)
                          return then(ok);
                        tuple_command c;
                        c.op = ok ? tuple_op::receipt_written : tuple_op::receipt_failed;
                        c.ordinal = r->d.ordinal;
                        tuples.send(r->dedupe, std::move(c),
                                    [then, ok](expected<tuple_reply>) { then(ok); });
                      });
  }

  static bus::produce_record record_for(const tuple_id& t, const std::string& dedupe,
                                        const publish_route& route) {
    bus::produce_record rec;
    rec.topic = route.topic;
    rec.key = route.key;
    rec.value = route.record;
    rec.partition = route.partition;
    rec.headers = {{"fp.schema", "envelope.v1"},
                   {"fp.event_id", t.event_id},
                   {"fp.event_class", t.event_class},
                   {"fp.platform_run_id", t.platform_run_id},
                   {std::string(dedupe_header), dedupe}};
    return rec;
  }

  bus::produce_record record_of(const request& r) {
    return record_for(r.state.tuple, r.dedupe, r.state.route);
  }

  /// The effect that commits a new admission's record and its receipt in the write of its
  /// events (see `one_write`); nullopt when the record cannot be staged (then the publish and
  /// the receipt follow the write, as on Kafka).
  std::optional<actors::effect<tuple_event>> stage_admission(const request_ptr& r,
                                                             const publish_route& route) {
    std::vector<bus::produce_record> records;
    records.push_back(record_for(r->tuple, r->dedupe, route));
    auto sp = bus::stage_publish(bus, std::move(records));
    if (!sp)
      return std::nullopt;
    struct staged {
      bus::staged_publish publish;
      std::pair<std::string, std::int32_t> at;
      std::int64_t offset = -1;
      std::uint64_t epoch = 0;
      journal::staged_object receipt; ///< made by the seal, once the offset is known
    };
    auto st = std::make_shared<staged>();
    st->publish = std::move(*sp);
    st->at = {route.topic, route.partition};
    actors::effect<tuple_event> fx;
    fx.seal = [this, st](std::vector<tuple_event>& events) {
      {
        std::lock_guard lock(predict_mu);
        auto& p = predicted[st->at];
        st->offset = p.next++;
        st->epoch = p.epoch;
      }
      st->publish.expect(st->offset);
      // The state these events fold to, as far as the receipt reads it.
      tuple_state s;
      s.tuple = events.front().tuple;
      s.status = publish_status::admitted;
      s.admission = events.front().d;
      s.eb_ref = fp::origin_offset{st->at.first, st->at.second, st->offset};
      auto id = receipt_id(s.tuple, s.admission.kind, s.admission.ordinal);
      auto receipt = objects.stage(receipt_path_of(s.tuple.platform_run_id, id),
                                   receipt_json(s, s.admission, id), "ig_receipt.v1");
      if (!receipt) // fails the write; the request is tried again, then without staging
        throw std::runtime_error(receipt.error().message());
      st->receipt = std::move(*receipt);
      for (auto& e : events)
        if (e.kind == tuple_event_kind::admitted) {
          e.eb_ref.offset = st->offset;
          e.receipt = receipt_status::written; // it commits with them (fn)
        }
    };
    fx.fn = [this, st](journal::txn_context& tx) -> expected<void> {
      auto ok = st->publish.fn(tx);
      if (!ok && ok.error().is(bus::errc::offset_moved)) {
        std::lock_guard lock(predict_mu);
        auto& p = predicted[st->at];
        if (p.epoch == st->epoch) {
          ++p.epoch;
          p.next = st->publish.moved_to();
        }
      }
      if (!ok)
        return ok;
      return st->receipt.fn(tx);
    };
    fx.complete = [this, st](bool committed) {
      if (st->receipt.complete)
        st->receipt.complete(committed);
      auto origins = st->publish.complete(committed);
      if (origins.empty())
        return;
      std::lock_guard lock(ends_mu);
      auto& end = ends[{origins[0].topic, origins[0].partition}];
      end = std::max(end, origins[0].offset + 1);
    };
    return fx;
  }

  void publish(const request_ptr& r) {
    r->published = false;
    auto deadline = clock::now() + opts.publish_timeout;
    timers.post_at(deadline, [this, r] {
      if (r->published || r->counted_ambiguous.exchange(true))
        return;
      count(r->tuple, [](run_counters& c) { ++c.publish_ambiguous; });
      tuple_command c;
      c.op = tuple_op::mark_ambiguous;
      tuples.send(r->dedupe, std::move(c), [](expected<tuple_reply>) {});
    });
    bus.produce_async(record_of(*r), [this, r](expected<fp::origin_offset> x) {
      r->published = true;
      if (!x) {
        ++publish_failures_recent;
        return make_ambiguous(r);
      }
      publish_failures_recent = 0;
      {
        std::lock_guard lock(ends_mu);
        auto& end = ends[{x->topic, x->partition}];
        end = std::max(end, x->offset + 1);
      }
      admit(r, *x);
    });
  }

  void admit(const request_ptr& r, const fp::origin_offset& at) {
    r->state.eb_ref = at;
    r->state.status = publish_status::admitted;
    r->d = r->state.admission;
    write_receipt(r, [this, r, at](bool ok) {
      tuple_command c;
      c.op = tuple_op::admit;
      c.eb_ref = at;
      c.receipt = ok ? receipt_status::written : receipt_status::failed;
      tuples.send(r->dedupe, std::move(c), [this, r](expected<tuple_reply> x) {
        if (!x)
          return finish(r, failure(x.error()));
        r->state = std::move(x->state);
        count(r->tuple, [](run_counters& c) { ++c.admitted; });
        finish(r, admitted_result(*r, false));
      });
    });
  }

  /// The tuple has a publish without a known outcome and no publisher here: mark it
  /// PUBLISH_AMBIGUOUS, then reconcile on the scan thread.
  void make_ambiguous(const request_ptr& r) {
    tuple_command c;
    c.op = tuple_op::mark_ambiguous;
    tuples.send(r->dedupe, std::move(c), [this, r](expected<tuple_reply> x) {
      if (!x)
        return finish(r, failure(x.error()));
      if (r->state.status == publish_status::in_flight &&
          x->state.status == publish_status::ambiguous && !r->counted_ambiguous.exchange(true))
        count(r->tuple, [](run_counters& c) { ++c.publish_ambiguous; });
      r->state = std::move(x->state);
      if (r->state.status == publish_status::admitted) {
        r->d = r->state.admission;
        return finish(r, admitted_result(*r, false));
      }
      scans.post([this, r] { reconcile(r); });
    });
  }

  void reconcile(const request_ptr& r) {
    if (r->reconciled) // a publish after reconciling failed too: give up for now
      return finish(r, error_result(503, "bus_unavailable",
                                    "ig: the publish failed; the tuple is PUBLISH_AMBIGUOUS and "
                                    "is reconciled on the next attempt"));
    r->reconciled = true;
    auto found = scan_for(r->state.route, r->dedupe);
    if (!found) {
      ++publish_failures_recent;
      return finish(r, error_result(503, "bus_unavailable",
                                    "ig: cannot reconcile against the bus (" +
                                        found.error().code_name() + "); resend later"));
    }
    if (*found)
      return admit(r, **found);
    publish(r);
  }

  /// Scans the route's partition from its recorded end offset to the high watermark for a
  /// record whose `fp.dedupe` header is `dedupe`.
  expected<std::optional<fp::origin_offset>> scan_for(const publish_route& route,
                                                      const std::string& dedupe) {
    auto info = bus.describe_topic(route.topic);
    if (!info)
      return std::move(info).error();
    std::int64_t low = 0, high = 0;
    for (auto& p : info->partitions)
      if (p.partition == route.partition)
        low = p.low, high = p.high;
    auto from = std::max(route.end_offset, low);
    if (from >= high)
      return std::optional<fp::origin_offset>{};
    auto consumer = bus.assign({{route.topic, route.partition, from}});
    if (!consumer)
      return std::move(consumer).error();
    std::optional<fp::origin_offset> found;
    std::int64_t next = from;
    int idle = 0;
    while (next < high && !found && idle < 50) {
      auto n = (*consumer)->poll_each(1024, std::chrono::milliseconds(100),
                                      [&](const bus::message_view& m) {
                                        if (m.offset >= high || found)
                                          return;
                                        next = std::max(next, m.offset + 1);
                                        for (auto& h : m.headers)
                                          if (h.key == dedupe_header && h.value == dedupe)
                                            found = m.origin();
                                      });
      if (!n) {
        (*consumer)->close();
        return std::move(n).error();
      }
      idle = *n == 0 ? idle + 1 : 0;
    }
    (*consumer)->close();
    if (!found && next < high)
      return fp::error{errc::bus_unavailable,
                       "ig: scan of " + route.topic + "/" + std::to_string(route.partition) +
                           " stopped at " + std::to_string(next) + " before the high watermark " +
                           std::to_string(high)};
    return found;
  }

  // -- sweep and backfill -----------------------------------------------------------------------

  void recover(const std::string& dedupe, const tuple_id& t) {
    auto r = std::make_shared<request>();
    r->dedupe = dedupe;
    r->tuple = t;
    r->done = [this](ingest_result) { --unresolved; };
    ++in_flight;
    acquire(dedupe, [this, r] {
      tuple_command c;
      c.op = tuple_op::get;
      tuples.send(r->dedupe, std::move(c), [this, r](expected<tuple_reply> x) {
        if (!x)
          return finish(r, failure(x.error()));
        r->state = std::move(x->state);
        backfill(r, 0);
      });
    });
  }

  /// Writes the receipts still pending from index `i` on, then resolves the publish state.
  void backfill(const request_ptr& r, std::size_t i) {
    const auto& s = r->state;
    if (i < s.pending.size()) {
      r->d = s.pending[i].d;
      return write_receipt(r, [this, r, i](bool) { backfill(r, i + 1); });
    }
    if (s.status == publish_status::admitted && s.admission_receipt != receipt_status::written) {
      r->d = s.admission;
      return write_receipt(r, [this, r](bool ok) {
        if (ok) {
          tuple_command c;
          c.op = tuple_op::receipt_written;
          c.ordinal = r->state.admission.ordinal;
          tuples.send(r->dedupe, std::move(c), [](expected<tuple_reply>) {});
        }
        finish(r, {});
      });
    }
    if (s.status == publish_status::in_flight || s.status == publish_status::ambiguous)
      return make_ambiguous(r);
    finish(r, {});
  }

  /// Retries failed receipt writes every few seconds until they are written.
  void remember_backfill(const std::string& dedupe, const tuple_id& t) {
    std::lock_guard lock(backlog_mu);
    backlog[dedupe] = t;
    if (backfill_scheduled || stopping)
      return;
    backfill_scheduled = true;
    timers.post_at(clock::now() + std::chrono::seconds(5), [this] {
      std::map<std::string, tuple_id> todo;
      {
        std::lock_guard lock(backlog_mu);
        todo.swap(backlog);
        backfill_scheduled = false;
      }
      unresolved += todo.size();
      for (auto& [key, t] : todo)
        recover(key, t);
    });
  }

  /// Reads every tuple's journal, `opts.sweep_chunk` tuples at a time (a listing holds a read
  /// transaction, and a tuple's read needs its own), and resolves the open ones.
  void sweep_now() {
    auto prefix = std::string(tuple_def::type) + "/";
    auto chunk = std::max<std::size_t>(1, opts.sweep_chunk);
    std::string after;
    std::vector<std::string> keys;
    for (;;) {
      keys.clear();
      auto listed = rt.journal().list_streams(
          [&](std::string_view pid, std::uint64_t) {
            keys.emplace_back(pid.substr(prefix.size()));
            return keys.size() < chunk;
          },
          after, prefix);
      if (!listed)
        return;
      std::vector<std::pair<std::string, tuple_id>> todo;
      auto states = read_tuples(rt.journal(), keys);
      for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto& key = keys[i];
        const auto& s = states[i];
        if (!s || !*s)
          continue;
        const auto& st = **s;
        bool open = st.status == publish_status::in_flight ||
                    st.status == publish_status::ambiguous || !st.pending.empty() ||
                    (st.status == publish_status::admitted &&
                     st.admission_receipt != receipt_status::written);
        if (open)
          todo.emplace_back(key, st.tuple);
      }
      unresolved += todo.size();
      for (auto& [key, t] : todo)
        recover(key, t);
      if (keys.size() < chunk || stopping)
        return;
      after = prefix + keys.back();
    }
  }
};

gate::gate(std::unique_ptr<impl> p)
    : impl_(std::move(p)) {}

gate::~gate() {
  stop(std::chrono::milliseconds(2'000));
}

expected<std::unique_ptr<gate>> gate::start(actors::runtime& rt, bus::event_bus& bus,
                                            journal::object_store& objects, policy pol,
                                            gate_options opts) {
  auto p = std::unique_ptr<impl>(new impl(rt, bus, objects, std::move(pol), std::move(opts)));
  for (auto& prof : p->pol.profiles) {
    auto info = bus.describe_topic(prof.topic);
    if (!info)
      return fp::error{errc::bad_policy, "ig: partitioning profile " + prof.id + ": topic " +
                                             prof.topic + ": " + info.error().message()};
    p->partitions[prof.topic] = static_cast<std::int32_t>(info->partitions.size());
    for (auto& part : info->partitions) {
      p->ends[{prof.topic, part.partition}] = part.high;
      p->predicted[{prof.topic, part.partition}].next = part.high;
    }
  }
  // Only the embedded bus can stage a record into a journal write (stage_publish refuses
  // other backends, and buses that wrap one).
  if (bus::stage_publish(bus, {}))
    p->one_write = true;
  auto known = read_runs(rt.journal());
  if (!known)
    return std::move(known).error();
  for (auto& r : *known)
    p->runs[r.pins->platform_run_id] = *r.pins;
  p->tuples = start_tuples(rt, p->opts.entities);
  p->run_entities = start_runs(rt, p->opts.entities);
  std::unique_ptr<gate> g(new gate(std::move(p)));
  g->sweep();
  return g;
}

void gate::ingest(std::string body, std::function<void(ingest_result)> done) {
  if (impl_->stopping)
    return done(error_result(503, "stopping", "ig: the node is stopping; resend later"));
  admit(check_event(body, impl_->pol, run_lookup_fn()), std::move(done));
}

run_lookup gate::run_lookup_fn() {
  return [this](std::string_view prid) {
    auto r = run(prid);
    if (!r && impl_->catch_up) {
      impl_->catch_up(prid);
      r = run(prid);
    }
    return r;
  };
}

void gate::admit(expected<checked_event> ev, std::function<void(ingest_result)> done) {
  auto& m = *impl_;
  if (!ev) {
    m.count(tuple_id{"_invalid", "_unclassified", ""}, [](run_counters& c) { ++c.ig_received; });
    return done(error_result(400, ev.error().code_name(), ev.error().message()));
  }
  auto r = std::make_shared<request>();
  r->tuple = ev->tuple;
  r->dedupe = ev->tuple.dedupe();
  r->ev = std::move(*ev);
  r->received_at = format_utc(m.now_ns());
  r->attempt = m.boot + ":" + std::to_string(++m.attempts);
  r->done = [this, tuple = r->tuple, done = std::move(done)](ingest_result res) {
    impl_->count(tuple, [&](run_counters& c) {
      if (res.status == 200 && res.decision == "DUPLICATE")
        ++c.duplicate;
      if (res.status == 422 || res.status == 409) {
        ++c.quarantined;
        ++c.quarantined_by_reason[res.reason];
      }
    });
    done(std::move(res));
  };
  m.count(r->tuple, [](run_counters& c) { ++c.ig_received; });
  ++m.in_flight;
  m.acquire(r->dedupe, [&m, r] { m.start_request(r); });
}

nlohmann::ordered_json ingest_result::json() const {
  return ojson::parse(body);
}

ingest_result gate::ingest_wait(std::string body, std::chrono::milliseconds timeout) {
  auto p = std::make_shared<std::promise<ingest_result>>();
  auto f = p->get_future();
  ingest(std::move(body), [p](ingest_result r) { p->set_value(std::move(r)); });
  if (f.wait_for(timeout) != std::future_status::ready)
    return error_result(504, "timeout",
                        "ig: no durable outcome within " + std::to_string(timeout.count()) +
                            " ms; resend with the same event_id (it is deduplicated)");
  return f.get();
}

expected<void> gate::open_run(const run_pins& pins) {
  run_command c;
  c.open = true;
  c.pins = pins;
  c.opened_at_utc = format_utc(impl_->now_ns());
  auto r = impl_->run_entities.ask(pins.platform_run_id, c);
  if (!r)
    return std::move(r).error();
  std::unique_lock lock(impl_->runs_mu);
  impl_->runs[pins.platform_run_id] = *r->pins;
  return {};
}

void gate::set_run_catch_up(std::function<void(std::string_view)> hook) {
  impl_->catch_up = std::move(hook);
}

std::optional<run_pins> gate::run(std::string_view platform_run_id) const {
  std::shared_lock lock(impl_->runs_mu);
  auto it = impl_->runs.find(platform_run_id);
  if (it == impl_->runs.end())
    return std::nullopt;
  return it->second;
}

std::vector<run_pins> gate::runs() const {
  std::shared_lock lock(impl_->runs_mu);
  std::vector<run_pins> out;
  for (auto& [_, p] : impl_->runs)
    out.push_back(p);
  return out;
}

expected<std::optional<tuple_state>> gate::tuple(const tuple_id& t) const {
  return read_tuple(impl_->rt.journal(), t.dedupe());
}

void gate::sweep() {
  impl_->scans.post([this] { impl_->sweep_now(); });
}

std::uint64_t gate::unresolved() const {
  return impl_->unresolved;
}

std::map<std::string, run_counters> gate::counters() const {
  std::map<std::string, run_counters> out;
  for (auto& [key, c] : class_counters()) {
    auto& o = out[key.first];
    o.ig_received += c.ig_received;
    o.admitted += c.admitted;
    o.duplicate += c.duplicate;
    o.quarantined += c.quarantined;
    o.publish_ambiguous += c.publish_ambiguous;
    o.receipts_written += c.receipts_written;
    o.receipt_write_failed += c.receipt_write_failed;
    for (auto& [reason, n] : c.quarantined_by_reason)
      o.quarantined_by_reason[reason] += n;
  }
  return out;
}

std::map<std::pair<std::string, std::string>, run_counters> gate::class_counters() const {
  std::lock_guard lock(impl_->counters_mu);
  return {impl_->counters.begin(), impl_->counters.end()};
}

void gate::health(std::vector<std::string>& red, std::vector<std::string>& amber) const {
  if (impl_->publish_failures_recent > 0)
    amber.push_back("IG_PUBLISH_FAILING: the last " +
                    std::to_string(impl_->publish_failures_recent.load()) +
                    " publishes or reconciliations failed");
  {
    std::lock_guard lock(impl_->backlog_mu);
    if (!impl_->backlog.empty())
      amber.push_back("IG_RECEIPT_BACKLOG: " + std::to_string(impl_->backlog.size()) +
                      " tuples have receipts to backfill (receipt_write_failed)");
  }
  if (auto n = impl_->unresolved.load(); n > 0)
    amber.push_back("IG_RECONCILING: " + std::to_string(n) +
                    " tuples await reconciliation or a receipt backfill");
}

const policy& gate::active_policy() const {
  return impl_->pol;
}

void gate::stop(std::chrono::milliseconds grace) {
  if (!impl_ || impl_->stopping.exchange(true))
    return;
  auto until = clock::now() + grace;
  while (impl_->in_flight > 0 && clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  impl_->scans.stop();
  impl_->timers.stop();
}

} // namespace fp::ig
