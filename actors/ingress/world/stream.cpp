#include "actors/ingress/world/stream.hpp"

#include "actors/ingress/world/model.hpp"
#include "actors/ingress/world/params.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"

#include <nlohmann/json.hpp>

#include <queue>
#include <vector>

namespace fp::world {

namespace {

constexpr std::array<std::string_view, output_count> ids{
    "arrival_events_5B", "s1_arrival_entities_6B", "s3_flow_anchor_with_fraud_6B",
    "s3_event_stream_with_fraud_6B", "s4_flow_truth_6B"};

constexpr std::string_view pk_arrival[] = {"merchant_id", "arrival_seq"};
constexpr std::string_view pk_flow_event[] = {"flow_id", "event_seq"};
constexpr std::string_view pk_flow[] = {"flow_id"};

/// A traffic event waiting for every earlier row to be written.
struct held_event {
  std::int64_t ts_ms;
  std::uint64_t ordinal;
  std::uint32_t seq;
  std::uint32_t merchant;
  std::uint64_t flow_key;
  std::int64_t amount_cents;
  event_kind kind;
  bool app;
  bool operator>(const held_event& o) const noexcept {
    if (ts_ms != o.ts_ms)
      return ts_ms > o.ts_ms;
    if (ordinal != o.ordinal)
      return ordinal > o.ordinal;
    return seq > o.seq;
  }
};

nlohmann::json ts_or_null(std::int64_t ms) {
  return ms < 0 ? nlohmann::json(nullptr) : nlohmann::json(format_ts(ms));
}

double amount_of(std::int64_t cents) {
  // Shortest round-trip text of cents / 100 is the two-decimal amount ("12.34", "5").
  return static_cast<double>(cents) / 100.0;
}

} // namespace

std::string_view output_id(output o) noexcept {
  return ids[static_cast<int>(o)];
}

std::string_view output_role(output o) noexcept {
  switch (o) {
  case output::event_stream:
    return "business_traffic";
  case output::truth:
    return "truth";
  default:
    return "context";
  }
}

std::string output_dir(output o) {
  return std::string(o == output::truth ? "truth/" : "outputs/") + std::string(output_id(o));
}

std::span<const std::string_view> primary_key(output o) noexcept {
  switch (o) {
  case output::event_stream:
    return pk_flow_event;
  case output::truth:
    return pk_flow;
  default:
    return pk_arrival;
  }
}

stream_stats stream_world(const params& p, const row_sink& sink,
                          const std::function<void(std::uint64_t)>& on_flows) {
  simulator sim(p);
  const auto& merchants = sim.merchants();
  stream_stats st;
  std::priority_queue<held_event, std::vector<held_event>, std::greater<>> held;
  auto emit = [&](output o, std::int64_t ts, const nlohmann::json& row) {
    sink(o, ts, schemas::canonical(row));
    ++st.rows[static_cast<int>(o)];
  };
  auto flush_until = [&](std::int64_t ts) {
    while (!held.empty() && held.top().ts_ms <= ts) {
      auto e = held.top();
      held.pop();
      emit(output::event_stream, e.ts_ms,
           {{"flow_id", key_id("flw_", e.flow_key)},
            {"event_seq", e.seq},
            {"event_type", std::string(to_string(e.kind))},
            {"ts_utc", format_ts(e.ts_ms)},
            {"amount", amount_of(e.amount_cents)},
            {"currency", merchants[e.merchant].currency},
            {"channel", e.app ? "ECOM_APP" : "ECOM_WEB"}});
    }
  };
  flow_record f;
  bool first = true;
  while (sim.next(f)) {
    if (first) {
      st.first_ts_ms = f.ts_ms;
      first = false;
    }
    flush_until(f.ts_ms);
    const auto& m = merchants[f.merchant];
    auto ts = format_ts(f.ts_ms);
    auto flow_id = key_id("flw_", f.flow_key);
    emit(output::arrival_events, f.ts_ms,
         {{"merchant_id", m.id},
          {"arrival_seq", f.arrival_seq},
          {"ts_utc", ts},
          {"channel", f.app ? "ECOM_APP" : "ECOM_WEB"},
          {"mcc", m.mcc},
          {"merchant_country", m.country}});
    emit(output::arrival_entities, f.ts_ms,
         {{"merchant_id", m.id},
          {"arrival_seq", f.arrival_seq},
          {"ts_utc", ts},
          {"party_id", key_id("pty_", f.party)},
          {"account_id", key_id("acc_", f.account)},
          {"instrument_id", key_id("ins_", f.instrument)},
          {"device_id", key_id("dev_", f.device)},
          {"ip_address", ip_text(f.ip)}});
    emit(output::flow_anchor, f.ts_ms,
         {{"merchant_id", m.id},
          {"arrival_seq", f.arrival_seq},
          {"flow_id", flow_id},
          {"ts_utc", ts}});
    bool fraud = f.fraud != pattern::none;
    emit(output::truth, f.ts_ms,
         {{"flow_id", flow_id},
          {"ts_utc", ts},
          {"is_fraud", fraud},
          {"fraud_pattern", std::string(to_string(f.fraud))},
          {"campaign_id",
           f.campaign == 0 ? nlohmann::json(nullptr) : nlohmann::json(key_id("cmp_", f.campaign))},
          {"label_effective_utc", fraud ? nlohmann::json(ts) : nlohmann::json(nullptr)},
          {"bank_observed_utc", ts_or_null(f.bank_observed_ms)},
          {"chargeback_observed_utc", ts_or_null(f.chargeback_observed_ms)}});
    for (std::uint8_t s = 0; s < f.event_count; ++s)
      held.push({f.events[s].ts_ms, f.ordinal, s, f.merchant, f.flow_key, f.events[s].amount_cents,
                 f.events[s].kind, f.app});
    st.peak_pending_events = std::max(st.peak_pending_events, held.size());
    st.last_ts_ms = std::max(st.last_ts_ms, f.ts_ms);
    ++st.flows;
    if (on_flows && (st.flows & 0x3ff) == 0)
      on_flows(st.flows);
  }
  while (!held.empty()) {
    st.last_ts_ms = std::max(st.last_ts_ms, held.top().ts_ms);
    flush_until(held.top().ts_ms);
  }
  if (on_flows)
    on_flows(st.flows);
  st.fraud_flows = sim.fraud_flows();
  st.peak_pending_intents = sim.peak_pending();
  return st;
}

expected<std::string> row_event_id(std::string_view manifest_fingerprint, output o,
                                   const nlohmann::json& row) {
  std::vector<std::string> parts{std::string(manifest_fingerprint), std::string(output_id(o))};
  for (auto field : primary_key(o)) {
    auto it = row.find(std::string(field));
    if (it == row.end() ||
        !(it->is_string() || it->is_number_unsigned() || it->is_number_integer()))
      return fp::error{schemas::errc::missing_field,
                       std::string(output_id(o)) + "." + std::string(field) +
                           ": primary key field missing or not a string/integer"};
    parts.push_back(it->is_string() ? it->get<std::string>() : it->dump());
  }
  switch (parts.size()) {
  case 3:
    return schemas::composite_id({parts[0], parts[1], parts[2]});
  default:
    return schemas::composite_id({parts[0], parts[1], parts[2], parts[3]});
  }
}

} // namespace fp::world
