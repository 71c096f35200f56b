#pragma once

// Shared by the embedded log's crash test and fp_bus_crash_child: the topic, the deterministic
// keys and values, and the ack record the child writes to its pipe for each durable produce.

#include "tests/crash_harness.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fp::bus::crash {

inline const std::string topic = "crash";
constexpr std::int32_t partitions = 4;
constexpr std::uint32_t threads = 4;
constexpr int window = 16; ///< records in flight per thread
constexpr int ack_fd = 3;

using fp::tests::crash::fnv1a;

inline std::string key_for(std::uint32_t thread, std::uint64_t seq) {
  return "t" + std::to_string(thread) + "-" + std::to_string(seq % 13);
}

/// 100..299 bytes naming (run, thread, seq), then bytes derived from them.
inline std::string value_for(std::uint32_t run, std::uint32_t thread, std::uint64_t seq) {
  std::string out = "run=" + std::to_string(run) + " thread=" + std::to_string(thread) +
                    " seq=" + std::to_string(seq) + " |";
  auto h = fnv1a(out);
  auto len = 100 + h % 200;
  while (out.size() < len) {
    h = h * 6364136223846793005ull + 1442695040888963407ull;
    out.push_back(static_cast<char>(h >> 56));
  }
  return out;
}

constexpr std::uint32_t ack_magic = 0x4b435542; // "BUCK"

/// One durable produce: 40 bytes, so each write(2) to the pipe is atomic.
struct ack_record {
  std::uint32_t magic = ack_magic;
  std::uint32_t run = 0;
  std::uint32_t thread = 0;
  std::uint32_t partition = 0;
  std::uint64_t seq = 0;
  std::uint64_t offset = 0;
  std::uint64_t check = 0; ///< fnv1a of the 32 bytes before it

  std::uint64_t compute_check() const {
    return fnv1a(
        std::string_view(reinterpret_cast<const char*>(this), offsetof(ack_record, check)));
  }
};
static_assert(sizeof(ack_record) == 40);

} // namespace fp::bus::crash
