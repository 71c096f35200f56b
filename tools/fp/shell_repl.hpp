#pragma once

// The interactive loop of `fp shell` on libedit: prompt, line editing, history(3) persisted
// to a file, and TAB completion through `sh::complete`.

#include "tools/fp/shell_commands.hpp"

#include <string>

namespace fp::tools::sh {

/// `$FP_SHELL_HISTORY`, else `~/.fp_shell_history`; empty when neither can be found.
std::string history_path();

/// Reads, runs and prints commands until EOF or `quit`. Never stops on a command's error.
/// Returns the exit code: 0.
int run_repl(session& s, const std::string& prompt);

/// Runs the lines of a non-terminal stdin in order (no prompt, no editing). Returns 1 when
/// any of them failed, else 0.
int run_lines(session& s);

} // namespace fp::tools::sh
