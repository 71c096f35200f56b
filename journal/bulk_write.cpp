#include "journal/bulk_write.hpp"

#include "journal/journal_impl.hpp"
#include "journal/record_format.hpp"

namespace fp::journal {

namespace {

/// The checks of `append_async`, with its messages (journal.cpp), so a request of a batch is
/// refused exactly as it would be alone.
expected<void> check_append(const options& o, const append_request& a) {
  const auto& pid = a.pid;
  if (o.read_only)
    return error{errc::read_only, "journal: opened read-only; append refused"};
  if (pid.find('\0') != std::string::npos)
    return error{errc::invalid_argument, "journal: persistence_id must not contain NUL bytes"};
  if (pid.empty() || pid.size() > format::max_pid_bytes)
    return error{errc::invalid_argument, "journal: persistence_id must be 1.." +
                                             std::to_string(format::max_pid_bytes) +
                                             " bytes, got " + std::to_string(pid.size())};
  if (a.events.empty())
    return error{errc::invalid_argument, "journal: append \"" + pid + "\": no events"};
  for (auto& e : a.events) {
    if (e.event_type.empty() || e.event_type.size() > format::max_type_bytes)
      return error{errc::invalid_argument, "journal: append \"" + pid +
                                               "\": event_type must be 1.." +
                                               std::to_string(format::max_type_bytes) + " bytes"};
    auto size = format::header_size + pid.size() + e.event_type.size() + o.writer_id.size() +
                e.payload.size();
    if (size > o.max_record_bytes)
      return error{errc::too_large, "journal: append \"" + pid + "\": record of " +
                                        std::to_string(size) + " bytes exceeds max_record_bytes " +
                                        std::to_string(o.max_record_bytes)};
  }
  return {};
}

} // namespace

void append_many_async(journal& jr, std::vector<append_request>& requests) {
  auto& j = jr.internals();
  std::size_t records = 0;
  std::size_t valid = 0;
  for (auto& a : requests) {
    if (auto checked = check_append(j.opts, a); !checked) {
      a.done(checked.error());
      a.done = nullptr; // answered: not queued
      continue;
    }
    records += a.events.size();
    ++valid;
  }
  bool queued = false;
  if (valid > 0) {
    std::lock_guard guard{j.queue_mu};
    if (!j.stopping) {
      for (auto& a : requests)
        if (a.done)
          j.queue.push_back(append_req{
              std::move(a.pid), a.expected_seq, std::move(a.events), std::move(a.done), {}});
      j.queued_records += records;
      j.queue_cv.notify_one();
      queued = true;
    }
  }
  if (!queued && valid > 0) {
    auto closed = error{errc::closed, "journal: closed; write not accepted"};
    for (auto& a : requests)
      if (a.done)
        a.done(closed);
  }
  requests.clear();
}

} // namespace fp::journal
