#pragma once

// Shared by the crash test (the parent) and fp_journal_crash_child: the stream layout, the
// deterministic payloads and the ack record the child writes to its pipe.

#include "tests/crash_harness.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace fp::journal::crash {

constexpr int threads = 6;
constexpr int streams_per_thread = 3;
constexpr int streams = threads * streams_per_thread;
constexpr std::uint64_t events_per_append = 3; ///< K: every append is one batch of K events
constexpr int ack_fd = 3;                      ///< the child writes its acks here

inline std::string stream_pid(int stream) {
  return "crash-acct-" + std::to_string(stream);
}

inline std::string event_type_for(std::uint64_t seq) {
  // The position inside the K-event batch, so a reader can see a batch is whole.
  return "step-" + std::to_string((seq - 1) % events_per_append);
}

using fp::tests::crash::fnv1a;

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// 100..299 bytes: a readable prefix naming (pid, seq), then pseudo-random bytes seeded by it.
inline std::string payload_for(std::string_view pid, std::uint64_t seq) {
  std::uint64_t state = fnv1a(pid) ^ (seq * 0x2545f4914f6cdd1dull);
  auto len = 100 + static_cast<std::size_t>(splitmix64(state) % 200);
  std::string out = "pid=" + std::string(pid) + " seq=" + std::to_string(seq) + " |";
  while (out.size() < len) {
    auto r = splitmix64(state);
    for (int i = 0; i < 8 && out.size() < len; ++i)
      out.push_back(static_cast<char>((r >> (8 * i)) & 0xff));
  }
  out.resize(len);
  return out;
}

/// One more thread puts objects, one at a time, numbered from 0; its acks name
/// `object_stream` and carry the object's number in first_seq and last_seq.
constexpr std::uint32_t object_stream = 0xffffffffu;
/// Small, so that the object paths are flushed to `objects` many times during the test.
constexpr std::size_t object_flush_records = 50;
inline std::string object_path(std::uint64_t n) {
  return "crash/objects/o-" + std::to_string(n);
}
inline std::string object_bytes(std::uint64_t n) {
  return payload_for("object", n);
}

constexpr std::uint32_t ack_magic = 0x4b434146; // "FACK"

/// One acknowledged append, written by the child only after `append()` returned success.
/// 48 bytes, less than PIPE_BUF, so each write(2) to the pipe is atomic.
struct ack_record {
  std::uint32_t magic = ack_magic;
  std::uint32_t stream = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t first_global = 0;
  std::uint64_t last_global = 0;
  std::uint64_t check = 0; ///< fnv1a of the 40 bytes before it

  std::uint64_t compute_check() const {
    return fnv1a(
        std::string_view(reinterpret_cast<const char*>(this), offsetof(ack_record, check)));
  }
};
static_assert(sizeof(ack_record) == 48);

} // namespace fp::journal::crash
