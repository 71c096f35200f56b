#include "actors/ingress/ig/run_entity.hpp"

#include "actors/core/region_impl.hpp"
#include "journal/journal.hpp"

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

namespace fp::ig {

namespace {

constexpr std::string_view opened_type = "ig.run_opened";

std::string pack_run(const run_pins& p, const std::string& opened_at) {
  msgpack::sbuffer buf(512);
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(10);
  pk.pack(1);
  for (auto* s : {&p.platform_run_id, &p.scenario_run_id, &p.scenario_id, &p.manifest_fingerprint,
                  &p.parameter_hash})
    pk.pack(*s);
  pk.pack(p.seed);
  pk.pack(p.ready_message_id);
  pk.pack(p.run_facts_view_ref);
  pk.pack(opened_at);
  return {buf.data(), buf.size()};
}

expected<run_event> unpack_run(const journal::record_view& r) {
  try {
    auto h = msgpack::unpack(r.payload.data(), r.payload.size());
    const auto& o = h.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 10 ||
        o.via.array.ptr[0].as<int>() != 1)
      throw std::runtime_error("shape");
    auto s = [&](int i) { return o.via.array.ptr[i].as<std::string>(); };
    run_event e;
    e.pins = {s(1), s(2), s(3), s(4), s(5), o.via.array.ptr[6].as<std::uint64_t>(), s(7), s(8)};
    e.opened_at_utc = s(9);
    return e;
  } catch (...) {
    return error{actors::errc::recovery_failed, "ig: " + std::string(r.persistence_id) + " seq " +
                                                    std::to_string(r.seq) +
                                                    ": payload is not an ig run v1"};
  }
}

} // namespace

expected<std::vector<run_event>> run_def::handle(const state& s, const command& c) {
  if (!c.open)
    return std::vector<run_event>{};
  if (s.pins) {
    if (*s.pins == c.pins)
      return std::vector<run_event>{};
    return error{actors::errc::rejected, "ig_run " + c.pins.platform_run_id +
                                             ": already open with other pins (READY " +
                                             s.pins->ready_message_id + ")"};
  }
  return std::vector<run_event>{{c.pins, c.opened_at_utc}};
}

void run_def::apply(state& s, const event& e) {
  s.pins = e.pins;
  s.opened_at_utc = e.opened_at_utc;
}

journal::event_data run_def::encode(const event& e) {
  return {std::string(opened_type), 1, pack_run(e.pins, e.opened_at_utc)};
}

expected<run_event> run_def::decode(const journal::record_view& r) {
  if (r.event_type != opened_type || r.schema_version != 1)
    return error{actors::errc::recovery_failed, "ig: " + std::string(r.persistence_id) +
                                                    ": unknown event " + std::string(r.event_type)};
  return unpack_run(r);
}

std::string run_def::encode_state(const state& s) {
  return pack_run(s.pins.value_or(run_pins{}), s.opened_at_utc);
}

expected<run_state> run_def::decode_state(const journal::record_view& r) {
  auto e = unpack_run(r);
  if (!e)
    return std::move(e).error();
  run_state s;
  if (!e->pins.platform_run_id.empty())
    s.pins = e->pins;
  s.opened_at_utc = e->opened_at_utc;
  return s;
}

nlohmann::json run_def::to_json(const state& s) {
  if (!s.pins)
    return {{"open", false}};
  const auto& p = *s.pins;
  return {{"open", true},
          {"platform_run_id", p.platform_run_id},
          {"scenario_run_id", p.scenario_run_id},
          {"scenario_id", p.scenario_id},
          {"manifest_fingerprint", p.manifest_fingerprint},
          {"parameter_hash", p.parameter_hash},
          {"seed", p.seed},
          {"ready_message_id", p.ready_message_id},
          {"run_facts_view_ref", p.run_facts_view_ref},
          {"opened_at_utc", s.opened_at_utc}};
}

std::string run_def::fingerprint(const command& c) {
  return c.open ? "open(" + c.pins.platform_run_id + ")" : "get";
}

expected<std::vector<run_state>> read_runs(const journal::journal& j) {
  std::vector<run_state> out;
  std::optional<error> failure;
  std::vector<std::string> pids;
  auto listed = j.list_streams(
      [&](std::string_view pid, std::uint64_t) {
        pids.emplace_back(pid);
        return true;
      },
      {}, std::string(run_def::type) + "/");
  if (!listed)
    return std::move(listed).error();
  for (auto& pid : pids) {
    run_state s;
    auto n = j.read_entity(pid, 1, [&](const journal::record_view& r) {
      auto e = run_def::decode(r);
      if (!e) {
        failure = e.error();
        return false;
      }
      run_def::apply(s, *e);
      return true;
    });
    if (!n)
      return std::move(n).error();
    if (failure)
      return *failure;
    if (s.pins)
      out.push_back(std::move(s));
  }
  return out;
}

actors::entity_client<run_def> start_runs(actors::runtime& rt, const actors::entity_options& opts) {
  return actors::detail::start_region<run_def>(rt, opts);
}

} // namespace fp::ig
