// fp_journal_crash_child DIR: appends to the journal at DIR as fast as it can until it is
// killed, and reports every acknowledged append on fd 3 (see crash_common.hpp).
//
// Six threads each own three streams; a seventh puts objects (crash_common.hpp). Each append is K
// events for one stream with expected_seq = the stream's head, read with head_seq() at start-up, so
// a restarted child resumes where the journal (not the child) says the stream ends. Any failure
// exits with status 2 after printing the reason on stderr; the parent expects a death by SIGKILL.

#include "journal/journal.hpp"
#include "journal/object_store.hpp"
#include "tests/journal/crash_common.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace fp::journal;

namespace {

[[noreturn]] void die(const std::string& why) {
  fp::tests::crash::die("fp_journal_crash_child", why);
}

void write_ack(const crash::ack_record& rec) {
  fp::tests::crash::write_ack("fp_journal_crash_child", crash::ack_fd, rec);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fp_journal_crash_child DIR\n");
    return 64;
  }
  options o;
  o.dir = argv[1];
  o.writer_id = "crash-child";
  o.object_index_flush_records = crash::object_flush_records;
  auto opened = journal::open(o);
  if (!opened)
    die("open: " + opened.error().to_string());
  auto& j = **opened;

  std::vector<std::uint64_t> heads(crash::streams);
  for (int s = 0; s < crash::streams; ++s) {
    auto h = j.head_seq(crash::stream_pid(s));
    if (!h)
      die("head_seq: " + h.error().to_string());
    if (*h % crash::events_per_append != 0)
      die("stream " + crash::stream_pid(s) + " head " + std::to_string(*h) +
          " is not a multiple of K: a half-written append");
    heads[s] = *h;
  }

  std::vector<std::thread> workers;
  for (int t = 0; t < crash::threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::uint64_t round = 0;; ++round) {
        int s = t * crash::streams_per_thread + static_cast<int>(round % crash::streams_per_thread);
        auto pid = crash::stream_pid(s);
        std::vector<event_data> events;
        for (std::uint64_t i = 1; i <= crash::events_per_append; ++i) {
          auto seq = heads[s] + i;
          events.push_back(event_data{crash::event_type_for(seq), 1, crash::payload_for(pid, seq)});
        }
        auto r = j.append(pid, heads[s], std::move(events));
        if (!r)
          die("append " + pid + " at " + std::to_string(heads[s]) + ": " + r.error().to_string());
        if (r->first_seq != heads[s] + 1 || r->last_seq != heads[s] + crash::events_per_append ||
            r->last_global - r->first_global + 1 != crash::events_per_append)
          die("append " + pid + ": inconsistent ack");
        crash::ack_record rec;
        rec.stream = static_cast<std::uint32_t>(s);
        rec.first_seq = r->first_seq;
        rec.last_seq = r->last_seq;
        rec.first_global = r->first_global;
        rec.last_global = r->last_global;
        rec.check = rec.compute_check();
        write_ack(rec);
        heads[s] = r->last_seq;
      }
    });
  }
  // Objects are put one at a time, so those in the store are 0..n-1: continue at n.
  object_store store{j};
  std::uint64_t next_object = 0;
  if (auto n = store.list("crash/objects/", [](const fp::artifact_ref&) { return true; }); n)
    next_object = *n;
  else
    die("list objects: " + n.error().to_string());
  workers.emplace_back([&] {
    for (auto n = next_object;; ++n) {
      auto r = store.put(crash::object_path(n), crash::object_bytes(n), "crash.v1");
      if (!r)
        die("put object " + std::to_string(n) + ": " + r.error().to_string());
      crash::ack_record rec;
      rec.stream = crash::object_stream;
      rec.first_seq = n;
      rec.last_seq = n;
      rec.check = rec.compute_check();
      write_ack(rec);
    }
  });
  for (auto& w : workers)
    w.join();
}
