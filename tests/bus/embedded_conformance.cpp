// The conformance suite against the embedded backend: a journal in a temp directory, reopened
// (journal and bus) by restart().

#include "bus/embedded/embedded_bus.hpp"
#include "tests/bus/conformance.hpp"

#include <atomic>
#include <filesystem>
#include <unistd.h>

namespace {

struct embedded_harness : fp::bus::conformance::bus_harness {
  std::filesystem::path dir;
  std::unique_ptr<fp::journal::journal> journal;
  std::unique_ptr<fp::bus::event_bus> bus_;

  embedded_harness() {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path() /
          ("fp-bus-conf-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    open();
  }
  ~embedded_harness() override {
    bus_.reset();
    journal.reset();
    std::filesystem::remove_all(dir);
  }
  void open() {
    fp::journal::options o;
    o.dir = dir;
    auto j = fp::journal::journal::open(o);
    REQUIRE_MESSAGE(j.has_value(), (j ? "" : j.error().to_string()));
    journal = std::move(*j);
    auto b = fp::bus::open_embedded_bus(*journal);
    REQUIRE_MESSAGE(b.has_value(), (b ? "" : b.error().to_string()));
    bus_ = std::move(*b);
  }
  fp::bus::event_bus& bus() override { return *bus_; }
  void restart() override {
    bus_.reset();
    journal.reset();
    open();
  }
  std::chrono::milliseconds session_timeout() const override {
    return std::chrono::milliseconds(3000);
  }
};

} // namespace

FP_BUS_CONFORMANCE_SUITE("embedded", std::make_unique<embedded_harness>())
