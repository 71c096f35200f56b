#pragma once

// `fp shell`: an interactive shell (and a `-c` one-shot for scripts) over a node's admin HTTP
// API. Registered in commands.cpp with the bit and the help text below; its own commands are
// the table in shell_commands.hpp.

#include "tools/fp/cli.hpp"
#include "tools/fp/shell_commands.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace fp::tools {

exit_code shell(const args& a); // shell.cpp

} // namespace fp::tools

namespace fp::tools::cli::on {
/// Above the bits cli_table.hpp hands out, so that both can grow without meeting.
constexpr unsigned shell = 1u << 24;
} // namespace fp::tools::cli::on

namespace fp::tools::sh {

/// `fp shell --help`'s details, with the shell's commands listed from their table.
constexpr std::string help_details() {
  std::string out =
      "Finds the node's admin API through --node, or through DIR/fpnode.ports.json with\n"
      "--data. Sends `Authorization: Bearer` with the token of --token-file, or else of\n"
      "$FP_ADMIN_TOKEN when set.\n"
      "Interactive (a terminal on stdin): tables and pretty JSON, TAB completes commands,\n"
      "entity types, keys and metric names, history in $FP_SHELL_HISTORY (default\n"
      "~/.fp_shell_history). Errors print one line and the prompt returns; Ctrl-D leaves.\n"
      "-c CMD runs one command and prints the API's body as compact JSON (metrics: the\n"
      "text lines) for scripts: exit 1 when the node is unreachable, answers an error or\n"
      "is RED, or CMD is unknown or malformed.\n\n"
      "Shell commands:\n";
  for (auto& c : command_table) {
    out.append("  ").append(c.usage);
    if (c.usage.size() < 30) {
      out.append(30 - c.usage.size(), ' ');
    } else {
      out.append("\n").append(32, ' ');
    }
    out.append(c.summary).append("\n");
  }
  out.pop_back(); // print_command_help ends the paragraph
  return out;
}

inline constexpr auto help_details_chars = [] {
  std::array<char, help_details().size()> out{};
  auto text = help_details();
  std::copy(text.begin(), text.end(), out.begin());
  return out;
}();

inline constexpr std::string_view help_details_text{help_details_chars.data(),
                                                    help_details_chars.size()};

} // namespace fp::tools::sh
