// kill -9 test of the embedded log: a child produces (fp_bus_crash_child) and prints every
// acknowledged origin offset; it is SIGKILLed at a random moment, several times over the same
// journal. After each kill every acked record is present at its offset with its exact key and
// bytes, every partition is gap-free from 0 to its high watermark, and the journal verifies.
// As for the journal's crash test, a kill leaves the page cache alive, so this proves atomic
// commits and acks-after-commit; durability against power loss rests on LMDB's default sync
// flags (asserted in embedded_log_test.cpp). Set FP_CRASH_SEED to replay a run's kill times.

#include "tests/bus/embedded_crash_test.hpp"
#include "bus/embedded/embedded_bus.hpp"
#include "journal/verify.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <poll.h>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#ifndef FP_BUS_CRASH_CHILD
#error "FP_BUS_CRASH_CHILD (the path of fp_bus_crash_child) must be defined"
#endif

using namespace fp::bus;
namespace crash = fp::bus::crash;

namespace {

/// Runs the child, drains its acks while it lives, SIGKILLs it after `delay`, reaps it.
std::vector<crash::ack_record> run_child(const std::filesystem::path& dir, int run,
                                         std::chrono::milliseconds delay, int& status) {
  auto child = fp::tests::crash::run_and_kill(
      {FP_BUS_CRASH_CHILD, dir.string(), std::to_string(run)}, crash::ack_fd, delay);
  status = child.status;
  const auto& buf = child.acked;
  std::vector<crash::ack_record> acks;
  for (std::size_t i = 0; i + sizeof(crash::ack_record) <= buf.size();
       i += sizeof(crash::ack_record)) {
    crash::ack_record rec;
    std::memcpy(&rec, buf.data() + i, sizeof rec);
    REQUIRE(rec.magic == crash::ack_magic);
    REQUIRE(rec.check == rec.compute_check());
    acks.push_back(rec);
  }
  return acks;
}

} // namespace

TEST_CASE("embedded crash: every acked record survives kill -9 at its offset with its bytes") {
  auto dir =
      std::filesystem::temp_directory_path() / ("fp-bus-crash-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::random_device rd;
  unsigned seed = std::getenv("FP_CRASH_SEED") ? std::stoul(std::getenv("FP_CRASH_SEED")) : rd();
  MESSAGE("FP_CRASH_SEED=" << seed);
  std::mt19937 rng(seed);
  std::vector<crash::ack_record> all;
  for (int run = 0; run < 4; ++run) {
    int status = 0;
    auto delay = std::chrono::milliseconds(300 + rng() % 500);
    auto acks = run_child(dir, run, delay, status);
    REQUIRE_MESSAGE(WIFSIGNALED(status), "the child died by itself (status " << status << ")");
    CHECK(WTERMSIG(status) == SIGKILL);
    all.insert(all.end(), acks.begin(), acks.end());
    MESSAGE("run " << run << ": " << acks.size() << " acks in " << delay.count() << " ms");

    fp::journal::options o;
    o.dir = dir;
    auto j = fp::journal::journal::open(o);
    REQUIRE_MESSAGE(j.has_value(), (j ? "" : j.error().to_string()));
    auto report = fp::journal::verify(**j);
    REQUIRE(report.has_value());
    CHECK(report->ok());
    auto b = open_embedded_bus(**j);
    REQUIRE_MESSAGE(b.has_value(), (b ? "" : b.error().to_string()));
    auto info = (*b)->describe_topic(crash::topic);
    REQUIRE(info.has_value());
    // Read every partition whole: gap-free from 0, every record verified.
    std::map<std::pair<std::int32_t, std::int64_t>, message> stored;
    for (auto& p : info->partitions) {
      CHECK(p.low == 0);
      auto c = (*b)->assign({{crash::topic, p.partition, 0}});
      REQUIRE(c.has_value());
      std::int64_t next = 0;
      while (next < p.high) {
        auto batch = (*c)->poll(4096, std::chrono::milliseconds(100));
        REQUIRE_MESSAGE(batch.has_value(), (batch ? "" : batch.error().to_string()));
        REQUIRE_FALSE(batch->empty());
        for (auto& m : *batch) {
          REQUIRE(m.offset == next++);
          stored.emplace(std::pair{m.partition, m.offset}, std::move(m));
        }
      }
    }
    std::size_t missing = 0, wrong = 0;
    for (auto& a : all) {
      auto it = stored.find(
          {static_cast<std::int32_t>(a.partition), static_cast<std::int64_t>(a.offset)});
      if (it == stored.end()) {
        ++missing;
        continue;
      }
      if (it->second.key != crash::key_for(a.thread, a.seq) ||
          it->second.value != crash::value_for(a.run, a.thread, a.seq))
        ++wrong;
    }
    CHECK(missing == 0);
    CHECK(wrong == 0);
    CHECK(stored.size() >= all.size());
  }
  CHECK(all.size() > 0);
  std::filesystem::remove_all(dir);
}
