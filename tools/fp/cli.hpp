#pragma once

// The `fp` command line: one table of subcommands, one table of options (cli.cpp), a parser
// that checks a command line against them, and the generated help (help.cpp).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fp::tools {

/// Exit codes scripts can rely on; `fp --help` documents them.
enum class exit_code : int {
  ok = 0,
  failed = 1, ///< a check failed (verify, digest) or the journal/object could not be used
  usage = 2,  ///< unknown subcommand or flag, missing or malformed value
};

/// A checked command line of one subcommand: its options and positional arguments.
class args {
public:
  /// The subcommand's full name, e.g. `replay dump`; prefixes error messages.
  std::string command;

  bool has(std::string_view option) const { return values_.count(std::string(option)) > 0; }
  /// The option's value, or `fallback` when absent.
  std::string text(std::string_view option, std::string fallback = {}) const;
  /// A `number` option's value (validated by the parser), or `fallback` when absent.
  std::uint64_t number(std::string_view option, std::uint64_t fallback) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  void set(std::string option, std::string value) { values_[std::move(option)] = std::move(value); }
  void add_positional(std::string value) { positionals_.push_back(std::move(value)); }

private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positionals_;
};

using command_fn = exit_code (*)(const args&);

/// Parses `argv`, runs the subcommand and returns the process exit code.
int run(int argc, char** argv);

/// Prints `fp <command>: <message>` on stderr and returns `code`.
exit_code fail(const args& a, exit_code code, std::string_view message);

/// From here on, a fault while reading (SIGBUS, SIGSEGV) ends `fp COMMAND` with one line
/// saying the journal under `data_dir` is damaged, and exit 1, instead of a crash. LMDB reads
/// its pages through a memory map and trusts their structure (a page has no checksum), so a
/// damaged page can fault where a record checksum never gets to look.
void faults_mean_damage(const args& a, const std::string& data_dir);

// -- subcommands (one file each group) -----------------------------------------------------

exit_code replay_stats(const args& a);  // replay_stats.cpp
exit_code replay_dump(const args& a);   // replay_dump.cpp
exit_code replay_verify(const args& a); // replay_verify.cpp
exit_code objects_ls(const args& a);    // objects.cpp
exit_code objects_cat(const args& a);   // objects.cpp
exit_code objects_put(const args& a);   // objects.cpp
exit_code demo(const args& a);          // demo.cpp
exit_code version(const args& a);       // version.cpp

} // namespace fp::tools
