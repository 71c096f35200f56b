// The counter's event decoder reads msgpack by hand (recovery decodes every event): it must
// accept and refuse exactly what msgpack-c's unpack + as<int64_t> accepts and refuses.

#include "actors/testkit/counter.hpp"

#include <doctest/doctest.h>
#include <msgpack.hpp>

#include <optional>

using fp::testkit::counter_def;

namespace {

/// msgpack-c's reading of `bytes` as `[1, amount, at_ns]`: the reference.
std::optional<std::pair<std::int64_t, std::int64_t>> reference(const std::string& bytes) {
  try {
    auto h = msgpack::unpack(bytes.data(), bytes.size());
    auto o = h.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 3)
      return std::nullopt;
    std::int64_t f[3];
    for (int i = 0; i < 3; ++i)
      f[i] = o.via.array.ptr[i].as<std::int64_t>();
    if (f[0] != 1)
      return std::nullopt;
    return std::pair{f[1], f[2]};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::pair<std::int64_t, std::int64_t>> ours(const std::string& bytes) {
  fp::journal::record_view r;
  r.event_type = "counter.added";
  r.schema_version = 1;
  r.payload = bytes;
  auto e = counter_def::decode(r);
  if (!e)
    return std::nullopt;
  return std::pair{e->amount, e->at_ns};
}

template <class... T>
std::string pack(const T&... xs) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(sizeof...(xs));
  (pk.pack(xs), ...);
  return {buf.data(), buf.size()};
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b)
    s.push_back(static_cast<char>(x));
  return s;
}

} // namespace

TEST_CASE("the counter decoder reads msgpack as msgpack-c does") {
  std::vector<std::string> cases = {
      pack(1, 5, 1700000000000000000LL),
      pack(1, -1, 0),
      pack(1, -32, 127),
      pack(1, -33, 128),
      pack(1, INT64_MIN, INT64_MAX),
      pack(std::uint8_t{1}, std::int16_t{-300}, std::uint32_t{4000000000u}),
      pack(1, std::uint64_t{9223372036854775808ull}, 0), // does not fit an int64
      pack(1, 2.5, 3),                                   // not an integer
      pack(1, true, 3),
      pack(1, "x", 3),
      pack(2, 5, 6),                                     // unknown version
      pack(1, 5),                                        // too few fields
      pack(1, 5, 6, 7),                                  // too many
      pack(1, 5, 6) + "trailing",                        // unpack ignores what follows
      bytes({0x93, 0x01, 0xd0, 0xff, 0xd1, 0x80, 0x00}), // int8 -1, int16 -32768
      bytes({0x93, 0x01, 0xd2, 0x00, 0x00, 0x00, 0x05, 0xcc, 0x07}),
      bytes({0xdc, 0x00, 0x03, 0x01, 0x02, 0x03}),             // array16
      bytes({0xdd, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03}), // array32
      bytes({0x93, 0x01, 0xcd, 0x01}),                         // truncated
      bytes({0x93, 0x01}),
      bytes({0x92}),
      bytes({0xc0}),
      std::string(),
  };
  for (auto& c : cases) {
    INFO("case of " << c.size() << " bytes");
    CHECK(ours(c) == reference(c));
  }
  CHECK(ours(pack(1, -33, 128)) == std::pair<std::int64_t, std::int64_t>{-33, 128});
  CHECK_FALSE(ours(pack(1, std::uint64_t{9223372036854775808ull}, 0)));
}

TEST_CASE("a counter event and snapshot round-trip through their encoding") {
  fp::testkit::counter_event e{-42, 1700000000123456789LL};
  auto data = counter_def::encode(e);
  fp::journal::record_view r;
  r.event_type = data.event_type;
  r.schema_version = data.schema_version;
  r.payload = data.payload;
  auto back = counter_def::decode(r);
  REQUIRE(back);
  CHECK(back->amount == -42);
  CHECK(back->at_ns == 1700000000123456789LL);
  fp::testkit::counter_state s{INT64_MIN, 7, -5};
  auto bytes_s = counter_def::encode_state(s);
  r.payload = bytes_s;
  r.schema_version = counter_def::state_version();
  auto st = counter_def::decode_state(r);
  REQUIRE(st);
  CHECK(*st == s);
}
