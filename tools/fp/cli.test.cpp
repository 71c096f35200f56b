#include "tools/fp/cli.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace {

int fp_run(std::initializer_list<std::string> words) {
  std::vector<std::string> storage{"fp"};
  storage.insert(storage.end(), words);
  std::vector<char*> argv;
  for (auto& s : storage)
    argv.push_back(s.data());
  return fp::tools::run(static_cast<int>(argv.size()), argv.data());
}

} // namespace

TEST_CASE("usage errors exit 2") {
  CHECK(fp_run({}) == 2);
  CHECK(fp_run({"frobnicate"}) == 2);
  CHECK(fp_run({"--frobnicate"}) == 2);
  CHECK(fp_run({"replay"}) == 2);
  CHECK(fp_run({"replay", "rebuild"}) == 2);
  CHECK(fp_run({"replay", "stats"}) == 2);                              // --data is required
  CHECK(fp_run({"replay", "stats", "--data"}) == 2);                    // without its value
  CHECK(fp_run({"replay", "stats", "--data", "d", "--pid", "x"}) == 2); // not a stats option
  CHECK(fp_run({"replay", "dump", "--data", "d", "--limit", "-1"}) == 2);
  CHECK(fp_run({"replay", "dump", "--data", "d", "--limit=ten"}) == 2);
  CHECK(fp_run({"replay", "stats", "--data", "d", "--json=yes"}) == 2);
  CHECK(fp_run({"replay", "stats", "--data", "d", "--data", "e"}) == 2);
  CHECK(fp_run({"objects", "cat", "--data", "d"}) == 2);                // REF missing
  CHECK(fp_run({"objects", "put", "a", "b", "c", "--data", "d"}) == 2); // one too many
}

TEST_CASE("help is available everywhere and exits 0") {
  CHECK(fp_run({"--help"}) == 0);
  CHECK(fp_run({"help"}) == 0);
  CHECK(fp_run({"help", "replay", "dump"}) == 0);
  CHECK(fp_run({"replay", "--help"}) == 0);
  CHECK(fp_run({"replay", "verify", "-h"}) == 0);
  CHECK(fp_run({"objects", "put", "--help", "--bogus"}) == 0); // help wins over the rest
  CHECK(fp_run({"demo", "--help"}) == 0);
  CHECK(fp_run({"version"}) == 0);
}

TEST_CASE("a data dir without a journal is a failure, not a usage error") {
  CHECK(fp_run({"replay", "stats", "--data", "/nonexistent/fp-cli-test"}) == 1);
}
