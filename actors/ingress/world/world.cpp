#include "actors/ingress/world/world.hpp"

#include "actors/ingress/world/errc.hpp"
#include "actors/ingress/world/files.hpp"
#include "actors/ingress/world/params.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/hash.hpp"
#include "schemas/ids.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <unistd.h>

namespace fp::world {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view fingerprint_tag = "fp.world.manifest_fingerprint.v1";

fp::error corrupt(const fs::path& path, std::string message) {
  return fp::error{errc::corrupt, path.string() + ": " + std::move(message)};
}

std::string fingerprint_of(std::string_view parameter_hash,
                           const std::array<std::string, output_count>& digests) {
  return schemas::composite_id(
      {fingerprint_tag, parameter_hash, output_id(output::arrival_events), digests[0],
       output_id(output::arrival_entities), digests[1], output_id(output::flow_anchor), digests[2],
       output_id(output::event_stream), digests[3], output_id(output::truth), digests[4]});
}

std::string receipt_text(const nlohmann::json& manifest, std::string_view manifest_bytes) {
  nlohmann::json outputs = nlohmann::json::object();
  for (auto& o : manifest["outputs"])
    outputs[o["output_id"].get<std::string>()] = o["digest"];
  return schemas::canonical(nlohmann::json{
      {"kind", "fp.oracle.gate_receipt"},
      {"schema_version", "v1"},
      {"gate_id", "fp.world.seal.v1"},
      {"status", "PASS"},
      {"seed", manifest["seed"]},
      {"scenario_id", manifest["scenario_id"]},
      {"parameter_hash", manifest["parameter_hash"]},
      {"manifest_fingerprint", manifest["manifest_fingerprint"]},
      {"manifest_ref", std::string(manifest_file)},
      {"manifest_sha256", schemas::sha256_hex(manifest_bytes)},
      {"outputs", outputs},
      {"checks",
       {"parts_sha256", "output_digests", "row_counts", "ts_utc_order", "manifest_fingerprint"}},
  });
}

} // namespace

fs::path world_path(const fs::path& oracle_root, std::uint64_t seed,
                    std::string_view parameter_hash, std::string_view manifest_fingerprint,
                    std::string_view scenario_id) {
  return oracle_root / "oracle" / ("seed=" + std::to_string(seed)) /
         ("parameter_hash=" + std::string(parameter_hash)) /
         ("manifest_fingerprint=" + std::string(manifest_fingerprint)) /
         ("scenario_id=" + std::string(scenario_id));
}

std::vector<fs::path> find_worlds(const fs::path& oracle_root) {
  std::vector<fs::path> out;
  std::error_code ec;
  auto level = [&](const std::vector<fs::path>& dirs, std::string_view token) {
    std::vector<fs::path> next;
    for (auto& d : dirs)
      for (auto it = fs::directory_iterator(d, ec); !ec && it != fs::directory_iterator(); ++it) {
        auto name = it->path().filename().string();
        if (it->is_directory() && name.rfind(token, 0) == 0)
          next.push_back(it->path());
      }
    std::sort(next.begin(), next.end());
    return next;
  };
  auto seeds = level({oracle_root / "oracle"}, "seed=");
  auto params = level(seeds, "parameter_hash=");
  auto fps = level(params, "manifest_fingerprint=");
  return level(fps, "scenario_id=");
}

expected<generate_result> generate(const params& p, const fs::path& oracle_root,
                                   const std::function<void(std::uint64_t)>& on_flows) {
  if (auto v = validate(p); !v)
    return v.error();
  generate_result res;
  res.parameter_hash = parameter_hash(p);
  auto base = oracle_root / "oracle" / ("seed=" + std::to_string(p.seed)) /
              ("parameter_hash=" + res.parameter_hash);
  auto staging = base / (".staging-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (!fs::create_directories(staging, ec) || ec)
    return io_error_of(staging, "cannot create directory");
  struct cleanup {
    fs::path dir;
    ~cleanup() {
      std::error_code e;
      if (!dir.empty())
        fs::remove_all(dir, e);
    }
  } guard{staging};

  std::vector<std::unique_ptr<output_writer>> writers;
  for (auto o : all_outputs)
    writers.push_back(std::make_unique<output_writer>(staging, o, p.part_rows));
  res.stats = stream_world(
      p,
      [&](output o, std::int64_t ts, std::string_view line) {
        writers[static_cast<int>(o)]->write(ts, line);
      },
      on_flows);

  nlohmann::json outputs = nlohmann::json::array();
  std::array<std::string, output_count> digests;
  for (auto o : all_outputs) {
    auto& w = *writers[static_cast<int>(o)];
    auto j = w.finish();
    if (!j)
      return j.error();
    outputs.push_back(*j);
    digests[static_cast<int>(o)] = w.digest();
    res.bytes += w.bytes();
  }
  res.manifest_fingerprint = fingerprint_of(res.parameter_hash, digests);
  nlohmann::json manifest{
      {"kind", "fp.oracle.world_manifest"},
      {"schema_version", "v1"},
      {"seed", p.seed},
      {"scenario_id", p.scenario_id},
      {"parameter_hash", res.parameter_hash},
      {"parameters", parameters_json(p)},
      {"manifest_fingerprint", res.manifest_fingerprint},
      {"fingerprint_rule", "H(\"" + std::string(fingerprint_tag) +
                               "\", parameter_hash, then output_id and digest of each output in "
                               "the order listed)"},
      {"event_id_rule", "event_id = H(manifest_fingerprint, output_id, primary key values in "
                        "order; integers as decimal text)"},
      {"outputs", outputs},
      {"stats", {{"flows", res.stats.flows}, {"fraud_flows", res.stats.fraud_flows}}},
  };
  auto manifest_bytes = schemas::canonical(manifest);
  if (auto w = write_durable(staging / manifest_file, manifest_bytes); !w)
    return w.error();

  res.world_dir =
      world_path(oracle_root, p.seed, res.parameter_hash, res.manifest_fingerprint, p.scenario_id);
  auto receipt = receipt_text(manifest, manifest_bytes);
  if (fs::exists(res.world_dir, ec)) {
    auto existing = read_all(res.world_dir / manifest_file);
    if (!existing || *existing != manifest_bytes)
      return fp::error{errc::conflict,
                       res.world_dir.string() +
                           ": a world with different content is already there; a sealed world is "
                           "never overwritten"};
    // Same manifest: finish a seal interrupted before its receipt, then check the bytes.
    if (!fs::exists(res.world_dir / gate_receipt_file, ec))
      if (auto w = write_durable(res.world_dir / gate_receipt_file, receipt); !w)
        return w.error();
    if (auto v = verify_world(res.world_dir); !v)
      return fp::error{errc::conflict,
                       "the sealed world differs from its manifest: " + v.error().message()};
    res.already_sealed = true;
    return res;
  }
  for (auto& other : find_worlds(oracle_root)) {
    if (other.parent_path().parent_path() != base ||
        other.filename() != "scenario_id=" + p.scenario_id)
      continue;
    return fp::error{errc::drift,
                     "seed " + std::to_string(p.seed) + ", parameter_hash " + res.parameter_hash +
                         " and scenario " + p.scenario_id + " are already sealed as " +
                         other.parent_path().filename().string() +
                         "; this build produced manifest_fingerprint=" + res.manifest_fingerprint +
                         " (generator drift); nothing written"};
  }
  fs::create_directories(res.world_dir.parent_path(), ec);
  if (ec)
    return io_error_of(res.world_dir.parent_path(), "cannot create directory");
  if (std::rename(staging.c_str(), res.world_dir.c_str()) != 0)
    return io_error_of(res.world_dir, "cannot move the staged world into place");
  guard.dir.clear();
  if (!fsync_path(res.world_dir.parent_path()) || !fsync_path(base))
    return io_error_of(res.world_dir, "cannot fsync directory");
  if (auto w = write_durable(res.world_dir / gate_receipt_file, receipt); !w)
    return w.error();
  return res;
}

expected<void> verify_world(const fs::path& dir) {
  auto text = read_all(dir / manifest_file);
  if (!text)
    return corrupt(dir / manifest_file, "missing");
  auto parsed = schemas::parse_strict(*text, "manifest");
  if (!parsed)
    return corrupt(dir / manifest_file, parsed.error().message());
  auto& m = *parsed;
  if (schemas::canonical(m) != *text)
    return corrupt(dir / manifest_file, "not in canonical (RFC 8785) form");
  try {
    auto ph = schemas::sha256_hex(schemas::canonical(m.at("parameters")));
    if (ph != m.at("parameter_hash").get<std::string>())
      return corrupt(dir / manifest_file, "parameter_hash does not match the recorded parameters");
    auto mf = m.at("manifest_fingerprint").get<std::string>();
    auto scen = m.at("scenario_id").get<std::string>();
    for (auto check : {schemas::validate_hex64("manifest.parameter_hash", ph),
                       schemas::validate_hex64("manifest.manifest_fingerprint", mf),
                       schemas::validate_path_segment("manifest.scenario_id", scen)})
      if (!check)
        return corrupt(dir / manifest_file, check.error().message());
    if (dir.filename() != "scenario_id=" + scen ||
        dir.parent_path().filename() != "manifest_fingerprint=" + mf ||
        dir.parent_path().parent_path().filename() != "parameter_hash=" + ph ||
        dir.parent_path().parent_path().parent_path().filename() !=
            "seed=" + std::to_string(m.at("seed").get<std::uint64_t>()))
      return corrupt(dir, "path tokens do not match the manifest's seed, parameter_hash, "
                          "manifest_fingerprint and scenario_id");
    std::array<std::string, output_count> digests;
    const auto& outs = m.at("outputs");
    if (!outs.is_array() || outs.size() != output_count)
      return corrupt(dir / manifest_file, "outputs: expected " + std::to_string(output_count));
    for (int i = 0; i < output_count; ++i) {
      const auto& o = outs[i];
      if (o.at("output_id").get<std::string>() != output_id(all_outputs[i]))
        return corrupt(dir / manifest_file, "outputs[" + std::to_string(i) + "]: unexpected id");
      sha256_stream all;
      std::uint64_t rows = 0;
      std::string last_ts;
      for (const auto& part : o.at("parts")) {
        auto path = dir / part.at("path").get<std::string>();
        std::ifstream in(path, std::ios::binary);
        if (!in)
          return corrupt(path, "missing part");
        sha256_stream ph_part;
        std::uint64_t prow = 0, pbytes = 0;
        std::string line;
        while (std::getline(in, line)) {
          if (in.eof())
            return corrupt(path, "last line has no newline");
          line.push_back('\n');
          ph_part.update(line);
          all.update(line);
          pbytes += line.size();
          ++prow;
          auto at = line.find("\"ts_utc\":\"");
          if (at == std::string::npos)
            return corrupt(path, "row " + std::to_string(prow) + ": no ts_utc");
          auto ts = line.substr(at + 10, 24);
          if (ts < last_ts)
            return corrupt(path, "row " + std::to_string(prow) + ": ts_utc " + ts +
                                     " before the previous row's " + last_ts);
          last_ts = ts;
        }
        if (!line.empty() && line.back() != '\n')
          return corrupt(path, "last line has no newline");
        if (prow != part.at("rows").get<std::uint64_t>() ||
            pbytes != part.at("bytes").get<std::uint64_t>())
          return corrupt(path, "rows or bytes differ from the manifest");
        if (ph_part.hex() != part.at("sha256").get<std::string>())
          return corrupt(path, "sha256 differs from the manifest");
        rows += prow;
      }
      digests[i] = all.hex();
      if (rows != o.at("rows").get<std::uint64_t>())
        return corrupt(dir / manifest_file,
                       std::string(output_id(all_outputs[i])) + ": row count differs");
      if (digests[i] != o.at("digest").get<std::string>())
        return corrupt(dir / manifest_file,
                       std::string(output_id(all_outputs[i])) + ": digest differs");
    }
    if (fingerprint_of(ph, digests) != mf)
      return corrupt(dir / manifest_file, "manifest_fingerprint does not match the digests");
    auto receipt = read_all(dir / gate_receipt_file);
    if (!receipt)
      return corrupt(dir / gate_receipt_file, "missing: the world was never sealed");
    if (*receipt != receipt_text(m, *text))
      return corrupt(dir / gate_receipt_file, "does not match the manifest (status PASS, pins, "
                                              "manifest_sha256, digests)");
  } catch (const nlohmann::json::exception& e) {
    return corrupt(dir / manifest_file, std::string("malformed: ") + e.what());
  }
  return {};
}

} // namespace fp::world
