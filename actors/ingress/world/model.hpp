#pragma once

// The generative model (README.md): a merchant table, a customer population derived from the
// seed on demand, and an event-driven simulation that yields flows in time order. Pure: no
// I/O, no clock; the same params give the same flows.

#include "actors/ingress/world/prng.hpp"
#include "actors/ingress/world/types.hpp"

#include <array>
#include <cstdint>
#include <queue>
#include <string>
#include <vector>

namespace fp::world {

enum class pattern : std::uint8_t {
  none = 0,
  card_testing,     ///< a device farm runs many stolen cards through one merchant, small amounts
  account_takeover, ///< a burst on one victim's account from a new device, large amounts
  stolen_card,      ///< one or two card-not-present uses of a victim's card, fresh device
  friendly_fraud,   ///< the cardholder's own device and habits; learned only by chargeback
};
std::string_view to_string(pattern p) noexcept;

enum class event_kind : std::uint8_t { auth_request = 0, auth_retry };
std::string_view to_string(event_kind k) noexcept;

struct merchant_info {
  std::string id;       ///< `mer_` + 16 hex digits
  int category = 0;     ///< index into the category table (model.cpp)
  std::string mcc;      ///< ISO 18245 merchant category code
  std::string country;  ///< ISO 3166 alpha-2
  std::string currency; ///< ISO 4217
};

struct traffic_event {
  std::int64_t ts_ms = 0;
  std::int64_t amount_cents = 0;
  event_kind kind = event_kind::auth_request;
};

/// One flow: its arrival (context) and its traffic events, plus the truth about it.
struct flow_record {
  std::uint64_t ordinal = 0; ///< 0-based, in arrival order
  std::int64_t ts_ms = 0;    ///< arrival time
  std::uint32_t merchant = 0;
  std::uint64_t arrival_seq = 0; ///< 1-based, per merchant
  std::uint64_t flow_key = 0, party = 0, account = 0, instrument = 0, device = 0;
  std::uint32_t ip = 0;
  bool app = false; ///< ECOM_APP, else ECOM_WEB
  pattern fraud = pattern::none;
  std::uint64_t campaign = 0;         ///< 0 when none
  std::int64_t bank_observed_ms = -1; ///< when an issuer alert or the customer tells the bank
  std::int64_t chargeback_observed_ms = -1;
  std::uint8_t event_count = 0;
  std::array<traffic_event, 4> events{};
};

/// Yields exactly `params.flows` flows in non-decreasing `ts_ms` order. Memory is bounded by
/// the number of concurrently active campaigns and sprees, not by the number of flows.
class simulator {
public:
  explicit simulator(const params& p);

  /// The next flow, or false once `params.flows` have been produced.
  bool next(flow_record& out);

  const std::vector<merchant_info>& merchants() const noexcept { return merchants_; }
  std::uint64_t fraud_flows() const noexcept { return fraud_flows_; }
  /// Most scheduled intents held at once: the lookahead the simulation needed.
  std::size_t peak_pending() const noexcept { return peak_pending_; }

private:
  enum class intent_kind : std::uint8_t { legit_base, campaign_start, campaign_flow, spree };
  struct intent {
    std::int64_t ts_ms;
    std::uint64_t tie;
    intent_kind kind;
    pattern type;
    std::uint32_t remaining;
    std::uint32_t merchant;
    std::uint64_t campaign;
    std::uint64_t customer;
    std::uint64_t device;
    std::uint32_t ip;
    bool operator>(const intent& o) const noexcept {
      return ts_ms != o.ts_ms ? ts_ms > o.ts_ms : tie > o.tie;
    }
  };

  void push(intent i);
  std::int64_t next_time(std::int64_t from, double per_ms, bool fraud_profile);
  std::uint32_t pick_merchant(bool fraud);
  void legit_flow(flow_record& f, std::uint64_t customer, std::int64_t ts);
  void fraud_flow(flow_record& f, const intent& i);
  void observe(flow_record& f);
  void finish(flow_record& f, std::int64_t ts, std::uint32_t merchant);

  params p_;
  xoshiro256ss rng_;
  std::vector<merchant_info> merchants_;
  std::vector<double> legit_cdf_, fraud_cdf_;
  std::vector<std::uint64_t> arrival_seq_;
  std::priority_queue<intent, std::vector<intent>, std::greater<>> pending_;
  std::uint64_t customers_ = 0, farms_ = 0, kiosks_ = 0, nat_pool_ = 0;
  double legit_per_ms_ = 0, campaign_per_ms_ = 0, friendly_p_ = 0;
  std::array<double, 3> campaign_mix_{}; ///< cumulative: card testing, ATO, stolen card
  std::uint64_t emitted_ = 0, tie_ = 0, campaigns_ = 0, fraud_flows_ = 0;
  std::size_t peak_pending_ = 0;
};

/// `prefix` + 16 lowercase hex digits of `key`.
std::string key_id(std::string_view prefix, std::uint64_t key);
/// `ip` as a dotted quad.
std::string ip_text(std::uint32_t ip);

} // namespace fp::world
