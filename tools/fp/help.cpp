// `--help` for fp, its groups and every subcommand, generated from the tables.

#include "tools/fp/cli_table.hpp"

#include <cstdio>
#include <string>

namespace fp::tools::cli {

namespace {

constexpr const char* exit_codes = "Exit codes:\n"
                                   "  0  ok\n"
                                   "  1  a check failed (verify found a problem, a digest did not "
                                   "match) or the\n"
                                   "     journal or object could not be read or written\n"
                                   "  2  usage error: unknown subcommand or option, missing or "
                                   "malformed value\n";

void print_sv(std::FILE* out, std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), out);
}

void print_commands(std::FILE* out, std::string_view group) {
  for (auto& c : commands()) {
    if (!group.empty() && c.name.substr(0, group.size() + 1) != std::string(group) + " ")
      continue;
    std::fprintf(out, "  %-15.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
}

} // namespace

void print_main_help(std::FILE* out) {
  print_sv(out, "fp: the fraud-platform command-line tools\n\n"
                "Usage: fp <command> [options]\n"
                "       fp <command> --help\n\n"
                "Commands:\n");
  print_commands(out, "");
  print_sv(out, "  help            this text; 'fp help <command>' for a command's help\n\n"
                "--data DIR is a node data dir (the one fpnode uses): the journal and its\n"
                "object store live in DIR/journal. Progress bars are drawn on stderr only when\n"
                "stderr is a terminal.\n\n");
  print_sv(out, exit_codes);
}

void print_group_help(std::FILE* out, std::string_view group) {
  std::fprintf(out, "Usage: fp %.*s <subcommand> [options]\n\nSubcommands:\n",
               static_cast<int>(group.size()), group.data());
  print_commands(out, group);
  std::fprintf(out, "\nRun 'fp %.*s <subcommand> --help' for its options.\n",
               static_cast<int>(group.size()), group.data());
}

void print_command_help(std::FILE* out, const command_spec& c) {
  std::fprintf(out, "Usage: fp %.*s\n\n", static_cast<int>(c.usage.size()), c.usage.data());
  print_sv(out, c.summary);
  print_sv(out, ".\n");
  if (!c.details.empty()) {
    print_sv(out, "\n");
    print_sv(out, c.details);
    print_sv(out, "\n");
  }
  print_sv(out, "\nOptions:\n");
  for (auto& o : options()) {
    if (!(o.accepted_by & c.bit))
      continue;
    auto left = std::string(o.name) + (o.value.empty() ? "" : " " + std::string(o.value));
    std::fprintf(out, "  %-22s %.*s%s\n", left.c_str(), static_cast<int>(o.help.size()),
                 o.help.data(), (o.required_by & c.bit) ? " (required)" : "");
  }
  std::fprintf(out, "  %-22s %s\n\n", "-h, --help", "show this help");
  print_sv(out, exit_codes);
}

} // namespace fp::tools::cli
