#include "schemas/msgpack_json.hpp"

#include <doctest/doctest.h>
#include <msgpack.hpp>

#include <string>

using fp::schemas::msgpack_to_json;

namespace {

template <class F>
std::string packed(F&& fill) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  fill(pk);
  return {buf.data(), buf.size()};
}

} // namespace

TEST_CASE("a versioned array decodes to a JSON array") {
  auto bytes = packed([](auto& pk) {
    pk.pack_array(5);
    pk.pack(1);
    pk.pack(std::string("deposited"));
    pk.pack(-42);
    pk.pack(2.5);
    pk.pack_nil();
  });
  auto j = msgpack_to_json(bytes);
  REQUIRE(j);
  CHECK(j->dump() == R"([1,"deposited",-42,2.5,null])");
}

TEST_CASE("maps keep their order, bin and non-string keys are spelled out") {
  auto bytes = packed([](auto& pk) {
    pk.pack_map(3);
    pk.pack(std::string("z"));
    pk.pack(true);
    pk.pack(7);
    pk.pack(std::string("int key"));
    pk.pack(std::string("b"));
    pk.pack_bin(2);
    pk.pack_bin_body("\x01\xff", 2);
  });
  auto j = msgpack_to_json(bytes);
  REQUIRE(j);
  CHECK(j->dump() == R"({"z":true,"7":"int key","b":{"$bin_hex":"01ff"}})");
}

TEST_CASE("anything but exactly one msgpack value is refused") {
  auto one = packed([](auto& pk) { pk.pack(1); });
  CHECK_FALSE(msgpack_to_json(""));
  CHECK_FALSE(msgpack_to_json(one + one));                              // trailing bytes
  CHECK_FALSE(msgpack_to_json(std::string("\x93\x01", 2)));             // array of 3, one present
  CHECK_FALSE(msgpack_to_json(std::string("\xdd\xff\xff\xff\xff", 5))); // forged huge count
  CHECK_FALSE(msgpack_to_json(std::string(1000, '\x91'))); // nesting deeper than the limit
}

TEST_CASE("maps whose keys collide as JSON fall back to hex, large maps stay linear") {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(2);
  pk.pack(1);
  pk.pack(std::string("int"));
  pk.pack(std::string("1"));
  pk.pack(std::string("str"));
  CHECK_FALSE(fp::schemas::msgpack_to_json({buf.data(), buf.size()}));
  msgpack::sbuffer big;
  msgpack::packer<msgpack::sbuffer> bp(big);
  constexpr std::uint32_t n = 200000;
  bp.pack_map(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    bp.pack(std::to_string(i));
    bp.pack(i);
  }
  auto j = fp::schemas::msgpack_to_json({big.data(), big.size()});
  REQUIRE(j);
  CHECK(j->size() == n);
  CHECK((*j)["199999"] == 199999);
}
