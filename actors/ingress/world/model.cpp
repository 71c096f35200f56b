#include "actors/ingress/world/model.hpp"

#include <algorithm>
#include <cmath>

namespace fp::world {

namespace {

// Salts of the stateless attribute families (mix3's second argument).
enum salt : std::uint64_t {
  s_merchant = 1,
  s_customer,
  s_party,
  s_account,
  s_instrument,
  s_device,
  s_household,
  s_device2,
  s_kiosk,
  s_farm_device,
  s_farm_ip,
  s_fresh_device,
  s_fresh_ip,
  s_home_ip,
  s_nat_ip,
  s_mobile_ip,
  s_kiosk_ip,
  s_new_device,
  s_flow,
  s_campaign,
};

struct category {
  const char* name;
  const char* mcc;
  double weight;        ///< share of merchants
  double median_amount; ///< in the merchant's currency
  double fraud_risk;    ///< multiplier on the merchant's weight for fraud
};

// Index order matters: merchant i < 10 gets category i, so every world has each one.
constexpr std::array<category, 10> categories{{
    {"grocery", "5411", 0.18, 45, 0.3},
    {"digital_goods", "5818", 0.10, 15, 5.0},
    {"restaurants", "5812", 0.15, 35, 0.4},
    {"electronics", "5732", 0.10, 250, 4.0},
    {"fuel", "5541", 0.10, 50, 0.5},
    {"gift_cards", "5947", 0.05, 100, 6.0},
    {"apparel", "5651", 0.12, 80, 1.0},
    {"travel", "4511", 0.07, 400, 2.5},
    {"pharmacy", "5912", 0.10, 30, 0.4},
    {"jewelry", "5944", 0.03, 600, 4.0},
}};

struct country {
  const char* code;
  const char* currency;
};
constexpr std::array<country, 5> countries{
    {{"US", "USD"}, {"GB", "GBP"}, {"DE", "EUR"}, {"FR", "EUR"}, {"NL", "EUR"}}};

// Relative arrival intensity by UTC hour (the world has one time zone). Legit traffic peaks in
// the evening; fraud campaigns start mostly at night.
constexpr std::array<double, 24> legit_hours{0.30, 0.18, 0.12, 0.10, 0.10, 0.15, 0.30, 0.55,
                                             0.80, 0.95, 1.05, 1.15, 1.25, 1.20, 1.15, 1.15,
                                             1.20, 1.35, 1.50, 1.60, 1.55, 1.30, 0.95, 0.55};
constexpr std::array<double, 24> fraud_hours{1.6, 1.9, 2.0, 2.0, 1.8, 1.4, 0.9, 0.6,
                                             0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6,
                                             0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.4};

double mean_of(const std::array<double, 24>& a) {
  double s = 0;
  for (double x : a)
    s += x;
  return s / 24;
}
double max_of(const std::array<double, 24>& a) {
  return *std::max_element(a.begin(), a.end());
}

// Shares of fraud flows by pattern, and the mean flows a campaign of each kind produces.
constexpr double share_card_testing = 0.40, share_ato = 0.30, share_stolen = 0.15,
                 share_friendly = 0.15;
constexpr double flows_card_testing = 12.5, flows_ato = 5.0, flows_stolen = 1.3;
constexpr double spree_p = 0.04, spree_mean_extra = 2.0;

constexpr std::uint32_t ip_base = (100u << 24) | (64u << 16); // 100.64.0.0/10 (shared space)
std::uint32_t ip_of(std::uint64_t h) {
  return ip_base | static_cast<std::uint32_t>(h & 0x3fffff);
}

std::int64_t round_cents(double amount) {
  return std::max<std::int64_t>(50, std::llround(amount * 100.0));
}

constexpr std::int64_t second = 1000, minute = 60 * second, hour = 60 * minute, day = 24 * hour;

} // namespace

std::string_view to_string(pattern p) noexcept {
  switch (p) {
  case pattern::none:
    return "none";
  case pattern::card_testing:
    return "card_testing";
  case pattern::account_takeover:
    return "account_takeover";
  case pattern::stolen_card:
    return "stolen_card";
  case pattern::friendly_fraud:
    return "friendly_fraud";
  }
  return "none";
}

std::string_view to_string(event_kind k) noexcept {
  return k == event_kind::auth_request ? "AUTH_REQUEST" : "AUTH_RETRY";
}

std::string key_id(std::string_view prefix, std::uint64_t key) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s(prefix);
  s.resize(prefix.size() + 16);
  for (int i = 15; i >= 0; --i) {
    s[prefix.size() + i] = hex[key & 0xf];
    key >>= 4;
  }
  return s;
}

std::string ip_text(std::uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
         std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

simulator::simulator(const params& p)
    : p_(p)
    , rng_(mix64(p.seed ^ 0x5752'4c44'5359'4e54ULL)) {
  // Merchants: a category (the first ten cover every category), a country and a size.
  merchants_.reserve(p.merchants);
  double legit_total = 0, fraud_total = 0;
  for (std::uint64_t i = 0; i < p.merchants; ++i) {
    auto h = mix3(p.seed, s_merchant, i);
    int cat = 0;
    if (i < categories.size()) {
      cat = static_cast<int>(i);
    } else {
      double u = unit(mix64(h ^ 1)), acc = 0;
      for (std::size_t c = 0; c < categories.size(); ++c) {
        acc += categories[c].weight;
        if (u < acc || c + 1 == categories.size()) {
          cat = static_cast<int>(c);
          break;
        }
      }
    }
    auto& ctry = countries[mix64(h ^ 2) % countries.size()];
    merchants_.push_back({key_id("mer_", h), cat, categories[cat].mcc, ctry.code, ctry.currency});
    // Zipf-like sizes, shuffled by the hash so that size and index are unrelated.
    double size = 1.0 / std::pow(1.0 + static_cast<double>(mix64(h ^ 3) % p.merchants), 0.8);
    legit_total += size;
    fraud_total += size * categories[cat].fraud_risk;
    legit_cdf_.push_back(legit_total);
    fraud_cdf_.push_back(fraud_total);
  }
  arrival_seq_.assign(p.merchants, 0);

  customers_ = std::max<std::uint64_t>(20, p.flows / 3);
  farms_ = std::max<std::uint64_t>(2, customers_ / 3000);
  kiosks_ = std::max<std::uint64_t>(3, customers_ / 400);
  nat_pool_ = std::max<std::uint64_t>(2, customers_ / 150);

  // Rates per millisecond so that about `flows` flows fall within the span.
  double flows = static_cast<double>(p.flows), f = static_cast<double>(p.fraud_rate_bp) / 1e4;
  double span_ms = static_cast<double>(p.span_seconds) * 1000.0;
  double base_arrivals =
      flows * (1.0 - f * (1.0 - share_friendly)) / (1.0 + spree_p * spree_mean_extra);
  legit_per_ms_ = base_arrivals / span_ms;
  friendly_p_ = base_arrivals > 0 ? flows * f * share_friendly / base_arrivals : 0;
  double ct = flows * f * share_card_testing / flows_card_testing;
  double ato = flows * f * share_ato / flows_ato;
  double st = flows * f * share_stolen / flows_stolen;
  double campaigns = ct + ato + st;
  campaign_per_ms_ = campaigns / span_ms;
  campaign_mix_ = campaigns > 0 ? std::array<double, 3>{ct / campaigns, (ct + ato) / campaigns, 1.0}
                                : std::array<double, 3>{1.0, 1.0, 1.0};

  push({p.start_ms, 0, intent_kind::legit_base, pattern::none, 0, 0, 0, 0, 0, 0});
  if (campaign_per_ms_ > 0)
    push({next_time(p.start_ms, campaign_per_ms_, true), 0, intent_kind::campaign_start,
          pattern::none, 0, 0, 0, 0, 0, 0});
}

void simulator::push(intent i) {
  i.tie = tie_++;
  pending_.push(i);
  peak_pending_ = std::max(peak_pending_, pending_.size());
}

std::int64_t simulator::next_time(std::int64_t from, double per_ms, bool fraud_profile) {
  // A non-homogeneous Poisson process by thinning: candidates at the peak rate, each kept
  // with probability profile(hour) / peak.
  auto& prof = fraud_profile ? fraud_hours : legit_hours;
  double peak = max_of(prof) / mean_of(prof);
  double t = static_cast<double>(from);
  for (;;) {
    t += rng_.exponential(1.0 / (per_ms * peak));
    auto h = static_cast<std::size_t>((static_cast<std::int64_t>(t) / hour) % 24);
    if (rng_.uniform() * max_of(prof) < prof[h])
      return static_cast<std::int64_t>(t);
  }
}

std::uint32_t simulator::pick_merchant(bool fraud) {
  auto& cdf = fraud ? fraud_cdf_ : legit_cdf_;
  double u = rng_.uniform() * cdf.back();
  auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
  return static_cast<std::uint32_t>(std::min<std::size_t>(it - cdf.begin(), cdf.size() - 1));
}

namespace {

struct customer {
  std::uint64_t party, account, card0, card1, primary_device, second_device;
  std::uint32_t home_ip;
  double amount_factor;
};

customer customer_of(const params& p, std::uint64_t c, std::uint64_t nat_pool) {
  auto h = mix3(p.seed, s_customer, c);
  customer x{};
  x.party = mix3(p.seed, s_party, c);
  x.account = mix3(p.seed, s_account, c);
  x.card0 = mix3(p.seed, s_instrument, 2 * c);
  x.card1 = unit(mix64(h ^ 1)) < 0.3 ? mix3(p.seed, s_instrument, 2 * c + 1) : 0;
  // A quarter of customers share a household device with their neighbours (c / 3).
  x.primary_device =
      unit(mix64(h ^ 2)) < 0.25 ? mix3(p.seed, s_household, c / 3) : mix3(p.seed, s_device, c);
  x.second_device = mix3(p.seed, s_device2, c);
  x.home_ip = unit(mix64(h ^ 3)) < 0.15 ? ip_of(mix3(p.seed, s_nat_ip, mix64(h ^ 4) % nat_pool))
                                        : ip_of(mix3(p.seed, s_home_ip, c));
  xoshiro256ss r(h);
  x.amount_factor = r.lognormal(0, 0.4);
  return x;
}

} // namespace

void simulator::finish(flow_record& f, std::int64_t ts, std::uint32_t merchant) {
  f.ordinal = emitted_++;
  f.ts_ms = ts;
  f.merchant = merchant;
  f.arrival_seq = ++arrival_seq_[merchant];
  f.flow_key = mix3(p_.seed, s_flow, f.ordinal);
  f.app = (f.device & 1) != 0;
  if (f.fraud != pattern::none)
    ++fraud_flows_;
}

void simulator::legit_flow(flow_record& f, std::uint64_t c, std::int64_t ts) {
  auto cu = customer_of(p_, c, nat_pool_);
  auto m = pick_merchant(false);
  f.party = cu.party;
  f.account = cu.account;
  f.instrument = cu.card1 != 0 && rng_.chance(0.4) ? cu.card1 : cu.card0;
  double u = rng_.uniform();
  if (u < 0.03) { // a new phone or browser
    f.device = mix3(p_.seed, s_new_device, emitted_);
    f.ip = cu.home_ip;
  } else if (u < 0.045) { // a library or hotel kiosk: shared by many honest accounts
    auto k = rng_.below(kiosks_);
    f.device = mix3(p_.seed, s_kiosk, k);
    f.ip = ip_of(mix3(p_.seed, s_kiosk_ip, k));
  } else {
    f.device = u < 0.85 ? cu.primary_device : cu.second_device;
    f.ip = rng_.chance(0.85) ? cu.home_ip : ip_of(mix3(p_.seed, s_mobile_ip, rng_.below(65536)));
  }
  double amount =
      categories[merchants_[m].category].median_amount * cu.amount_factor * rng_.lognormal(0, 0.6);
  bool friendly = rng_.chance(friendly_p_);
  if (friendly) {
    f.fraud = pattern::friendly_fraud;
    amount *= rng_.uniform(1.0, 2.0);
  }
  f.event_count = 1;
  f.events[0] = {ts, round_cents(amount), event_kind::auth_request};
  if (rng_.chance(0.03)) {
    f.events[1] = {ts + static_cast<std::int64_t>(rng_.uniform(20, 120) * second),
                   f.events[0].amount_cents, event_kind::auth_retry};
    f.event_count = 2;
  }
  finish(f, ts, m);
}

void simulator::fraud_flow(flow_record& f, const intent& i) {
  f.fraud = i.type;
  f.campaign = i.campaign;
  std::uint64_t victim = i.customer;
  auto m = i.merchant;
  double amount = 0;
  f.event_count = 1;
  switch (i.type) {
  case pattern::card_testing: {
    victim = rng_.below(customers_); // a different stolen card every flow
    auto farm = i.customer;          // for card testing, `customer` carries the farm
    f.device = mix3(p_.seed, s_farm_device, farm * 16 + rng_.below(6));
    f.ip = ip_of(mix3(p_.seed, s_farm_ip, farm * 16 + rng_.below(3)));
    amount = rng_.uniform(0.5, 5.0);
    auto retries = rng_.below(4);
    std::int64_t t = i.ts_ms;
    for (std::uint64_t r = 0; r < retries; ++r) {
      t += static_cast<std::int64_t>(rng_.uniform(3, 40) * second);
      f.events[1 + r] = {t, round_cents(rng_.uniform(0.5, 5.0)), event_kind::auth_retry};
    }
    f.event_count = static_cast<std::uint8_t>(1 + retries);
    break;
  }
  case pattern::account_takeover:
  case pattern::stolen_card: {
    f.device = i.device;
    f.ip = i.ip;
    m = pick_merchant(true);
    double scale =
        i.type == pattern::account_takeover ? rng_.uniform(2.5, 8.0) : rng_.uniform(1.5, 5.0);
    amount = categories[merchants_[m].category].median_amount * scale;
    if (rng_.chance(i.type == pattern::account_takeover ? 0.2 : 0.25)) {
      f.events[1] = {i.ts_ms + static_cast<std::int64_t>(rng_.uniform(10, 60) * second), 0,
                     event_kind::auth_retry};
      f.event_count = 2;
    }
    break;
  }
  default:
    break;
  }
  auto cu = customer_of(p_, victim, nat_pool_);
  f.party = cu.party;
  f.account = cu.account;
  f.instrument = cu.card1 != 0 && rng_.chance(0.3) ? cu.card1 : cu.card0;
  if (i.type != pattern::card_testing)
    amount *= cu.amount_factor;
  f.events[0] = {i.ts_ms, round_cents(amount), event_kind::auth_request};
  if (i.type != pattern::card_testing && f.event_count == 2)
    f.events[1].amount_cents = round_cents(amount * 0.6);
  finish(f, i.ts_ms, m);
}

void simulator::observe(flow_record& f) {
  // When the bank (issuer alert or customer report) and a chargeback would reveal the fraud;
  // some fraud is never revealed at all.
  auto after = [&](double p, std::int64_t lo, std::int64_t hi) -> std::int64_t {
    bool seen = rng_.chance(p);
    auto delay =
        static_cast<std::int64_t>(rng_.uniform(static_cast<double>(lo), static_cast<double>(hi)));
    return seen ? f.ts_ms + delay : -1;
  };
  switch (f.fraud) {
  case pattern::none:
    return;
  case pattern::card_testing:
    f.bank_observed_ms = after(0.7, 1 * hour, 48 * hour);
    f.chargeback_observed_ms = after(0.2, 20 * day, 60 * day);
    return;
  case pattern::account_takeover:
    f.bank_observed_ms = after(0.85, 6 * hour, 5 * day);
    f.chargeback_observed_ms = after(0.6, 15 * day, 45 * day);
    return;
  case pattern::stolen_card:
    f.bank_observed_ms = after(0.7, 2 * day, 30 * day);
    f.chargeback_observed_ms = after(0.8, 20 * day, 60 * day);
    return;
  case pattern::friendly_fraud:
    f.bank_observed_ms = -1;
    f.chargeback_observed_ms = after(0.9, 30 * day, 90 * day);
    return;
  }
}

bool simulator::next(flow_record& out) {
  if (emitted_ >= p_.flows)
    return false;
  for (;;) {
    intent i = pending_.top();
    pending_.pop();
    out = flow_record{};
    switch (i.kind) {
    case intent_kind::legit_base: {
      push({next_time(i.ts_ms, legit_per_ms_, false), 0, intent_kind::legit_base, pattern::none, 0,
            0, 0, 0, 0, 0});
      auto c = rng_.below(customers_);
      legit_flow(out, c, i.ts_ms);
      if (out.fraud == pattern::none && rng_.chance(spree_p)) // a shopping spree follows
        push({i.ts_ms + static_cast<std::int64_t>(rng_.exponential(5 * minute)), 0,
              intent_kind::spree, pattern::none, static_cast<std::uint32_t>(1 + rng_.below(3)), 0,
              0, c, 0, 0});
      break;
    }
    case intent_kind::spree:
      legit_flow(out, i.customer, i.ts_ms);
      if (--i.remaining > 0) {
        i.ts_ms += static_cast<std::int64_t>(rng_.exponential(5 * minute));
        push(i);
      }
      break;
    case intent_kind::campaign_start: {
      push({next_time(i.ts_ms, campaign_per_ms_, true), 0, intent_kind::campaign_start,
            pattern::none, 0, 0, 0, 0, 0, 0});
      intent c{};
      c.ts_ms = i.ts_ms;
      c.kind = intent_kind::campaign_flow;
      c.campaign = mix3(p_.seed, s_campaign, ++campaigns_);
      double u = rng_.uniform();
      if (u < campaign_mix_[0]) {
        c.type = pattern::card_testing;
        c.customer = rng_.below(farms_);
        c.merchant = pick_merchant(true); // testers hammer one merchant
        c.remaining = static_cast<std::uint32_t>(5 + rng_.below(16));
      } else {
        bool ato = u < campaign_mix_[1];
        c.type = ato ? pattern::account_takeover : pattern::stolen_card;
        c.customer = rng_.below(customers_);
        bool farm = ato && rng_.chance(0.5);
        auto fa = rng_.below(farms_);
        c.device = farm ? mix3(p_.seed, s_farm_device, fa * 16 + rng_.below(6))
                        : mix3(p_.seed, s_fresh_device, campaigns_);
        c.ip = farm ? ip_of(mix3(p_.seed, s_farm_ip, fa * 16 + rng_.below(3)))
                    : ip_of(mix3(p_.seed, s_fresh_ip, campaigns_));
        c.remaining = ato ? static_cast<std::uint32_t>(2 + rng_.below(7))
                          : static_cast<std::uint32_t>(rng_.chance(0.3) ? 2 : 1);
      }
      fraud_flow(out, c);
      if (--c.remaining > 0) {
        c.ts_ms += static_cast<std::int64_t>(rng_.exponential(
            c.type == pattern::card_testing
                ? 25 * second
                : (c.type == pattern::account_takeover ? 4 * minute : 10 * minute)));
        push(c);
      }
      break;
    }
    case intent_kind::campaign_flow:
      fraud_flow(out, i);
      if (--i.remaining > 0) {
        i.ts_ms += static_cast<std::int64_t>(rng_.exponential(
            i.type == pattern::card_testing
                ? 25 * second
                : (i.type == pattern::account_takeover ? 4 * minute : 10 * minute)));
        push(i);
      }
      break;
    }
    observe(out);
    return true;
  }
}

} // namespace fp::world
