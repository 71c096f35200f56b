// `fp replay verify`: journal::verify with a summary, a progress bar and the first bad record.

#include "cluster/data_dir.hpp"
#include "journal/verify.hpp"
#include "tools/fp/cli.hpp"
#include "tools/fp/progress.hpp"

#include <cstdio>

namespace fp::tools {

exit_code replay_verify(const args& a) {
  std::filesystem::path data = a.text("--data");
  faults_mean_damage(a, data.string());
  auto j = cluster::open_journal(data, true);
  if (!j)
    return fail(a, exit_code::failed, j.error().message());
  progress bar("verify", (*j)->stats().next_global_seq - 1);
  auto report = journal::verify(**j, [&](std::uint64_t done, std::uint64_t) { bar.set(done); });
  bar.finish();
  if (!report)
    return fail(a, exit_code::failed, "could not run: " + report.error().message());
  auto& r = *report;
  auto u = [](std::uint64_t n) { return static_cast<unsigned long long>(n); };
  std::printf("verify %s: %s\n", (*j)->opts().dir.c_str(), r.ok() ? "OK" : "FAILED");
  std::printf("events %llu, streams %llu, snapshots %llu, objects %llu, problems %llu\n",
              u(r.events), u(r.streams), u(r.snapshots), u(r.objects), u(r.problems));
  if (r.ok())
    return exit_code::ok;
  auto where = r.first_problem ? r.first_problem->where : std::string("(unknown)");
  auto what = r.first_problem ? r.first_problem->what : std::string("(unknown)");
  std::printf("first bad record: %s: %s\n", where.c_str(), what.c_str());
  std::fflush(stdout);
  return exit_code::failed;
}

} // namespace fp::tools
