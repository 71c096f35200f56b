#pragma once

// The demo's domain: bank-account entities whose events are deterministic functions of the
// entity's index and the event's seq (no randomness, no clock), so that any run, and any
// continuation of a run, can compute every balance it expects to recover.

#include "journal/types.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fp::tools::demo_model {

constexpr std::uint64_t snapshot_every = 5;

/// `acct-000042`.
std::string entity_id(std::uint64_t index);

/// Whether entity `index` is snapshotted (every 4th entity, every `snapshot_every` events).
bool snapshotted(std::uint64_t index);

/// The event entity `index` appends at `seq`: msgpack `[1, kind, amount_cents, ts_utc]`.
journal::event_data event(std::uint64_t index, std::uint64_t seq);

/// The balance in cents after `seq` events of entity `index`.
std::int64_t expected_balance(std::uint64_t index, std::uint64_t seq);

/// `balance` changed by the event in `r`; nullopt when its payload is not a demo event.
std::optional<std::int64_t> apply(std::int64_t balance, const journal::record_view& r);

/// A snapshot payload: msgpack `[1, balance_cents, seq]`.
journal::event_data snapshot(std::int64_t balance, std::uint64_t seq);
std::optional<std::int64_t> decode_snapshot(const journal::record_view& r);

/// The demo's receipt objects, under `fraud-platform/platform_20260101T000000Z/ig/receipts/`.
std::string receipt_path(std::uint64_t n);
std::string receipt_bytes(std::uint64_t n);

} // namespace fp::tools::demo_model
