#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace fp {

/// A string id that is its own type: a `platform_run_id` cannot be passed where an
/// `event_id` is expected. Construction does not validate; the parsers in `schemas/` do.
template <class Tag>
class strong_id {
public:
  strong_id() = default;
  explicit strong_id(std::string value)
      : value_(std::move(value)) {}

  const std::string& value() const noexcept { return value_; }
  std::string_view view() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  friend auto operator<=>(const strong_id&, const strong_id&) = default;

private:
  std::string value_;
};

using platform_run_id = strong_id<struct platform_run_id_tag>;
using scenario_run_id = strong_id<struct scenario_run_id_tag>;
using scenario_id = strong_id<struct scenario_id_tag>;
using event_id = strong_id<struct event_id_tag>;
using manifest_fingerprint = strong_id<struct manifest_fingerprint_tag>;
using parameter_hash = strong_id<struct parameter_hash_tag>;
using persistence_id = strong_id<struct persistence_id_tag>;

/// Where an admitted event sits on the bus: the evidence boundary of everything downstream.
struct origin_offset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  friend auto operator<=>(const origin_offset&, const origin_offset&) = default;
};

/// A by-reference pointer to an immutable artifact (seed 000, RO2). `ref` is the object's
/// path in the object store, e.g. `fraud-platform/platform_20260101T000000Z/ig/receipts/x.json`.
struct artifact_ref {
  std::string ref;
  std::optional<std::string> digest;         ///< lowercase hex
  std::optional<std::string> digest_alg;     ///< "sha256"
  std::optional<std::string> schema_version; ///< of the artifact's contents, when it has one
  std::optional<std::uint64_t> size_bytes;
  friend bool operator==(const artifact_ref&, const artifact_ref&) = default;
};

} // namespace fp
