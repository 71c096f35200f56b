#pragma once

// How IG learns which runs it may admit: it consumes READY from `fp.bus.control.v1` (group
// `ig-ready`), loads the run's run_facts_view from the object store (its sha256 must be the
// one READY names), checks the world's gate receipt under `oracle_root` (status PASS, the
// sha256 the view records), then opens the run on the gate. The group's checkpoint moves only
// after the run is journaled.

#include "actors/ingress/ig/admission.hpp"
#include "schemas/expected.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace fp::bus {
class event_bus;
}
namespace fp::journal {
class object_store;
}

namespace fp::ig {

class gate;

inline constexpr std::string_view ready_group = "ig-ready";

/// The pins of the run a READY announces, once its facts and gate check out. Errors name the
/// rule (`ig: READY platform_...: run_facts_view sha256 ... differs from READY's ...`).
expected<run_pins> verify_ready(std::string_view ready_json, const journal::object_store& objects,
                                const std::filesystem::path& oracle_root);

/// Waits until group `ig-ready` has committed, on every partition of the control topic, the
/// high offset it had when called (each control record handled, READY or not), or `wait`
/// passes. Returns whether it caught up.
bool wait_ready_caught_up(bus::event_bus& bus, std::chrono::milliseconds wait);

class ready_consumer {
public:
  static expected<std::unique_ptr<ready_consumer>> start(gate& g, bus::event_bus& bus,
                                                         const journal::object_store& objects,
                                                         std::filesystem::path oracle_root);
  ~ready_consumer(); ///< stop()
  void stop();

  /// READYs refused (each with its reason), and whether the consumer is failing.
  void health(std::vector<std::string>& red, std::vector<std::string>& amber) const;
  std::uint64_t runs_opened() const { return opened_; }

private:
  ready_consumer() = default;
  void run();

  gate* gate_ = nullptr;
  bus::event_bus* bus_ = nullptr;
  const journal::object_store* objects_ = nullptr;
  std::filesystem::path oracle_root_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> opened_{0};
  mutable std::mutex mu_;
  std::vector<std::string> refused_;
  std::string failing_;
  std::thread thread_;
};

} // namespace fp::ig
