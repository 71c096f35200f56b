#pragma once

// The SR ledger in the object store (actors/ingress/README.md), under
// `fraud-platform/{platform_run_id}/sr/`: `run_plan.json` and `run_facts_view.json` are
// written once; `run_record/NNNNNN.json` and `run_status/NNNNNN.json` are append-only.

#include "schemas/expected.hpp"
#include "schemas/types.hpp"

#include <string>
#include <string_view>

namespace fp::journal {
class object_store;
}

namespace fp::sr {

class ledger {
public:
  ledger(journal::object_store& store, std::string platform_run_id)
      : store_(&store)
      , prid_(std::move(platform_run_id)) {}

  /// `fraud-platform/{platform_run_id}/sr/` + `name`.
  std::string path(std::string_view name) const;

  /// Writes `bytes` at `name` once: the same bytes again is a no-op; other bytes are `drift`
  /// naming the path (nothing changes).
  expected<artifact_ref> put_once(std::string_view name, std::string bytes,
                                  std::string_view schema_version);

  /// Appends `bytes` to the series `dir` (`run_record` or `run_status`) as the next
  /// `NNNNNN.json`, unless an entry with the same bytes is there already (then that entry's
  /// ref): a resumed run re-appends nothing it appended before.
  expected<artifact_ref> append(std::string_view dir, std::string bytes);

private:
  journal::object_store* store_;
  std::string prid_;
};

} // namespace fp::sr
