#include "tools/fp/demo.hpp"

#include "journal/object_store.hpp"
#include "tools/fp/demo_model.hpp"
#include "tools/fp/progress.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace fp::tools::demo_phases {

namespace {

/// Counts a thread's writes in flight and keeps the first failure of all threads.
class tracker {
public:
  void start(std::uint64_t n) {
    std::lock_guard guard{mu_};
    pending_ += n;
  }
  void done(const fp::error* err) {
    std::lock_guard guard{mu_};
    if (err != nullptr && failure_.empty())
      failure_ = err->message();
    if (--pending_ == 0)
      cv_.notify_all();
  }
  /// Waits for every write started so far; returns the first failure ("" when none).
  std::string wait() {
    std::unique_lock lock{mu_};
    cv_.wait(lock, [&] { return pending_ == 0; });
    return failure_;
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t pending_ = 0;
  std::string failure_;
};

/// One appending thread: entities `first, first + stride, ...`.
std::string append_share(journal::journal& j, const plan& p, std::uint64_t first,
                         std::uint64_t stride, progress& bar, std::uint64_t& snapshots) {
  struct entity {
    std::uint64_t index;
    std::string pid;
    std::uint64_t head;
    std::int64_t balance;
  };
  std::vector<entity> share;
  for (auto i = first; i <= p.entities; i += stride) {
    auto pid = demo_model::entity_id(i);
    auto head = j.head_seq(pid);
    if (!head)
      return head.error().message();
    share.push_back({i, pid, *head, demo_model::expected_balance(i, *head)});
  }
  tracker t;
  for (std::uint64_t round = 0; round < p.events_per_entity; ++round) {
    t.start(share.size());
    for (auto& e : share)
      j.append_async(
          e.pid, e.head, {demo_model::event(e.index, e.head + 1)},
          [&t](expected<journal::append_result> r) { t.done(r ? nullptr : &r.error()); });
    if (auto failure = t.wait(); !failure.empty())
      return failure;
    bar.add(share.size());
    for (auto& e : share) {
      ++e.head;
      e.balance = demo_model::expected_balance(e.index, e.head);
      if (!demo_model::snapshotted(e.index) || e.head % demo_model::snapshot_every != 0)
        continue;
      t.start(1);
      ++snapshots;
      j.save_snapshot_async(e.pid, e.head, demo_model::snapshot(e.balance, e.head),
                            [&t](expected<std::uint64_t> r) { t.done(r ? nullptr : &r.error()); });
    }
  }
  return t.wait();
}

std::string put_receipts(journal::journal& j, const plan& p) {
  journal::object_store store{j};
  tracker t;
  t.start(p.receipts);
  for (std::uint64_t n = 1; n <= p.receipts; ++n)
    store.put_async(demo_model::receipt_path(n), demo_model::receipt_bytes(n), "v1",
                    [&t](expected<artifact_ref> r) { t.done(r ? nullptr : &r.error()); });
  return t.wait();
}

} // namespace

write_result write(journal::journal& j, const plan& p) {
  write_result out;
  out.prior_events = j.stats().next_global_seq - 1;
  auto commits_before = j.stats().commits;
  auto start = std::chrono::steady_clock::now();
  progress bar("append", p.entities * p.events_per_entity);
  std::vector<std::string> failures(p.threads + 1);
  std::vector<std::uint64_t> snapshots(p.threads, 0);
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < p.threads; ++t)
    threads.emplace_back(
        [&, t] { failures[t] = append_share(j, p, t + 1, p.threads, bar, snapshots[t]); });
  threads.emplace_back([&] { failures[p.threads] = put_receipts(j, p); });
  for (auto& th : threads)
    th.join();
  bar.finish();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& f : failures)
    if (!f.empty())
      out.failures.push_back("write: " + f);
  for (auto n : snapshots)
    out.snapshots += n;
  out.events = j.stats().next_global_seq - 1 - out.prior_events;
  out.objects = p.receipts;
  out.commits = j.stats().commits - commits_before;
  return out;
}

} // namespace fp::tools::demo_phases
