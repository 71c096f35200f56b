#pragma once

// Reads that serve many streams at once. A region recovering a crowd of entities (a node
// restart) pays one read transaction and one set of cursors for the whole crowd instead of
// two transactions, a watermark read and cursor setups per entity.

#include "journal/journal.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace fp::journal {

/// Callbacks of a batch name the stream by its index in the `pids` given; they return what
/// `journal::recover`'s callbacks return.
using batch_record_fn = std::function<bool(std::size_t index, const record_view&)>;

/// Recovers every stream of `pids` exactly as `j.recover(pids[i], ...)` would, one result per
/// stream in the order given: the newest snapshot `decode_snapshot` accepts (older ones, then
/// a full replay, when it refuses), then the later events. Streams are read in one short read
/// transaction, in key order (so callbacks of different streams may interleave in any order,
/// but each stream's own callbacks come in its seq order). A damaged record or a bad id fails
/// only its own stream; a stream too long for one transaction is read in chunks, as `recover`
/// does.
std::vector<expected<recovery_report>> recover_many(const journal& j,
                                                    const std::vector<std::string>& pids,
                                                    const batch_record_fn& decode_snapshot,
                                                    const batch_record_fn& apply_event);

} // namespace fp::journal
