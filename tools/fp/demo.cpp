// `fp demo`: the journal demonstration (`make demo`) until the planes exist.

#include "tools/fp/demo.hpp"

#include "cluster/data_dir.hpp"
#include "tools/fp/cli.hpp"

#include <cstdio>

namespace fp::tools {

namespace {

using demo_phases::plan;

unsigned long long u(std::uint64_t n) {
  return n;
}

double per_second(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

void print_summary(const std::filesystem::path& data, const plan& p,
                   const demo_phases::write_result& w, const demo_phases::check_result& c) {
  std::printf("fp demo: data dir %s (journal %s)\n", data.c_str(),
              cluster::journal_dir(data).c_str());
  if (w.prior_events > 0)
    std::printf("  continued  the journal already held %llu events\n", u(w.prior_events));
  std::printf("  wrote      %llu events to %llu entities from %llu threads in %.2f s: "
              "%.0f events/s\n",
              u(w.events), u(p.entities), u(p.threads), w.seconds, per_second(w.events, w.seconds));
  std::printf("  commits    %llu durable commits, %.1f events per commit on average\n",
              u(w.commits), w.commits > 0 ? static_cast<double>(w.events) / w.commits : 0.0);
  std::printf("  also       %llu snapshots saved, %llu receipt objects stored\n", u(w.snapshots),
              u(w.objects));
  std::printf("  recovered  %llu sampled entities; snapshot+tail, full replay and the model "
              "agree%s (%llu from a snapshot)\n",
              u(c.sampled), c.failures.empty() ? "" : " (see failures)", u(c.used_snapshot));
  std::printf("  replayed   %llu events in global order in %.2f s: %.0f events/s\n", u(c.replayed),
              c.replay_seconds, per_second(c.replayed, c.replay_seconds));
  std::printf("  verify     %s: events %llu, streams %llu, snapshots %llu, objects %llu, "
              "problems %llu (%.2f s)\n",
              c.verify.ok() ? "OK" : "FAILED", u(c.verify.events), u(c.verify.streams),
              u(c.verify.snapshots), u(c.verify.objects), u(c.verify.problems), c.verify_seconds);
}

} // namespace

exit_code demo(const args& a) {
  plan p;
  p.entities = a.number("--entities", p.entities);
  p.events_per_entity = a.number("--events-per-entity", p.events_per_entity);
  p.threads = a.number("--threads", p.threads);
  p.receipts = a.number("--receipts", p.receipts);
  // Bounds keep the counters far from overflow and the run finite.
  if (p.entities == 0 || p.entities > 10'000'000)
    return fail(a, exit_code::usage, "--entities must be 1..10000000");
  // An entity is its events: with none there is nothing to recover or check.
  if (p.events_per_entity == 0 || p.events_per_entity > 10'000)
    return fail(a, exit_code::usage, "--events-per-entity must be 1..10000");
  if (p.threads == 0 || p.threads > 1024)
    return fail(a, exit_code::usage, "--threads must be 1..1024");
  if (p.receipts > 1'000'000)
    return fail(a, exit_code::usage, "--receipts must be 0..1000000");
  std::filesystem::path data = a.text("--data");
  demo_phases::write_result w;
  {
    auto j = cluster::open_journal(data, false, "fp-demo");
    if (!j)
      return fail(a, exit_code::failed, j.error().message());
    w = demo_phases::write(**j, p);
  } // closing the journal finishes every queued write
  auto j = cluster::open_journal(data, true);
  if (!j)
    return fail(a, exit_code::failed, "reopen: " + j.error().message());
  auto c = demo_phases::check(**j, p);
  print_summary(data, p, w, c);
  auto failures = w.failures;
  failures.insert(failures.end(), c.failures.begin(), c.failures.end());
  for (auto& f : failures)
    std::printf("  FAILED     %s\n", f.c_str());
  std::printf("fp demo: %s\n", failures.empty() ? "every check passed" : "checks FAILED");
  return failures.empty() ? exit_code::ok : exit_code::failed;
}

} // namespace fp::tools
