#include "journal/record_format.hpp"

#include <doctest/doctest.h>

using namespace fp::journal;

namespace {

record_view sample() {
  record_view r;
  r.kind = record_kind::event;
  r.persistence_id = "acct-1";
  r.seq = 3;
  r.global_seq = 17;
  r.event_type = "deposited";
  r.schema_version = 2;
  r.written_at_ns = 1767225600000000000;
  r.writer = "node-a";
  r.payload = "\x92\x01\xa1x";
  return r;
}

std::string hex(std::string_view s) {
  static constexpr char d[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

} // namespace

TEST_CASE("records round-trip through encode/decode") {
  auto bytes = format::encode(sample());
  record_view r;
  REQUIRE(format::decode(bytes, r) == format::decode_status::ok);
  CHECK(r.persistence_id == "acct-1");
  CHECK(r.seq == 3);
  CHECK(r.global_seq == 17);
  CHECK(r.event_type == "deposited");
  CHECK(r.schema_version == 2);
  CHECK(r.written_at_ns == 1767225600000000000);
  CHECK(r.writer == "node-a");
  CHECK(r.payload == "\x92\x01\xa1x");
}

TEST_CASE("golden bytes: the version-1 record layout never drifts") {
  auto bytes = format::encode(sample());
  CHECK(bytes.size() == format::header_size + 6 + 9 + 6 + 4);
  // Header up to the checksum: version 1, kind 1, type_len 9, payload_len 4, seq 3,
  // global 17, written_at, schema_version 2, pid_len 6, writer_len 6.
  CHECK(hex(bytes.substr(0, format::off_checksum)) == "0101090004000000"
                                                      "0300000000000000"
                                                      "1100000000000000"
                                                      "0000faed51728618"
                                                      "02000000"
                                                      "0600"
                                                      "0600");
  CHECK(bytes.substr(format::header_size) ==
        std::string("acct-1deposited") + "node-a" + "\x92\x01\xa1x");
}

TEST_CASE("every flipped byte is caught by decode") {
  auto bytes = format::encode(sample());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    record_view r;
    CHECK_MESSAGE(format::decode(damaged, r) != format::decode_status::ok, "byte " << i);
  }
  record_view r;
  CHECK(format::decode(bytes.substr(0, 20), r) == format::decode_status::too_short);
  CHECK(format::decode(bytes + "x", r) == format::decode_status::bad_lengths);
}

TEST_CASE("stream keys order by persistence id, then seq") {
  CHECK(format::stream_key("a", 2) < format::stream_key("a", 10));
  CHECK(format::stream_key("a", UINT64_MAX) < format::stream_key("b", 0));
  std::string_view pid;
  std::uint64_t seq = 0;
  REQUIRE(format::parse_stream_key(format::stream_key("acct", 42), pid, seq));
  CHECK(pid == "acct");
  CHECK(seq == 42);
  CHECK_FALSE(format::parse_stream_key("short", pid, seq));
}
