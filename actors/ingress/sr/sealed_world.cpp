#include "actors/ingress/sr/sealed_world.hpp"
#include "schemas/file_text.hpp"

#include "actors/ingress/sr/errc.hpp"
#include "actors/ingress/world/world.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/errc.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"

#include <nlohmann/json.hpp>

namespace fp::sr {

namespace fs = std::filesystem;

namespace {

/// The value of `token=` in `name`, or nullopt.
std::optional<std::string> token(const fs::path& p, std::string_view key) {
  auto name = p.filename().string();
  if (name.rfind(std::string(key) + "=", 0) != 0)
    return std::nullopt;
  return name.substr(key.size() + 1);
}

bool matches(const fs::path& dir, const world_query& q) {
  auto scen = token(dir, "scenario_id");
  auto mf = token(dir.parent_path(), "manifest_fingerprint");
  auto ph = token(dir.parent_path().parent_path(), "parameter_hash");
  auto seed = token(dir.parent_path().parent_path().parent_path(), "seed");
  if (!scen || !mf || !ph || !seed || *seed != std::to_string(q.seed))
    return false;
  return (!q.scenario_id || *q.scenario_id == *scen) &&
         (!q.parameter_hash || *q.parameter_hash == *ph) &&
         (!q.manifest_fingerprint || *q.manifest_fingerprint == *mf);
}

std::string describe(const world_query& q) {
  std::string s = "seed=" + std::to_string(q.seed);
  if (q.scenario_id)
    s += " scenario_id=" + *q.scenario_id;
  if (q.parameter_hash)
    s += " parameter_hash=" + *q.parameter_hash;
  if (q.manifest_fingerprint)
    s += " manifest_fingerprint=" + *q.manifest_fingerprint;
  return s;
}

expected<std::string> read_file(const fs::path& p) {
  auto text = schemas::read_file_text(p);
  if (!text)
    return fp::error{errc::gate_refused, p.string() + ": cannot be read"};
  return std::move(*text);
}

fp::error refused(const fs::path& where, const std::string& rule) {
  return fp::error{errc::gate_refused,
                   "gate: " + where.string() + ": " + rule + " (no PASS, no READY)"};
}

/// Reads the manifest's outputs; `json::at` and `get` throw on a missing or mistyped field.
std::vector<world_output> read_outputs(const nlohmann::json& m) {
  std::vector<world_output> outs;
  for (const auto& o : m.at("outputs")) {
    world_output w;
    w.output_id = o.at("output_id").get<std::string>();
    w.role = o.at("role").get<std::string>();
    w.digest = o.at("digest").get<std::string>();
    w.rows = o.at("rows").get<std::uint64_t>();
    for (const auto& p : o.at("parts"))
      w.parts.push_back({p.at("path").get<std::string>(), p.at("sha256").get<std::string>(),
                         p.at("rows").get<std::uint64_t>(), p.at("bytes").get<std::uint64_t>()});
    outs.push_back(std::move(w));
  }
  return outs;
}

} // namespace

expected<fs::path> locate_world(const fs::path& oracle_root, const world_query& q) {
  std::vector<fs::path> hits;
  for (auto& dir : world::find_worlds(oracle_root))
    if (matches(dir, q))
      hits.push_back(dir);
  if (hits.empty())
    return fp::error{errc::world_not_found, "world: no sealed world under " +
                                                (oracle_root / "oracle").string() + " matches " +
                                                describe(q)};
  if (hits.size() > 1) {
    std::string list;
    for (auto& h : hits)
      list += "\n  " + fs::relative(h, oracle_root).string();
    return fp::error{errc::world_ambiguous,
                     "world: " + std::to_string(hits.size()) + " worlds match " + describe(q) +
                         "; name scenario_id, parameter_hash or manifest_fingerprint to pick "
                         "one of:" +
                         list};
  }
  return hits.front();
}

expected<sealed_world> open_sealed_world(const fs::path& oracle_root, const fs::path& dir) {
  sealed_world w;
  w.dir = dir;
  w.relative_path = fs::relative(dir, oracle_root).generic_string();
  auto manifest_path = dir / world::manifest_file;
  auto receipt_path = dir / world::gate_receipt_file;
  std::error_code ec;
  if (!fs::is_regular_file(receipt_path, ec))
    return refused(receipt_path, "missing: the world was never sealed");
  auto receipt_text = read_file(receipt_path);
  if (!receipt_text)
    return std::move(receipt_text).error();
  auto manifest_text = read_file(manifest_path);
  if (!manifest_text)
    return refused(manifest_path, "missing or unreadable");
  w.gate_receipt_path = w.relative_path + "/" + std::string(world::gate_receipt_file);
  w.gate_receipt_sha256 = schemas::sha256_hex(*receipt_text);
  auto receipt = schemas::parse_strict(*receipt_text, "gate_receipt");
  if (!receipt || !receipt->is_object())
    return refused(receipt_path, "not a JSON object");
  auto manifest = schemas::parse_strict(*manifest_text, "manifest");
  if (!manifest || !manifest->is_object())
    return refused(manifest_path, "not a JSON object");
  const auto& r = *receipt;
  const auto& m = *manifest;
  try {
    auto status = r.at("status");
    if (!status.is_string() || status.get<std::string>() != "PASS")
      return refused(receipt_path, "status: not \"PASS\" (" + schemas::canonical(status) + ")");
    if (r.at("manifest_sha256") != schemas::sha256_hex(*manifest_text))
      return refused(receipt_path, "manifest_sha256: does not match manifest.json's bytes");
    for (auto pin : {"seed", "scenario_id", "parameter_hash", "manifest_fingerprint"})
      if (r.at(pin) != m.at(pin))
        return refused(receipt_path, std::string(pin) + ": differs from the manifest's");
    w.seed = m.at("seed").get<std::uint64_t>();
    w.scenario_id = m.at("scenario_id").get<std::string>();
    w.parameter_hash = m.at("parameter_hash").get<std::string>();
    w.manifest_fingerprint = m.at("manifest_fingerprint").get<std::string>();
    w.outputs = read_outputs(m);
    const auto& digests = r.at("outputs");
    if (!digests.is_object() || digests.size() != w.outputs.size())
      return refused(receipt_path, "outputs: not one digest per manifest output");
    for (const auto& o : w.outputs)
      if (!digests.contains(o.output_id) || digests.at(o.output_id) != o.digest)
        return refused(receipt_path,
                       "outputs." + o.output_id + ": digest differs from the manifest's");
  } catch (const nlohmann::json::exception& ex) {
    return refused(dir, std::string("receipt or manifest malformed: ") + ex.what());
  }
  if (w.relative_path !=
      world::world_path("", w.seed, w.parameter_hash, w.manifest_fingerprint, w.scenario_id)
          .relative_path()
          .generic_string())
    return refused(dir, "path tokens differ from the manifest's seed, parameter_hash, "
                        "manifest_fingerprint and scenario_id");
  for (auto check :
       {schemas::validate_path_segment("manifest.scenario_id", w.scenario_id),
        schemas::validate_hex64("manifest.parameter_hash", w.parameter_hash),
        schemas::validate_hex64("manifest.manifest_fingerprint", w.manifest_fingerprint)})
    if (!check)
      return refused(manifest_path, check.error().message());
  return w;
}

} // namespace fp::sr
