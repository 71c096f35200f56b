#include "cluster/health.hpp"

namespace fp::cluster {

health assess(const health_inputs& in) {
  std::vector<std::string> red, amber;
  if (in.stopping)
    red.emplace_back("RUNTIME_STOPPING");
  if (in.journal.io_failures > 0)
    red.emplace_back("JOURNAL_WRITE_FAILURES");
  if (in.journal.checksum_failures > 0)
    red.emplace_back("JOURNAL_CHECKSUM_FAILURES");
  if (in.bus.wired && !in.bus.reachable)
    red.emplace_back("BUS_UNREACHABLE");
  if (!in.bus.wired)
    amber.emplace_back("BUS_HEALTH_UNKNOWN");
  if (in.quarantined > 0)
    amber.emplace_back("ENTITIES_QUARANTINED");
  red.insert(red.end(), in.plane_red.begin(), in.plane_red.end());
  amber.insert(amber.end(), in.plane_amber.begin(), in.plane_amber.end());
  health h;
  h.status = !red.empty() ? "RED" : !amber.empty() ? "AMBER" : "GREEN";
  h.reasons = std::move(red);
  h.reasons.insert(h.reasons.end(), amber.begin(), amber.end());
  return h;
}

} // namespace fp::cluster
