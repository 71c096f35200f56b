// fp_bus_crash_child DIR RUN: produces to the embedded bus at DIR (topic "crash", 4
// partitions) from four threads, up to 16 records in flight each, until it is killed, and
// writes every acknowledged origin offset on fd 3 (see embedded_crash_test.cpp). Any failure
// exits with status 2 after printing the reason on stderr.

#include "bus/embedded/embedded_bus.hpp"
#include "tests/bus/embedded_crash_test.hpp"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace fp::bus;
namespace crash = fp::bus::crash;

namespace {

[[noreturn]] void die(const std::string& why) {
  fp::tests::crash::die("fp_bus_crash_child", why);
}

void write_ack(const crash::ack_record& rec) {
  fp::tests::crash::write_ack("fp_bus_crash_child", crash::ack_fd, rec);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fp_bus_crash_child DIR RUN\n");
    return 64;
  }
  auto run = static_cast<std::uint32_t>(std::stoul(argv[2]));
  fp::journal::options o;
  o.dir = argv[1];
  auto j = fp::journal::journal::open(o);
  if (!j)
    die("open journal: " + j.error().to_string());
  auto b = open_embedded_bus(**j);
  if (!b)
    die("open bus: " + b.error().to_string());
  auto& bus = **b;
  admin_context who{"crash-child", "crash test", "2026-01-01T00:00:00Z"};
  for (auto spec : {topic_spec{std::string(control_topic), 1, -1, -1},
                    topic_spec{crash::topic, crash::partitions, -1, -1}})
    if (auto t = bus.create_topic(spec, who); !t)
      die("create_topic: " + t.error().to_string());

  std::mutex ack_mu;
  std::vector<std::thread> workers;
  for (std::uint32_t t = 0; t < crash::threads; ++t) {
    workers.emplace_back([&, t] {
      std::mutex mu;
      std::condition_variable cv;
      int in_flight = 0;
      for (std::uint64_t seq = 0;; ++seq) {
        {
          std::unique_lock l{mu};
          cv.wait(l, [&] { return in_flight < crash::window; });
          ++in_flight;
        }
        produce_record r{
            crash::topic, crash::key_for(t, seq), crash::value_for(run, t, seq), {}, {}};
        bus.produce_async(std::move(r), [&, t, seq](fp::expected<fp::origin_offset> off) {
          if (!off)
            die("produce: " + off.error().to_string());
          crash::ack_record rec;
          rec.run = run;
          rec.thread = t;
          rec.seq = seq;
          rec.partition = static_cast<std::uint32_t>(off->partition);
          rec.offset = static_cast<std::uint64_t>(off->offset);
          rec.check = rec.compute_check();
          {
            std::lock_guard g{ack_mu};
            write_ack(rec);
          }
          std::lock_guard l{mu};
          --in_flight;
          cv.notify_one();
        });
      }
    });
  }
  for (auto& w : workers)
    w.join();
}
