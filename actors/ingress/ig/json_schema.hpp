#pragma once

// A validator for the JSON Schema subset the payload contracts use
// (`schemas/contracts/payloads/*.schema.json`): type, required, properties,
// additionalProperties (false or a schema), pattern (ECMAScript, searched as JSON Schema
// does), enum, const, minimum/maximum, minLength/maxLength (in code points). Loading refuses
// any other keyword, so a contract cannot silently mean more than this validator checks.
// Python's jsonschema must agree on every fixture (`ig_payload_agreement` test).

#include "schemas/expected.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace fp::ig {

/// What failed: the instance path (`payload.amount`) and the rule.
struct schema_violation {
  std::string field;
  std::string message;
};

class json_schema {
public:
  /// Compiles `schema`; `source` names it in messages. Unknown keywords are `bad_policy`.
  static expected<json_schema> compile(const nlohmann::json& schema, std::string source);

  /// The first violation in document order (properties in key order), or none. `root`
  /// names the instance in the violation's field (`payload`).
  std::optional<schema_violation> check(const nlohmann::json& instance,
                                        std::string_view root) const;

  struct node;

private:
  std::shared_ptr<const node> root_;
};

} // namespace fp::ig
