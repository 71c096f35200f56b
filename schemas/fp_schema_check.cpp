// fp_schema_check KIND FILE...: validates each file as KIND (envelope, artifact_ref,
// origin_offset) with the C++ validators and prints `FILE valid` or `FILE invalid CODE: MSG`.
// The fixture agreement test compares this with the JSON Schema verdicts.
#include "schemas/artifact_ref.hpp"
#include "schemas/envelope.hpp"
#include "schemas/origin_offset.hpp"

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace {

fp::expected<void> check(std::string_view kind, std::string_view text) {
  auto result = [](auto r) -> fp::expected<void> {
    if (!r)
      return std::move(r).error();
    return {};
  };
  if (kind == "envelope")
    return result(fp::schemas::parse_envelope(text));
  if (kind == "artifact_ref")
    return result(fp::schemas::parse_artifact_ref(text));
  return result(fp::schemas::parse_origin_offset(text));
}

} // namespace

int main(int argc, char** argv) {
  std::string_view kind = argc > 1 ? argv[1] : "";
  if (kind != "envelope" && kind != "artifact_ref" && kind != "origin_offset") {
    std::cerr << "usage: fp_schema_check envelope|artifact_ref|origin_offset FILE...\n";
    return 2;
  }
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << argv[i] << ": cannot open\n";
      return 2;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto verdict = check(kind, text.str());
    if (verdict)
      std::cout << argv[i] << " valid\n";
    else
      std::cout << argv[i] << " invalid " << verdict.error().code_name() << ": "
                << verdict.error().message() << "\n";
  }
  return 0;
}
