#pragma once

// The fixture of the embedded log's tests: a journal and bus in a temp directory, with an
// injected clock, reopened on demand.

#include "bus/embedded/embedded_bus.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <unistd.h>

namespace fp::bus::test {

inline const admin_context who{"test", "log test", "2026-01-01T00:00:00Z"};

struct fixture {
  std::filesystem::path dir;
  std::atomic<std::int64_t> now{1'000'000};
  std::unique_ptr<fp::journal::journal> journal;
  std::unique_ptr<event_bus> bus;

  explicit fixture(bool with_control = true) {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path() /
          ("fp-bus-log-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    open();
    if (with_control)
      REQUIRE(bus->create_topic({std::string(control_topic), 1, -1, -1}, who).has_value());
  }
  ~fixture() {
    close();
    std::filesystem::remove_all(dir);
  }
  void open(bool retention_after_produce = false) {
    fp::journal::options o;
    o.dir = dir;
    journal = fp::journal::journal::open(o).value();
    embedded_options eo;
    eo.clock_ms = [this] { return now.load(); };
    eo.retention_after_produce = retention_after_produce;
    auto b = open_embedded_bus(*journal, eo);
    REQUIRE_MESSAGE(b.has_value(), (b ? "" : b.error().to_string()));
    bus = std::move(*b);
  }
  void close() {
    bus.reset();
    journal.reset();
  }
  fp::origin_offset produce(const std::string& topic, std::string value, std::int32_t p = 0) {
    auto o = bus->produce({topic, "k", std::move(value), {}, p});
    REQUIRE_MESSAGE(o.has_value(), (o ? "" : o.error().to_string()));
    return *o;
  }
  partition_info part(const std::string& topic, std::int32_t p = 0) {
    auto d = bus->describe_topic(topic);
    REQUIRE(d.has_value());
    return d->partitions[static_cast<std::size_t>(p)];
  }
};

inline std::vector<message> read_all(event_bus& b, const std::string& topic, std::int64_t from,
                                     std::size_t n) {
  auto c = b.assign({{topic, 0, from}});
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().to_string()));
  std::vector<message> got;
  for (int i = 0; i < 50 && got.size() < n; ++i) {
    auto batch = (*c)->poll(n, std::chrono::milliseconds(100));
    REQUIRE_MESSAGE(batch.has_value(), (batch ? "" : batch.error().to_string()));
    got.insert(got.end(), batch->begin(), batch->end());
  }
  return got;
}

} // namespace fp::bus::test
