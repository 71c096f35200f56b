// fp_ig_payload_check SCHEMA_DIR NAME FILE...: validates each file (one payload, parsed as
// I-JSON) against SCHEMA_DIR/NAME.schema.json with IG's validator and prints `FILE valid` or
// `FILE invalid CODE: MSG`, the lines tests/schemas/payload_agreement.sh compares with
// Python's jsonschema.
#include "actors/ingress/ig/json_schema.hpp"
#include "schemas/canonical_json.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

namespace {

std::string slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: fp_ig_payload_check SCHEMA_DIR NAME FILE...\n";
    return 2;
  }
  auto path = std::string(argv[1]) + "/" + argv[2] + ".schema.json";
  auto doc = fp::schemas::parse_strict(slurp(path.c_str()), path);
  if (!doc) {
    std::cerr << doc.error().message() << "\n";
    return 2;
  }
  auto schema = fp::ig::json_schema::compile(*doc, path);
  if (!schema) {
    std::cerr << schema.error().message() << "\n";
    return 2;
  }
  for (int i = 3; i < argc; ++i) {
    auto v = fp::schemas::parse_strict(slurp(argv[i]), "payload");
    if (!v) {
      std::cout << argv[i] << " invalid json: " << v.error().message() << "\n";
      continue;
    }
    if (auto bad = schema->check(*v, "payload"))
      std::cout << argv[i] << " invalid schema: " << bad->message << "\n";
    else
      std::cout << argv[i] << " valid\n";
  }
  return 0;
}
