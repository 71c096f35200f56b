#include "actors/testkit/counter.hpp"

#include "actors/core/region_impl.hpp"

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace fp::testkit {

std::atomic<int> counter_def::crash_budget{0};

namespace {

error bad_bytes(const journal::record_view& r, const std::string& what) {
  return error{actors::errc::recovery_failed, "testkit: counter " + std::string(r.event_type) +
                                                  " seq " + std::to_string(r.seq) + ": " + what};
}

/// Big-endian unsigned integer of `n` bytes at `p`.
std::uint64_t read_be(const unsigned char* p, int n) {
  std::uint64_t x = 0;
  for (int i = 0; i < n; ++i)
    x = (x << 8) | p[i];
  return x;
}

/// Decodes a msgpack array of exactly `n` int64 fields `[version, a, b, ...]` into `out`; never
/// throws. Accepts what `msgpack::unpack(...).as<std::int64_t>()` per element accepts (any
/// integer encoding that fits an int64; bytes after the array are ignored, as unpack ignores
/// them) without a msgpack zone or a vector per call: recovery decodes every event here.
bool decode_ints(std::string_view bytes, std::int64_t* out, std::uint64_t n) {
  auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  auto* end = p + bytes.size();
  auto need = [&](std::size_t n) { return static_cast<std::size_t>(end - p) >= n; };
  if (!need(1))
    return false;
  std::uint64_t count = 0;
  auto h = *p++;
  if (h >= 0x90 && h <= 0x9f) {
    count = h & 0x0f;
  } else if (h == 0xdc || h == 0xdd) {
    int w = h == 0xdc ? 2 : 4;
    if (!need(w))
      return false;
    count = read_be(p, w);
    p += w;
  } else {
    return false;
  }
  if (count != n)
    return false;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!need(1))
      return false;
    auto t = *p++;
    if (t <= 0x7f) {
      out[i] = t;
      continue;
    }
    if (t >= 0xe0) {
      out[i] = static_cast<std::int8_t>(t);
      continue;
    }
    int w = 0;
    bool is_signed = false;
    switch (t) {
    case 0xcc:
      w = 1;
      break;
    case 0xcd:
      w = 2;
      break;
    case 0xce:
      w = 4;
      break;
    case 0xcf:
      w = 8;
      break;
    case 0xd0:
      w = 1, is_signed = true;
      break;
    case 0xd1:
      w = 2, is_signed = true;
      break;
    case 0xd2:
      w = 4, is_signed = true;
      break;
    case 0xd3:
      w = 8, is_signed = true;
      break;
    default:
      return false; // not an integer
    }
    if (!need(static_cast<std::size_t>(w)))
      return false;
    auto raw = read_be(p, w);
    p += w;
    if (!is_signed) {
      if (raw > static_cast<std::uint64_t>(INT64_MAX))
        return false; // does not fit an int64
      out[i] = static_cast<std::int64_t>(raw);
      continue;
    }
    auto shift = 64 - 8 * w; // sign-extend
    out[i] = static_cast<std::int64_t>(raw << shift) >> shift;
  }
  return true;
}

std::string encode_ints(std::initializer_list<std::int64_t> xs) {
  // A few ints: msgpack's default 8 KiB buffer would cost a large allocation per event.
  msgpack::sbuffer buf(16 + 9 * xs.size());
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(static_cast<std::uint32_t>(xs.size()));
  for (auto x : xs)
    pk.pack(x);
  return {buf.data(), buf.size()};
}

} // namespace

expected<std::vector<counter_event>> counter_def::handle(const state& s, const command& c) {
  switch (c.op) {
  case counter_op::add:
    if (c.amount == 0)
      return error{actors::errc::rejected, "amount: must not be 0"};
    if ((c.amount > 0 && s.value > INT64_MAX - c.amount) ||
        (c.amount < 0 && s.value < INT64_MIN - c.amount))
      return error{actors::errc::rejected, "amount: the counter would overflow"};
    return std::vector<event>{event{c.amount, c.at_ns}};
  case counter_op::get:
    return std::vector<event>{};
  case counter_op::crash:
    if (crash_budget.fetch_sub(1) > 0)
      throw std::runtime_error("injected crash");
    crash_budget = 0;
    return std::vector<event>{};
  }
  return error{actors::errc::rejected, "op: unknown operation"};
}

void counter_def::apply(state& s, const event& e) {
  s.value += e.amount;
  s.adds += 1;
  s.last_at_ns = e.at_ns;
}

counter_reply counter_def::reply_for(const state& s, const command&) {
  return counter_reply{s.value, s.adds};
}

journal::event_data counter_def::encode(const event& e) {
  return journal::event_data{"counter.added", 1, encode_ints({1, e.amount, e.at_ns})};
}

expected<counter_event> counter_def::decode(const journal::record_view& r) {
  if (r.event_type != "counter.added" || r.schema_version != 1)
    return bad_bytes(r, "unknown event type or version " + std::to_string(r.schema_version));
  std::int64_t f[3];
  if (!decode_ints(r.payload, f, 3) || f[0] != 1)
    return bad_bytes(r, "payload is not [1, amount, at_ns]");
  return event{f[1], f[2]};
}

std::string counter_def::encode_state(const state& s) {
  return encode_ints({1, s.value, static_cast<std::int64_t>(s.adds), s.last_at_ns});
}

expected<counter_state> counter_def::decode_state(const journal::record_view& r) {
  std::int64_t f[4];
  if (r.schema_version != state_version() || !decode_ints(r.payload, f, 4) || f[0] != 1)
    return bad_bytes(r, "snapshot is not [1, value, adds, last_at_ns]");
  return state{f[1], static_cast<std::uint64_t>(f[2]), f[3]};
}

nlohmann::json counter_def::to_json(const state& s) {
  return {{"value", s.value}, {"adds", s.adds}, {"last_at_ns", s.last_at_ns}};
}

std::string counter_def::fingerprint(const command& c) {
  static constexpr const char* names[] = {"?", "add", "get", "crash"};
  auto op = static_cast<unsigned>(c.op);
  return std::string(op < 4 ? names[op] : "?") + "(" + std::to_string(c.amount) + ")";
}

actors::entity_client<counter_def> start_counters(actors::runtime& rt,
                                                  const actors::entity_options& opts) {
  return actors::detail::start_region<counter_def>(rt, opts);
}

} // namespace fp::testkit
