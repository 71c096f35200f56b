#include "tools/fp/demo.hpp"

#include "tools/fp/demo_model.hpp"
#include "tools/fp/progress.hpp"

#include <charconv>
#include <chrono>
#include <unordered_map>

namespace fp::tools::demo_phases {

namespace {

constexpr std::uint64_t sample_size = 200;

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Recovers entity `index` twice (snapshot+tail, full replay) and compares with the model.
void check_entity(const journal::journal& j, std::uint64_t index, check_result& out) {
  auto pid = demo_model::entity_id(index);
  std::int64_t from_snapshot = 0;
  bool bad_event = false;
  auto report = j.recover(
      pid,
      [&](const journal::record_view& r) {
        auto b = demo_model::decode_snapshot(r);
        if (b)
          from_snapshot = *b;
        return b.has_value();
      },
      [&](const journal::record_view& r) {
        auto b = demo_model::apply(from_snapshot, r);
        bad_event |= !b;
        from_snapshot = b.value_or(from_snapshot);
        return true;
      });
  std::int64_t full = 0;
  std::uint64_t head = 0;
  auto replayed = j.read_entity(pid, 1, [&](const journal::record_view& r) {
    auto b = demo_model::apply(full, r);
    bad_event |= !b;
    full = b.value_or(full);
    head = r.seq;
    return true;
  });
  ++out.sampled;
  if (!report || !replayed) {
    out.failures.push_back("recover " + pid + ": " +
                           (!report ? report.error().message() : replayed.error().message()));
    return;
  }
  if (report->used_snapshot)
    ++out.used_snapshot;
  auto expected = demo_model::expected_balance(index, head);
  if (bad_event || from_snapshot != full || full != expected || report->last_seq != head)
    out.failures.push_back(
        "recover " + pid + ": snapshot+tail balance " + std::to_string(from_snapshot) +
        " (to seq " + std::to_string(report->last_seq) + "), full replay " + std::to_string(full) +
        " (to seq " + std::to_string(head) + "), expected " + std::to_string(expected) +
        (bad_event ? "; an event did not decode" : ""));
}

/// Every event in global order: gap-free global seqs, continuous entity seqs, every demo
/// payload decodes, and every account ends at its expected balance.
void check_global(const journal::journal& j, check_result& out) {
  struct account {
    std::uint64_t seq = 0;
    std::int64_t balance = 0;
  };
  std::unordered_map<std::string, account> accounts;
  std::uint64_t next_global = 1;
  std::uint64_t problems = 0;
  auto start = std::chrono::steady_clock::now();
  progress bar("replay", j.stats().next_global_seq - 1);
  auto done = j.read_global(1, UINT64_MAX, [&](const journal::record_view& r) {
    if ((++out.replayed & 0xfff) == 0)
      bar.set(out.replayed);
    problems += r.global_seq != next_global;
    next_global = r.global_seq + 1;
    auto& a = accounts[std::string(r.persistence_id)];
    problems += r.seq != a.seq + 1;
    a.seq = r.seq;
    if (r.event_type.substr(0, 8) != "account.")
      return true;
    auto b = demo_model::apply(a.balance, r);
    problems += !b;
    a.balance = b.value_or(a.balance);
    return true;
  });
  bar.finish();
  out.replay_seconds = since(start);
  if (!done)
    return out.failures.push_back("global replay: " + done.error().message());
  if (problems > 0)
    out.failures.push_back("global replay: " + std::to_string(problems) +
                           " events out of order or undecodable");
  std::uint64_t wrong = 0;
  for (auto& [pid, a] : accounts) {
    std::uint64_t index = 0;
    if (pid.rfind("acct-", 0) != 0 ||
        std::from_chars(pid.data() + 5, pid.data() + pid.size(), index).ec != std::errc{})
      continue;
    wrong += a.balance != demo_model::expected_balance(index, a.seq);
  }
  if (wrong > 0)
    out.failures.push_back("global replay: " + std::to_string(wrong) +
                           " accounts end at an unexpected balance");
}

} // namespace

check_result check(const journal::journal& j, const plan& p) {
  check_result out;
  auto step = std::max<std::uint64_t>(1, p.entities / (sample_size / 2));
  for (std::uint64_t i = 1; i <= p.entities; i += step) {
    check_entity(j, i, out);
    auto snapshotted = (i + 3) / 4 * 4; // the nearest snapshotted entity at or after i
    if (snapshotted != i && snapshotted <= p.entities)
      check_entity(j, snapshotted, out);
  }
  auto eligible = p.entities >= 4 && p.events_per_entity >= demo_model::snapshot_every;
  if (eligible && out.used_snapshot == 0)
    out.failures.push_back("recover: no sampled entity was recovered from a snapshot");
  check_global(j, out);
  auto start = std::chrono::steady_clock::now();
  progress bar("verify", j.stats().next_global_seq - 1);
  auto report = journal::verify(j, [&](std::uint64_t done, std::uint64_t) { bar.set(done); });
  bar.finish();
  out.verify_seconds = since(start);
  if (!report) {
    out.failures.push_back("verify: could not run: " + report.error().message());
    return out;
  }
  out.verify = *report;
  if (!report->ok())
    out.failures.push_back("verify: " + std::to_string(report->problems) + " problems; first: " +
                           report->first_problem->where + ": " + report->first_problem->what);
  return out;
}

} // namespace fp::tools::demo_phases
