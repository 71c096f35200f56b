#include "actors/ingress/ig/policy.hpp"

#include "actors/ingress/ig/test_fixture.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace fp::ig;
namespace fs = std::filesystem;

namespace {

struct policy_dir {
  fs::path dir;
  policy_dir() {
    dir = fs::temp_directory_path() / ("fp-ig-policy-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "payloads");
    fs::path root = FP_SOURCE_DIR;
    fs::copy_file(root / "config/platform/ig/class_map_v0.yaml", dir / "cm.yaml");
    fs::copy_file(root / "config/platform/ig/partitioning_profiles_v0.yaml", dir / "pp.yaml");
    for (auto& f : fs::directory_iterator(root / "schemas/contracts/payloads"))
      fs::copy_file(f.path(), dir / "payloads" / f.path().filename());
  }
  ~policy_dir() { fs::remove_all(dir); }
  fp::expected<policy> load() {
    return load_policy(dir / "cm.yaml", dir / "pp.yaml", dir / "payloads");
  }
  void replace(const fs::path& file, const std::string& from, const std::string& to) {
    std::ifstream in(file);
    std::string s((std::istreambuf_iterator<char>(in)), {});
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    s.replace(at, from.size(), to);
    std::ofstream(file, std::ios::trunc) << s;
  }
};

} // namespace

TEST_CASE("the repository's policy loads, and policy_rev follows content, not spelling") {
  auto p = test::repo_policy();
  CHECK(p.classes.size() == 4);
  CHECK(p.profiles.size() == 4);
  CHECK(p.payload_schemas.size() == 4);
  CHECK(p.policy_rev.size() == 64);
  REQUIRE(p.class_of("s3_event_stream_with_fraud_6B") != nullptr);
  CHECK(p.class_of("s3_event_stream_with_fraud_6B")->event_class == "traffic_fraud");
  CHECK(p.profile_of(*p.class_of("arrival_events_5B")).topic == "fp.bus.context.arrival_events.v1");
  CHECK(p.class_of("nope") == nullptr);

  policy_dir d;
  CHECK(d.load().value().policy_rev == p.policy_rev);
  d.replace(d.dir / "cm.yaml", "# Ingestion Gate", "# A comment changes nothing: Ingestion Gate");
  CHECK(d.load().value().policy_rev == p.policy_rev);
  d.replace(d.dir / "pp.yaml", "[payload.flow_id, event_id]", "[event_id]");
  auto changed = d.load();
  REQUIRE(changed.has_value());
  CHECK(changed->policy_rev != p.policy_rev);
}

TEST_CASE("bad policies are refused naming the file and the key") {
  struct row {
    const char* file;
    const char* from;
    const char* to;
    const char* expect;
  };
  for (auto r : {row{"cm.yaml", "partitioning_profile: ig.partitioning.v0.traffic.fraud",
                     "partitioning_profile: ig.partitioning.v0.nope", "unknown profile"},
                 row{"cm.yaml", "[arrival_events_5B]", "[s3_event_stream_with_fraud_6B]",
                     "belongs to another class"},
                 row{"cm.yaml", "payload_schema: traffic_fraud.v1", "payload_schema: missing.v1",
                     "cannot read"},
                 row{"cm.yaml", "schema_versions: [v1]", "schema_versions: [1]", "v<digits>"},
                 row{"cm.yaml", "version: class_map.v0", "version: class_map.v9", "version"},
                 row{"pp.yaml", "[payload.flow_id, event_id]", "[flow_id]", "key_precedence"},
                 row{"cm.yaml", "    partitioning_profile: ig.partitioning.v0.traffic.fraud\n",
                     "    partitioning_profile: ig.partitioning.v0.traffic.fraud\n    extra: 1\n",
                     "extra"}}) {
    std::string to = r.to;
    CAPTURE(to);
    policy_dir d;
    d.replace(d.dir / r.file, r.from, r.to);
    auto p = d.load();
    REQUIRE(!p.has_value());
    std::string message = p.error().message();
    CAPTURE(message);
    CHECK(p.error().code_name() == "bad_policy");
    CHECK(p.error().message().find(r.expect) != std::string::npos);
    CHECK(p.error().message().find(r.file) != std::string::npos);
  }
  policy_dir d;
  d.replace(d.dir / "payloads/traffic_fraud.v1.schema.json", "\"additionalProperties\"",
            "\"oneOf\": [], \"additionalProperties\"");
  auto p = d.load();
  REQUIRE(!p.has_value());
  CHECK(p.error().message().find("outside the subset") != std::string::npos);
}
