#include "tools/fp/demo_model.hpp"

#include <msgpack.hpp>

#include <cstdio>
#include <ctime>

namespace fp::tools::demo_model {

namespace {

constexpr std::int64_t epoch_2026 = 1767225600; // 2026-01-01T00:00:00Z

enum class kind { opened, deposited, withdrawn };

kind kind_of(std::uint64_t index, std::uint64_t seq) {
  if (seq == 1)
    return kind::opened;
  return (index + seq) % 3 == 0 ? kind::withdrawn : kind::deposited;
}

const char* name(kind k) {
  switch (k) {
  case kind::opened:
    return "opened";
  case kind::deposited:
    return "deposited";
  case kind::withdrawn:
    return "withdrawn";
  }
  return "?";
}

std::int64_t amount(std::uint64_t index, std::uint64_t seq) {
  auto base = static_cast<std::int64_t>((index * 7919 + seq * 104729) % 50000) + 100;
  return kind_of(index, seq) == kind::withdrawn ? base / 4 : base;
}

std::string ts_utc(std::uint64_t index, std::uint64_t seq) {
  std::time_t t = static_cast<std::time_t>(epoch_2026 + static_cast<std::int64_t>(seq) * 60 +
                                           static_cast<std::int64_t>(index % 3600));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Unpacks exactly one msgpack array of `size` elements whose first is version 1.
std::optional<msgpack::object_handle> unpack_v1(std::string_view bytes, std::uint32_t size) {
  try {
    std::size_t off = 0;
    auto h = msgpack::unpack(bytes.data(), bytes.size(), off);
    const auto& o = h.get();
    if (off != bytes.size() || o.type != msgpack::type::ARRAY || o.via.array.size != size ||
        o.via.array.ptr[0].as<std::uint32_t>() != 1)
      return std::nullopt;
    return h;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace

std::string entity_id(std::uint64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "acct-%06llu", static_cast<unsigned long long>(index));
  return buf;
}

bool snapshotted(std::uint64_t index) {
  return index % 4 == 0;
}

journal::event_data event(std::uint64_t index, std::uint64_t seq) {
  auto k = kind_of(index, seq);
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(4);
  pk.pack(1);
  pk.pack(std::string(name(k)));
  pk.pack(amount(index, seq));
  pk.pack(ts_utc(index, seq));
  return {std::string("account.") + name(k), 1, std::string(buf.data(), buf.size())};
}

std::int64_t expected_balance(std::uint64_t index, std::uint64_t seq) {
  std::int64_t balance = 0;
  for (std::uint64_t s = 1; s <= seq; ++s)
    balance += kind_of(index, s) == kind::withdrawn ? -amount(index, s) : amount(index, s);
  return balance;
}

std::optional<std::int64_t> apply(std::int64_t balance, const journal::record_view& r) {
  auto h = unpack_v1(r.payload, 4);
  if (!h)
    return std::nullopt;
  try {
    const auto* f = h->get().via.array.ptr;
    auto k = f[1].as<std::string>();
    auto cents = f[2].as<std::int64_t>();
    if (k == "withdrawn")
      return balance - cents;
    if (k == "deposited" || k == "opened")
      return balance + cents;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

journal::event_data snapshot(std::int64_t balance, std::uint64_t seq) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(3);
  pk.pack(1);
  pk.pack(balance);
  pk.pack(seq);
  return {"account.snapshot", 1, std::string(buf.data(), buf.size())};
}

std::optional<std::int64_t> decode_snapshot(const journal::record_view& r) {
  auto h = unpack_v1(r.payload, 3);
  if (!h)
    return std::nullopt;
  try {
    const auto* f = h->get().via.array.ptr;
    if (f[2].as<std::uint64_t>() != r.seq)
      return std::nullopt;
    return f[1].as<std::int64_t>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string receipt_path(std::uint64_t n) {
  char buf[96];
  std::snprintf(buf, sizeof buf,
                "fraud-platform/platform_20260101T000000Z/ig/receipts/receipt-%06llu.json",
                static_cast<unsigned long long>(n));
  return buf;
}

std::string receipt_bytes(std::uint64_t n) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"receipt_id\":\"receipt-%06llu\",\"decision\":\"ADMIT\",\"entity\":\"%s\","
                "\"ts_utc\":\"%s\"}\n",
                static_cast<unsigned long long>(n), entity_id(n).c_str(), ts_utc(n, 1).c_str());
  return buf;
}

} // namespace fp::tools::demo_model
