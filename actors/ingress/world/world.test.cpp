#include "actors/ingress/world/world.hpp"

#include "actors/ingress/world/errc.hpp"
#include "actors/ingress/world/params.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/hash.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <malloc.h>
#include <string>
#include <unistd.h>

using namespace fp::world;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under the system temp dir, removed at scope exit.
struct temp_dir {
  fs::path path;
  explicit temp_dir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("fp_world_test_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

params small(std::uint64_t seed = 7) {
  params p;
  p.seed = seed;
  p.flows = 1500;
  p.merchants = 12;
  return p;
}

/// VmHWM (peak resident set) of this process in KiB.
long peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

} // namespace

TEST_CASE("the layout follows the pinned token order and holds every output") {
  temp_dir t("layout");
  auto p = small();
  auto r = generate(p, t.path);
  REQUIRE(r);
  CHECK_FALSE(r->already_sealed);
  auto expect = t.path / "oracle" / "seed=7" / ("parameter_hash=" + parameter_hash(p)) /
                ("manifest_fingerprint=" + r->manifest_fingerprint) / "scenario_id=baseline_v1";
  CHECK(r->world_dir == expect);
  CHECK(r->parameter_hash == parameter_hash(p));
  for (auto o : all_outputs)
    CHECK(fs::is_regular_file(expect / output_dir(o) / "part-00000.jsonl"));
  CHECK(fs::is_regular_file(expect / "outputs/arrival_events_5B/part-00000.jsonl"));
  CHECK(fs::is_regular_file(expect / "truth/s4_flow_truth_6B/part-00000.jsonl"));
  CHECK(fs::is_regular_file(expect / manifest_file));
  CHECK(fs::is_regular_file(expect / gate_receipt_file));
  // Nothing but the world is left behind (no staging directory, no temp files).
  std::size_t entries = 0;
  for (auto& e : fs::recursive_directory_iterator(t.path / "oracle")) {
    ++entries;
    CHECK(e.path().filename().string().rfind(".", 0) != 0);
    CHECK(e.path().extension() != ".tmp");
  }
  CHECK(entries == 4 + 2 + 5 + 5 + 2); // tokens, outputs/ truth/, 5 dirs, 5 parts, 2 files
  CHECK(find_worlds(t.path) == std::vector<fs::path>{expect});
  CHECK(verify_world(expect));
}

TEST_CASE("two runs give byte-identical worlds, another seed gives another fingerprint") {
  temp_dir a("det_a"), b("det_b");
  auto ra = generate(small(), a.path);
  auto rb = generate(small(), b.path);
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK(ra->manifest_fingerprint == rb->manifest_fingerprint);
  CHECK(read(ra->world_dir / manifest_file) == read(rb->world_dir / manifest_file));
  CHECK(read(ra->world_dir / gate_receipt_file) == read(rb->world_dir / gate_receipt_file));
  for (auto o : all_outputs) {
    auto part = output_dir(o) + "/part-00000.jsonl";
    CHECK(read(ra->world_dir / part) == read(rb->world_dir / part));
  }
  auto rc = generate(small(8), a.path);
  REQUIRE(rc);
  CHECK(rc->manifest_fingerprint != ra->manifest_fingerprint);
  CHECK(rc->parameter_hash == ra->parameter_hash); // the seed is its own token
  CHECK(find_worlds(a.path).size() == 2);
}

TEST_CASE("manifest digests and the gate receipt pin the bytes") {
  temp_dir t("receipt");
  auto p = small();
  p.part_rows = 1000; // 1500 rows: two parts
  auto r = generate(p, t.path);
  REQUIRE(r);
  auto manifest_bytes = read(r->world_dir / manifest_file);
  auto m = nlohmann::json::parse(manifest_bytes);
  CHECK(fp::schemas::canonical(m) == manifest_bytes);
  CHECK(m["parameter_hash"] == fp::schemas::sha256_hex(fp::schemas::canonical(m["parameters"])));
  CHECK(m["parameters"]["prng"] == "xoshiro256** seeded by splitmix64");
  CHECK(m["seed"] == 7);
  REQUIRE(m["outputs"].size() == 5);
  std::vector<std::string> digests;
  for (auto& o : m["outputs"]) {
    std::string concatenated;
    for (auto& part : o["parts"]) {
      auto bytes = read(r->world_dir / part["path"].get<std::string>());
      CHECK(fp::schemas::sha256_hex(bytes) == part["sha256"]);
      CHECK(bytes.size() == part["bytes"].get<std::size_t>());
      concatenated += bytes;
    }
    CHECK(fp::schemas::sha256_hex(concatenated) == o["digest"]);
    digests.push_back(o["digest"]);
  }
  CHECK(m["outputs"][0]["parts"].size() == 2);
  CHECK(m["outputs"][0]["parts"][1]["rows"] == 500);
  CHECK(m["manifest_fingerprint"] ==
        fp::schemas::composite_id(
            {"fp.world.manifest_fingerprint.v1", r->parameter_hash, "arrival_events_5B", digests[0],
             "s1_arrival_entities_6B", digests[1], "s3_flow_anchor_with_fraud_6B", digests[2],
             "s3_event_stream_with_fraud_6B", digests[3], "s4_flow_truth_6B", digests[4]}));
  auto receipt = nlohmann::json::parse(read(r->world_dir / gate_receipt_file));
  CHECK(receipt["status"] == "PASS");
  CHECK(receipt["kind"] == "fp.oracle.gate_receipt");
  CHECK(receipt["manifest_fingerprint"] == r->manifest_fingerprint);
  CHECK(receipt["parameter_hash"] == r->parameter_hash);
  CHECK(receipt["seed"] == 7);
  CHECK(receipt["scenario_id"] == "baseline_v1");
  CHECK(receipt["manifest_sha256"] == fp::schemas::sha256_hex(manifest_bytes));
  CHECK(receipt["outputs"]["s3_event_stream_with_fraud_6B"] == digests[3]);
  CHECK(receipt["outputs"].size() == 5);
}

TEST_CASE("write-once: identical is a no-op, different content is refused") {
  temp_dir t("once");
  auto r = generate(small(), t.path);
  REQUIRE(r);
  auto again = generate(small(), t.path);
  REQUIRE(again);
  CHECK(again->already_sealed);
  CHECK(again->manifest_fingerprint == r->manifest_fingerprint);

  SUBCASE("a changed part is caught by verify and refused by generate") {
    auto part = r->world_dir / "outputs/s3_event_stream_with_fraud_6B/part-00000.jsonl";
    auto bytes = read(part);
    bytes[10] = bytes[10] == '1' ? '2' : '1';
    write(part, bytes);
    auto v = verify_world(r->world_dir);
    REQUIRE_FALSE(v);
    CHECK(v.error() == errc::corrupt);
    CHECK(v.error().message().find("s3_event_stream_with_fraud_6B/part-00000.jsonl") !=
          std::string::npos);
    auto g = generate(small(), t.path);
    REQUIRE_FALSE(g);
    CHECK(g.error() == errc::conflict);
    CHECK(read(part) == bytes); // nothing was overwritten
  }
  SUBCASE("a different manifest at the path is refused") {
    write(r->world_dir / manifest_file, "{}");
    auto g = generate(small(), t.path);
    REQUIRE_FALSE(g);
    CHECK(g.error() == errc::conflict);
    CHECK(g.error().message().find("never overwritten") != std::string::npos);
    CHECK(read(r->world_dir / manifest_file) == "{}");
  }
  SUBCASE("a missing receipt fails verify; generate completes the seal") {
    fs::remove(r->world_dir / gate_receipt_file);
    auto v = verify_world(r->world_dir);
    REQUIRE_FALSE(v);
    CHECK(v.error().message().find("never sealed") != std::string::npos);
    auto g = generate(small(), t.path);
    REQUIRE(g);
    CHECK(g->already_sealed);
    CHECK(verify_world(r->world_dir));
  }
  SUBCASE("a tampered receipt fails verify") {
    auto text = read(r->world_dir / gate_receipt_file);
    text.replace(text.find("PASS"), 4, "FAIL");
    write(r->world_dir / gate_receipt_file, text);
    CHECK_FALSE(verify_world(r->world_dir));
  }
}

TEST_CASE("another fingerprint for the same seed, parameters and scenario is drift") {
  temp_dir t("drift");
  auto p = small();
  auto other = world_path(t.path, p.seed, parameter_hash(p), std::string(64, '0'), p.scenario_id);
  fs::create_directories(other);
  auto g = generate(p, t.path);
  REQUIRE_FALSE(g);
  CHECK(g.error() == errc::drift);
  CHECK(g.error().message().find("manifest_fingerprint=" + std::string(64, '0')) !=
        std::string::npos);
  CHECK(find_worlds(t.path).size() == 1); // nothing new written, no staging left
  std::size_t staged = 0;
  for (auto& e : fs::directory_iterator(other.parent_path().parent_path()))
    staged += e.path().filename().string().rfind(".staging", 0) == 0;
  CHECK(staged == 0);
  // Another scenario is not drift.
  p.scenario_id = "other_v1";
  CHECK(generate(p, t.path));
}

TEST_CASE("bad parameters are refused before anything is written") {
  temp_dir t("bad");
  auto p = small();
  p.merchants = 0;
  auto g = generate(p, t.path);
  REQUIRE_FALSE(g);
  CHECK(g.error() == errc::bad_parameter);
  CHECK(g.error().message() == "merchants: must be 1..100000, got 0");
  CHECK_FALSE(fs::exists(t.path / "oracle"));
}

TEST_CASE("memory stays bounded: 200k flows grow the peak RSS by a few MiB") {
  temp_dir t("memory");
  params p;
  p.seed = 5;
  p.flows = 200'000;
  p.merchants = 500;
  p.part_rows = 100'000;
  // Hand memory freed by earlier tests back to the kernel, then reset this process's VmHWM
  // (peak RSS), so that only what the generation itself touches counts.
  ::malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
  auto before = peak_rss_kib();
  REQUIRE(before > 0);
  auto r = generate(p, t.path);
  REQUIRE(r);
  auto growth_kib = peak_rss_kib() - before;
  MESSAGE("peak RSS " << before << " KiB before, growth " << growth_kib << " KiB for " << r->bytes
                      << " bytes written; "
                      << "lookahead " << r->stats.peak_pending_intents << " intents, "
                      << r->stats.peak_pending_events << " events");
  CHECK(r->stats.flows == 200'000);
  CHECK(r->bytes > 150'000'000); // holding the rows would need this much
  CHECK(growth_kib < 32 * 1024); // far below: the rows are streamed
  CHECK(r->stats.peak_pending_intents < 2000);
  CHECK(r->stats.peak_pending_events < 2000);
  CHECK(verify_world(r->world_dir));
}

TEST_CASE("golden: the default world of seed 7 has pinned ids") {
  // A change here means every world's bytes changed: bump generator_version (types.hpp) so
  // that the new bytes get a new parameter_hash instead of drifting under the old one.
  temp_dir t("golden");
  params p;
  p.seed = 7;
  auto r = generate(p, t.path);
  REQUIRE(r);
  CHECK(r->parameter_hash == "d558ea95c94838f50f121f3e37bfd70dcd624444f1f83565077294e6bc0e7f7e");
  CHECK(r->manifest_fingerprint ==
        "594f22c8269e7484592791918431906943b62c2069cf40b343db1376c6e0fe2d");
  CHECK(r->stats.flows == 2000);
  CHECK(r->stats.fraud_flows == 74);
}
