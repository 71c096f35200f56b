#include "actors/ingress/ig/tuple_entity.hpp"

#include "actors/core/region_impl.hpp"
#include "journal/bulk_read.hpp"
#include "journal/journal.hpp"
#include "schemas/hash.hpp"

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace fp::ig {

namespace {

using packer = msgpack::packer<msgpack::sbuffer>;

constexpr std::string_view event_names[] = {
    "",
    "ig.received",
    "ig.admitted",
    "ig.publish_ambiguous",
    "ig.duplicate",
    "ig.quarantined",
    "ig.receipt_written",
    "ig.receipt_write_failed",
};

void put(packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void put(packer& pk, const tuple_id& t) {
  pk.pack_array(3);
  put(pk, t.platform_run_id);
  put(pk, t.event_class);
  put(pk, t.event_id);
}

void put(packer& pk, const decision& d) {
  pk.pack_array(12);
  pk.pack(d.ordinal);
  pk.pack(static_cast<std::uint8_t>(d.kind));
  for (auto* s :
       {&d.attempt, &d.received_at_utc, &d.payload_hash, &d.scenario_run_id, &d.policy_rev,
        &d.service_release_id, &d.reason, &d.field, &d.message, &d.evidence_ref})
    put(pk, *s);
}

void put(packer& pk, const publish_route& r) {
  pk.pack_array(5);
  put(pk, r.topic);
  pk.pack(r.partition);
  put(pk, r.key);
  pk.pack(r.end_offset);
  pk.pack_bin(static_cast<std::uint32_t>(r.record.size()));
  pk.pack_bin_body(r.record.data(), static_cast<std::uint32_t>(r.record.size()));
}

void put(packer& pk, const fp::origin_offset& o) {
  pk.pack_array(3);
  put(pk, o.topic);
  pk.pack(o.partition);
  pk.pack(o.offset);
}

// -- decoding: msgpack's exceptions stay in here ---------------------------------------------

struct bad_shape {};

const msgpack::object& at(const msgpack::object& o, std::uint32_t i, std::uint32_t n) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size != n)
    throw bad_shape{};
  return o.via.array.ptr[i];
}

std::string str(const msgpack::object& o) {
  return o.as<std::string>();
}

tuple_id unpack_tuple(const msgpack::object& o) {
  return {str(at(o, 0, 3)), str(at(o, 1, 3)), str(at(o, 2, 3))};
}

decision unpack_decision(const msgpack::object& o) {
  decision d;
  d.ordinal = at(o, 0, 12).as<std::uint32_t>();
  auto k = at(o, 1, 12).as<std::uint8_t>();
  if (k < 1 || k > 3)
    throw bad_shape{};
  d.kind = static_cast<decision_kind>(k);
  std::string* fields[] = {&d.attempt,         &d.received_at_utc, &d.payload_hash,
                           &d.scenario_run_id, &d.policy_rev,      &d.service_release_id,
                           &d.reason,          &d.field,           &d.message,
                           &d.evidence_ref};
  for (std::uint32_t i = 0; i < 10; ++i)
    *fields[i] = str(at(o, 2 + i, 12));
  return d;
}

publish_route unpack_route(const msgpack::object& o) {
  const auto& bin = at(o, 4, 5);
  if (bin.type != msgpack::type::BIN)
    throw bad_shape{};
  return {str(at(o, 0, 5)), at(o, 1, 5).as<std::int32_t>(), str(at(o, 2, 5)),
          at(o, 3, 5).as<std::int64_t>(), std::string(bin.via.bin.ptr, bin.via.bin.size)};
}

fp::origin_offset unpack_offset(const msgpack::object& o) {
  return {str(at(o, 0, 3)), at(o, 1, 3).as<std::int32_t>(), at(o, 2, 3).as<std::int64_t>()};
}

error bad_record(const journal::record_view& r, std::string what) {
  return error{actors::errc::recovery_failed, "ig: admission_tuple " +
                                                  std::string(r.persistence_id) + " seq " +
                                                  std::to_string(r.seq) + ": " + what};
}

pending_receipt* find_pending(tuple_state& s, std::uint32_t ordinal) {
  for (auto& p : s.pending)
    if (p.d.ordinal == ordinal)
      return &p;
  return nullptr;
}

const pending_receipt* find_pending(const tuple_state& s, std::uint32_t ordinal) {
  return find_pending(const_cast<tuple_state&>(s), ordinal);
}

tuple_event decided(tuple_event_kind k, const tuple_state& s, const tuple_command& c,
                    decision_kind dk) {
  tuple_event e;
  e.kind = k;
  e.tuple = s.status == publish_status::none && s.decisions == 0 ? c.tuple : s.tuple;
  e.d = c.d;
  e.d.kind = dk;
  e.d.ordinal = s.decisions;
  return e;
}

/// A receive whose payload hash differs from the admitted one: the decision the gate journals
/// (tuple_op::quarantine) once the evidence is written.
bool hash_mismatch(const tuple_state& s, const tuple_command& c) {
  return c.op == tuple_op::receive && s.status != publish_status::none &&
         c.d.payload_hash != s.admission.payload_hash;
}

decision mismatch_decision(const tuple_state& s, const tuple_command& c) {
  auto d = decided(tuple_event_kind::quarantined, s, c, decision_kind::quarantine).d;
  d.reason = "PAYLOAD_HASH_MISMATCH";
  d.field = "payload";
  d.message = "payload: sha256 " + c.d.payload_hash + " differs from the admitted " +
              s.admission.payload_hash + " for the same (platform_run_id, event_class, event_id)";
  return d;
}

} // namespace

std::string tuple_id::dedupe() const {
  return schemas::hash_parts(platform_run_id, event_class, event_id);
}

expected<std::vector<tuple_event>> tuple_def::handle(const state& s, const command& c) {
  using ev = tuple_event_kind;
  switch (c.op) {
  case tuple_op::receive: {
    if (s.decisions > 0 && !(s.tuple == c.tuple))
      return error{actors::errc::rejected, "tuple: does not match the entity's tuple"};
    if (s.status == publish_status::none) {
      auto e = decided(ev::received, s, c, decision_kind::admit);
      e.d.reason.clear();
      e.d.field.clear();
      e.d.message.clear();
      e.d.evidence_ref.clear();
      e.route = c.route;
      if (!c.publish)
        return std::vector{e};
      // The record commits in this write (command::publish), so the admission is settled in it
      // too: no bytes to keep for a reconciliation, and Admitted follows at once. Its offset is
      // the one the record gets: the effect's seal sets it and its table function checks it.
      e.route.record.clear();
      tuple_event a;
      a.kind = ev::admitted;
      a.eb_ref = {c.route.topic, c.route.partition, -1};
      a.receipt = receipt_status::pending;
      return std::vector{e, a};
    }
    // Nothing is journaled yet: the reply carries the decision, the gate writes the evidence
    // and then journals the quarantine (tuple_op::quarantine), as for any other quarantine.
    if (hash_mismatch(s, c))
      return std::vector<tuple_event>{};
    if (s.status == publish_status::admitted)
      return std::vector{decided(ev::duplicate, s, c, decision_kind::duplicate)};
    return std::vector<tuple_event>{}; // in flight or ambiguous: the gate reconciles
  }
  case tuple_op::quarantine:
    if (s.decisions > 0 && !(s.tuple == c.tuple))
      return error{actors::errc::rejected, "tuple: does not match the entity's tuple"};
    return std::vector{decided(ev::quarantined, s, c, decision_kind::quarantine)};
  case tuple_op::admit: {
    if (s.status == publish_status::admitted) {
      if (s.eb_ref != c.eb_ref)
        return error{actors::errc::rejected, "eb_ref: the tuple is admitted at another offset"};
      return std::vector<tuple_event>{};
    }
    if (s.status == publish_status::none)
      return error{actors::errc::rejected, "admit: the tuple has no publish in flight"};
    tuple_event e;
    e.kind = ev::admitted;
    e.eb_ref = c.eb_ref;
    e.receipt = c.receipt;
    return std::vector{e};
  }
  case tuple_op::mark_ambiguous: {
    if (s.status != publish_status::in_flight)
      return std::vector<tuple_event>{};
    tuple_event e;
    e.kind = ev::publish_ambiguous;
    return std::vector{e};
  }
  case tuple_op::receipt_written:
  case tuple_op::receipt_failed: {
    bool failed = c.op == tuple_op::receipt_failed;
    tuple_event e;
    e.kind = failed ? ev::receipt_write_failed : ev::receipt_written;
    e.ordinal = c.ordinal;
    if (s.status == publish_status::admitted && s.admission.ordinal == c.ordinal) {
      auto target = failed ? receipt_status::failed : receipt_status::written;
      if (s.admission_receipt == target || s.admission_receipt == receipt_status::written)
        return std::vector<tuple_event>{};
      return std::vector{e};
    }
    auto* p = find_pending(s, c.ordinal);
    if (p == nullptr || (failed && p->status == receipt_status::failed))
      return std::vector<tuple_event>{};
    return std::vector{e};
  }
  case tuple_op::get:
    return std::vector<tuple_event>{};
  }
  return error{actors::errc::rejected, "op: unknown operation"};
}

std::optional<actors::effect<tuple_event>> tuple_def::effect_for(const state&, const command& c,
                                                                 const std::vector<event>& events) {
  if (c.op != tuple_op::receive || !c.publish || events.size() != 2 ||
      events[1].kind != tuple_event_kind::admitted)
    return std::nullopt;
  return c.publish;
}

void tuple_def::apply(state& s, const event& e) {
  using ev = tuple_event_kind;
  switch (e.kind) {
  case ev::received:
    s.tuple = e.tuple;
    s.status = publish_status::in_flight;
    s.admission = e.d;
    s.route = e.route;
    s.admission_receipt = receipt_status::pending;
    s.decisions = e.d.ordinal + 1;
    s.last = e.d;
    s.last_outcome = tuple_outcome::publish;
    return;
  case ev::admitted:
    s.status = publish_status::admitted;
    s.eb_ref = e.eb_ref;
    s.route.record.clear();
    s.admission_receipt = e.receipt;
    s.last_outcome = tuple_outcome::admitted;
    return;
  case ev::publish_ambiguous:
    s.status = publish_status::ambiguous;
    s.last_outcome = tuple_outcome::in_flight;
    return;
  case ev::duplicate:
  case ev::quarantined:
    s.tuple = e.tuple;
    s.decisions = e.d.ordinal + 1;
    s.pending.push_back({e.d, receipt_status::pending});
    s.last = e.d;
    if (e.kind == ev::duplicate) {
      ++s.duplicates;
      s.last_outcome = tuple_outcome::duplicate;
    } else {
      ++s.quarantines;
      s.last_outcome = e.d.reason == "PAYLOAD_HASH_MISMATCH" ? tuple_outcome::hash_mismatch
                                                             : tuple_outcome::quarantined;
    }
    return;
  case ev::receipt_written:
  case ev::receipt_write_failed: {
    bool failed = e.kind == ev::receipt_write_failed;
    if (s.status == publish_status::admitted && s.admission.ordinal == e.ordinal) {
      s.admission_receipt = failed ? receipt_status::failed : receipt_status::written;
      return;
    }
    if (!failed) {
      std::erase_if(s.pending, [&](const pending_receipt& p) { return p.d.ordinal == e.ordinal; });
      return;
    }
    if (auto* p = find_pending(s, e.ordinal))
      p->status = receipt_status::failed;
    return;
  }
  }
}

tuple_reply tuple_def::reply_for(const state& s, const command& c) {
  tuple_reply r;
  // Every answer copies the state: all of it but the latest decision (which `r.d` carries when
  // it is this command's) and the receipts still pending, which no caller reads.
  r.state.tuple = s.tuple;
  r.state.status = s.status;
  r.state.admission = s.admission;
  r.state.route = s.route;
  r.state.eb_ref = s.eb_ref;
  r.state.admission_receipt = s.admission_receipt;
  r.state.decisions = s.decisions;
  r.state.duplicates = s.duplicates;
  r.state.quarantines = s.quarantines;
  r.state.last_outcome = s.last_outcome;
  if (c.op == tuple_op::receive || c.op == tuple_op::quarantine) {
    if (!c.d.attempt.empty() && s.last.attempt == c.d.attempt) {
      r.outcome = s.last_outcome;
      r.d = s.last;
    } else if (hash_mismatch(s, c)) {
      r.outcome = tuple_outcome::hash_mismatch;
      r.d = mismatch_decision(s, c);
    } else {
      r.outcome = tuple_outcome::in_flight;
    }
    return r;
  }
  r.outcome = c.op == tuple_op::admit ? tuple_outcome::admitted : tuple_outcome::noop;
  return r;
}

journal::event_data tuple_def::encode(const event& e) {
  msgpack::sbuffer buf(256);
  packer pk(buf);
  pk.pack_array(8);
  pk.pack(1);
  pk.pack(static_cast<std::uint8_t>(e.kind));
  put(pk, e.tuple);
  put(pk, e.d);
  put(pk, e.route);
  put(pk, e.eb_ref);
  pk.pack(static_cast<std::uint8_t>(e.receipt));
  pk.pack(e.ordinal);
  return journal::event_data{std::string(event_names[static_cast<int>(e.kind)]), 1,
                             std::string(buf.data(), buf.size())};
}

expected<tuple_event> tuple_def::decode(const journal::record_view& r) {
  if (r.schema_version != 1)
    return bad_record(r, "unknown schema_version " + std::to_string(r.schema_version));
  try {
    auto h = msgpack::unpack(r.payload.data(), r.payload.size());
    const auto& o = h.get();
    if (at(o, 0, 8).as<int>() != 1)
      return bad_record(r, "unknown format version");
    tuple_event e;
    auto k = at(o, 1, 8).as<std::uint8_t>();
    if (k < 1 || k > 7 || event_names[k] != r.event_type)
      return bad_record(r, "event kind does not match its type");
    e.kind = static_cast<tuple_event_kind>(k);
    e.tuple = unpack_tuple(at(o, 2, 8));
    e.d = unpack_decision(at(o, 3, 8));
    e.route = unpack_route(at(o, 4, 8));
    e.eb_ref = unpack_offset(at(o, 5, 8));
    auto rs = at(o, 6, 8).as<std::uint8_t>();
    if (rs > 2)
      return bad_record(r, "unknown receipt status");
    e.receipt = static_cast<receipt_status>(rs);
    e.ordinal = at(o, 7, 8).as<std::uint32_t>();
    return e;
  } catch (...) {
    return bad_record(r, "payload is not an ig tuple event v1");
  }
}

std::string tuple_def::encode_state(const state& s) {
  msgpack::sbuffer buf(512);
  packer pk(buf);
  pk.pack_array(13);
  pk.pack(1);
  put(pk, s.tuple);
  pk.pack(static_cast<std::uint8_t>(s.status));
  put(pk, s.admission);
  put(pk, s.route);
  if (s.eb_ref)
    put(pk, *s.eb_ref);
  else
    pk.pack_nil();
  pk.pack(static_cast<std::uint8_t>(s.admission_receipt));
  pk.pack(s.decisions);
  pk.pack(s.duplicates);
  pk.pack(s.quarantines);
  pk.pack_array(static_cast<std::uint32_t>(s.pending.size()));
  for (auto& p : s.pending) {
    pk.pack_array(2);
    put(pk, p.d);
    pk.pack(static_cast<std::uint8_t>(p.status));
  }
  put(pk, s.last);
  pk.pack(static_cast<std::uint8_t>(s.last_outcome));
  return {buf.data(), buf.size()};
}

expected<tuple_state> tuple_def::decode_state(const journal::record_view& r) {
  if (r.schema_version != state_version())
    return bad_record(r, "unknown snapshot version");
  try {
    auto h = msgpack::unpack(r.payload.data(), r.payload.size());
    const auto& o = h.get();
    if (at(o, 0, 13).as<int>() != 1)
      return bad_record(r, "unknown snapshot format");
    tuple_state s;
    s.tuple = unpack_tuple(at(o, 1, 13));
    s.status = static_cast<publish_status>(std::min<int>(3, at(o, 2, 13).as<std::uint8_t>()));
    s.admission = unpack_decision(at(o, 3, 13));
    s.route = unpack_route(at(o, 4, 13));
    if (!at(o, 5, 13).is_nil())
      s.eb_ref = unpack_offset(at(o, 5, 13));
    s.admission_receipt =
        static_cast<receipt_status>(std::min<int>(2, at(o, 6, 13).as<std::uint8_t>()));
    s.decisions = at(o, 7, 13).as<std::uint32_t>();
    s.duplicates = at(o, 8, 13).as<std::uint64_t>();
    s.quarantines = at(o, 9, 13).as<std::uint64_t>();
    const auto& pend = at(o, 10, 13);
    if (pend.type != msgpack::type::ARRAY)
      throw bad_shape{};
    for (std::uint32_t i = 0; i < pend.via.array.size; ++i) {
      const auto& p = pend.via.array.ptr[i];
      s.pending.push_back({unpack_decision(at(p, 0, 2)),
                           static_cast<receipt_status>(std::min<int>(2, at(p, 1, 2).as<int>()))});
    }
    s.last = unpack_decision(at(o, 11, 13));
    s.last_outcome = static_cast<tuple_outcome>(at(o, 12, 13).as<std::uint8_t>());
    return s;
  } catch (...) {
    return bad_record(r, "snapshot is not an ig tuple state v1");
  }
}

nlohmann::json tuple_def::to_json(const state& s) {
  auto decision_json = [](const decision& d) {
    nlohmann::json j = {{"ordinal", d.ordinal},
                        {"decision", to_string(d.kind)},
                        {"received_at_utc", d.received_at_utc},
                        {"payload_hash", d.payload_hash},
                        {"scenario_run_id", d.scenario_run_id},
                        {"policy_rev", d.policy_rev},
                        {"service_release_id", d.service_release_id}};
    if (d.kind == decision_kind::quarantine) {
      j["reason"] = d.reason;
      j["field"] = d.field;
      j["evidence_ref"] = d.evidence_ref;
    }
    return j;
  };
  nlohmann::json j = {{"platform_run_id", s.tuple.platform_run_id},
                      {"event_class", s.tuple.event_class},
                      {"event_id", s.tuple.event_id},
                      {"publish_state", to_string(s.status)},
                      {"decisions", s.decisions},
                      {"duplicates", s.duplicates},
                      {"quarantines", s.quarantines}};
  if (s.status != publish_status::none) {
    j["payload_hash"] = s.admission.payload_hash;
    j["admission"] = decision_json(s.admission);
    j["route"] = {{"topic", s.route.topic},
                  {"partition", s.route.partition},
                  {"key", s.route.key},
                  {"end_offset", s.route.end_offset}};
    j["receipt"] = to_string(s.admission_receipt);
    j["receipt_write_failed"] = s.admission_receipt == receipt_status::failed;
  }
  if (s.eb_ref)
    j["eb_ref"] = {{"topic", s.eb_ref->topic},
                   {"partition", s.eb_ref->partition},
                   {"offset", s.eb_ref->offset}};
  j["pending_receipts"] = nlohmann::json::array();
  for (auto& p : s.pending) {
    auto d = decision_json(p.d);
    d["receipt"] = to_string(p.status);
    j["pending_receipts"].push_back(d);
  }
  return j;
}

std::string tuple_def::fingerprint(const command& c) {
  static constexpr const char* names[] = {
      "?",  "receive", "quarantine", "admit", "mark_ambiguous", "receipt_written", "receipt_failed",
      "get"};
  auto op = static_cast<unsigned>(c.op);
  return std::string(op < 8 ? names[op] : "?") + "(" + std::to_string(c.d.ordinal) + ")";
}

expected<std::optional<tuple_state>> read_tuple(const journal::journal& j,
                                                std::string_view dedupe_key) {
  return std::move(read_tuples(j, {std::string(dedupe_key)}).front());
}

std::vector<expected<std::optional<tuple_state>>>
read_tuples(const journal::journal& j, const std::vector<std::string>& dedupe_keys) {
  std::vector<std::string> pids;
  pids.reserve(dedupe_keys.size());
  for (auto& k : dedupe_keys)
    pids.push_back(actors::persistence_id(tuple_def::type, k));
  std::vector<std::optional<tuple_state>> states(pids.size());
  std::vector<std::optional<error>> failures(pids.size());
  auto reports = journal::recover_many(
      j, pids,
      [&](std::size_t i, const journal::record_view& r) {
        auto s = tuple_def::decode_state(r);
        if (!s)
          return false; // an older snapshot, or the events from the start
        states[i] = std::move(*s);
        return true;
      },
      [&](std::size_t i, const journal::record_view& r) {
        auto e = tuple_def::decode(r);
        if (!e) {
          failures[i] = e.error();
          return false;
        }
        if (!states[i])
          states[i].emplace();
        tuple_def::apply(*states[i], *e);
        return true;
      });
  std::vector<expected<std::optional<tuple_state>>> out;
  out.reserve(pids.size());
  for (std::size_t i = 0; i < pids.size(); ++i) {
    if (!reports[i])
      out.emplace_back(reports[i].error());
    else if (failures[i])
      out.emplace_back(*failures[i]);
    else
      out.emplace_back(std::move(states[i]));
  }
  return out;
}

actors::entity_client<tuple_def> start_tuples(actors::runtime& rt,
                                              const actors::entity_options& opts) {
  return actors::detail::start_region<tuple_def>(rt, opts);
}

std::string_view to_string(decision_kind k) {
  switch (k) {
  case decision_kind::admit:
    return "ADMIT";
  case decision_kind::duplicate:
    return "DUPLICATE";
  case decision_kind::quarantine:
    return "QUARANTINE";
  }
  return "?";
}

std::string_view to_string(publish_status s) {
  switch (s) {
  case publish_status::none:
    return "NONE";
  case publish_status::in_flight:
    return "PUBLISH_IN_FLIGHT";
  case publish_status::ambiguous:
    return "PUBLISH_AMBIGUOUS";
  case publish_status::admitted:
    return "ADMITTED";
  }
  return "?";
}

std::string_view to_string(receipt_status s) {
  switch (s) {
  case receipt_status::pending:
    return "pending";
  case receipt_status::written:
    return "written";
  case receipt_status::failed:
    return "receipt_write_failed";
  }
  return "?";
}

std::string_view to_string(tuple_outcome o) {
  switch (o) {
  case tuple_outcome::publish:
    return "publish";
  case tuple_outcome::duplicate:
    return "duplicate";
  case tuple_outcome::hash_mismatch:
    return "hash_mismatch";
  case tuple_outcome::in_flight:
    return "in_flight";
  case tuple_outcome::quarantined:
    return "quarantined";
  case tuple_outcome::admitted:
    return "admitted";
  case tuple_outcome::noop:
    return "noop";
  }
  return "?";
}

} // namespace fp::ig
