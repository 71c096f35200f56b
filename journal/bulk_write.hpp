#pragma once

// Writes that many callers hand over at once. A shard that persists a burst of commands for
// its entities queues them for the writer under one lock and with one wake-up, instead of one
// of each per append; every append still commits, fails or conflicts on its own.

#include "journal/journal.hpp"

#include <string>
#include <vector>

namespace fp::journal {

/// One append of a batch: as the arguments of `journal::append_async`.
struct append_request {
  std::string pid;
  std::uint64_t expected_seq = 0;
  std::vector<event_data> events;
  journal::append_callback done;
};

/// `j.append_async(...)` of every request, in order, queued for the writer at once. Each
/// callback gets exactly what `append_async` would give it. Leaves `requests` empty (its
/// capacity kept for the caller's next batch).
void append_many_async(journal& j, std::vector<append_request>& requests);

} // namespace fp::journal
