#pragma once

// The Ingestion Gate's policy in force: the class map (`config/platform/ig/class_map_v0.yaml`),
// the partitioning profiles (`partitioning_profiles_v0.yaml`) and the payload JSON Schemas
// (`schemas/contracts/payloads/`), read strictly and cross-checked at start. `policy_rev` is
// stamped on every receipt.

#include "actors/ingress/ig/json_schema.hpp"
#include "schemas/expected.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fp::ig {

struct partitioning_profile {
  std::string id; ///< `ig.partitioning.v0.*`
  std::string topic;
  /// Candidate key fields in order: `event_id`, an envelope field, or `payload.<name>`.
  std::vector<std::string> key_precedence;
};

struct event_class_rule {
  std::string event_class;
  std::vector<std::string> event_types;
  std::vector<std::string> schema_versions;
  std::string payload_schema; ///< `<name>.v<N>`: `<payload_schemas>/<this>.schema.json`
  std::vector<std::string> required_pins;
  std::string partitioning_profile;
};

struct policy {
  std::vector<event_class_rule> classes;
  std::vector<partitioning_profile> profiles;
  std::map<std::string, json_schema> payload_schemas; ///< by `payload_schema` name
  /// sha256 of the canonical JSON of everything above (the files as read, not as spelled).
  std::string policy_rev;

  /// The class of `event_type`, or nullptr.
  const event_class_rule* class_of(std::string_view event_type) const;
  const partitioning_profile& profile_of(const event_class_rule& c) const;
};

/// Loads and cross-checks the three policy sources: each class names a known profile and a
/// present schema, every event type belongs to one class, pins are ContextPins names, and
/// key fields are `event_id` or `payload.<name>`. Errors: `bad_policy` naming file and key.
expected<policy> load_policy(const std::filesystem::path& class_map,
                             const std::filesystem::path& partitioning_profiles,
                             const std::filesystem::path& payload_schemas_dir);

} // namespace fp::ig
