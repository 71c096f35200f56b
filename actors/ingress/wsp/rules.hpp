#pragma once

// The WSP's domain rules as pure functions: how IG's answers are classified, how long to back
// off, which events are re-sent on purpose, and when a row is due under a speedup.

#include "schemas/expected.hpp"

#include <chrono>
#include <cstdint>
#include <string_view>

namespace fp::wsp {

enum class outcome {
  admitted,    ///< 200 `"decision":"ADMITTED"`, a new event
  duplicate,   ///< 200 `"decision":"DUPLICATE"`, IG had it already
  quarantined, ///< 409/422 with `"decision":"QUARANTINE"`: an outcome, not a stop
  retry,       ///< 429, 5xx, no answer: send the same envelope again
  reject,      ///< any other 4xx, or a 2xx that is neither: the output stops with the reason
};

/// `status` < 0 means no answer (refused, timed out, broken connection).
outcome classify(int status, std::string_view body);

/// Plain doubling from `min`, capped at `max`: attempt 0 waits `min`.
std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds min,
                                        std::chrono::milliseconds max);

/// Whether `event_id` is one of the `bp` basis points of events re-sent once more (the
/// at-least-once drill): decided by a hash of the id, so every run picks the same set.
bool resend_selected(std::string_view event_id, std::uint32_t bp);

/// How long after the output's first row a row is due: the `ts_utc` distance divided by
/// `speedup` (0 means realistic time, i.e. 1), in microseconds.
std::int64_t due_after_us(std::int64_t first_ts_ms, std::int64_t ts_ms, std::uint32_t speedup);

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` to milliseconds since the epoch.
expected<std::int64_t> parse_ts_ms(std::string_view text);

} // namespace fp::wsp
