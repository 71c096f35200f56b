#include "actors/ingress/sr/ledger.hpp"

#include "actors/ingress/sr/errc.hpp"
#include "journal/errc.hpp"
#include "journal/object_store.hpp"
#include "schemas/hash.hpp"

#include <cstdio>
#include <optional>

namespace fp::sr {

namespace {

fp::error store_error(const std::string& path, const fp::error& e) {
  return fp::error{errc::store_failed, "ledger: " + path + ": " + e.to_string()};
}

} // namespace

std::string ledger::path(std::string_view name) const {
  return "fraud-platform/" + prid_ + "/sr/" + std::string(name);
}

expected<artifact_ref> ledger::put_once(std::string_view name, std::string bytes,
                                        std::string_view schema_version) {
  auto p = path(name);
  auto r = store_->put(p, std::move(bytes), std::string(schema_version));
  if (r)
    return r;
  if (r.error().is(journal::errc::object_conflict))
    return fp::error{errc::drift, "ledger: " + p +
                                      ": already written with other bytes (write-once; drift "
                                      "refused): " +
                                      r.error().message()};
  return store_error(p, r.error());
}

expected<artifact_ref> ledger::append(std::string_view dir, std::string bytes) {
  auto prefix = path(dir) + "/";
  auto digest = schemas::sha256_hex(bytes);
  std::uint64_t count = 0;
  std::optional<artifact_ref> same;
  auto listed = store_->list(prefix, [&](const artifact_ref& ref) {
    ++count;
    if (ref.digest && *ref.digest == digest)
      same = ref;
    return true;
  });
  if (!listed)
    return store_error(prefix, listed.error());
  if (same)
    return *same;
  char name[24];
  std::snprintf(name, sizeof name, "%06llu.json", static_cast<unsigned long long>(count + 1));
  auto r = store_->put(prefix + name, std::move(bytes), std::nullopt);
  if (!r)
    return store_error(prefix + name, r.error());
  return r;
}

} // namespace fp::sr
