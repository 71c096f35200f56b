// `fp objects ls|cat|put`: the write-once object store of a node's journal.

#include "schemas/artifact_ref.hpp"
#include "schemas/ids.hpp"

#include "cluster/data_dir.hpp"
#include "journal/object_store.hpp"
#include "tools/fp/cli.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

namespace fp::tools {

namespace {

/// The ArtifactRef contract's JSON (schemas/contracts/artifact_ref.schema.json): absent
/// optional fields are left out, never written as null.
std::string ref_json(const artifact_ref& r) {
  return schemas::to_json(r);
}

expected<std::string> read_input(const std::string& file) {
  std::ostringstream buf;
  // A directory opens, then reads as empty: refused, or an empty object would be stored in
  // its place (and, write-once, stay).
  if (file == "-") {
    struct stat st {};
    if (::fstat(STDIN_FILENO, &st) == 0 && S_ISDIR(st.st_mode))
      return error{journal::errc::invalid_argument, "standard input is a directory, not a file"};
    buf << std::cin.rdbuf();
    if (std::cin.bad())
      return error{journal::errc::io, "error reading standard input"};
    return buf.str();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return error{journal::errc::invalid_argument, file + " is a directory, not a file"};
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return error{journal::errc::not_found, "cannot read " + file};
  buf << in.rdbuf();
  if (in.bad())
    return error{journal::errc::io, "error reading " + file};
  return buf.str();
}

} // namespace

exit_code objects_ls(const args& a) {
  faults_mean_damage(a, a.text("--data"));
  auto j = cluster::open_journal(a.text("--data"), true);
  if (!j)
    return fail(a, exit_code::failed, j.error().message());
  journal::object_store store{**j};
  auto prefix = a.positionals().empty() ? std::string() : a.positionals()[0];
  bool as_json = a.has("--json");
  auto listed = store.list(prefix, [&](const artifact_ref& r) {
    if (as_json) {
      std::printf("%s\n", ref_json(r).c_str());
      return true;
    }
    std::printf("%s %llu %s %s\n", r.ref.c_str(),
                static_cast<unsigned long long>(r.size_bytes.value_or(0)),
                r.digest.value_or("-").c_str(), r.schema_version.value_or("-").c_str());
    return true;
  });
  if (!listed)
    return fail(a, exit_code::failed, listed.error().message());
  return exit_code::ok;
}

exit_code objects_cat(const args& a) {
  faults_mean_damage(a, a.text("--data"));
  auto j = cluster::open_journal(a.text("--data"), true);
  if (!j)
    return fail(a, exit_code::failed, j.error().message());
  journal::object_store store{**j};
  // Several REFs: each object's bytes followed by a newline (JSON objects become JSON lines).
  const auto& refs = a.positionals();
  for (const auto& ref : refs) {
    auto bytes = store.get(ref);
    if (!bytes)
      return fail(a, exit_code::failed, bytes.error().message());
    if (refs.size() > 1)
      bytes->push_back('\n');
    if (std::fwrite(bytes->data(), 1, bytes->size(), stdout) != bytes->size())
      return fail(a, exit_code::failed, "cannot write to stdout");
  }
  if (std::fflush(stdout) != 0)
    return fail(a, exit_code::failed, "cannot write to stdout");
  return exit_code::ok;
}

exit_code objects_put(const args& a) {
  const auto& path = a.positionals()[0];
  if (auto valid = journal::object_store::validate_path(path); !valid)
    return fail(a, exit_code::usage, valid.error().message());
  auto bytes = read_input(a.positionals()[1]);
  if (!bytes)
    return fail(a, exit_code::failed, bytes.error().message());
  auto j = cluster::open_journal(a.text("--data"), false);
  if (!j)
    return fail(a, exit_code::failed, j.error().message());
  journal::object_store store{**j};
  std::optional<std::string> schema_version;
  if (a.has("--schema-version")) {
    if (auto ok = schemas::validate_schema_version("--schema-version", a.text("--schema-version"));
        !ok)
      return fail(a, exit_code::usage, ok.error().message());
    schema_version = a.text("--schema-version");
  }
  auto ref = store.put(path, std::move(*bytes), schema_version);
  if (!ref)
    return fail(a, exit_code::failed, ref.error().message());
  std::printf("%s\n", ref_json(*ref).c_str());
  return exit_code::ok;
}

} // namespace fp::tools
