#pragma once

// The declarative description of `fp`: every subcommand and every option, in two tables
// (commands.cpp). The parser (cli.cpp) and the help (help.cpp) are generated from them.

#include "tools/fp/cli.hpp"

#include <cstddef>
#include <cstdio>
#include <span>
#include <string_view>

namespace fp::tools::cli {

enum class value_kind { flag, text, number };

/// One bit per subcommand, so that an option row can name the subcommands accepting it.
namespace on {
constexpr unsigned replay_stats = 1u << 0;
constexpr unsigned replay_dump = 1u << 1;
constexpr unsigned replay_verify = 1u << 2;
constexpr unsigned objects_ls = 1u << 3;
constexpr unsigned objects_cat = 1u << 4;
constexpr unsigned objects_put = 1u << 5;
constexpr unsigned demo = 1u << 6;
constexpr unsigned version = 1u << 7;
constexpr unsigned replay = replay_stats | replay_dump | replay_verify;
constexpr unsigned objects = objects_ls | objects_cat | objects_put;
constexpr unsigned with_data = replay | objects | demo;
} // namespace on

struct command_spec {
  std::string_view name;  ///< `replay dump`: a group word and a verb, or one word
  unsigned bit;           ///< its `on::` bit
  std::string_view usage; ///< the synopsis after `fp `
  std::size_t min_operands;
  std::size_t max_operands;
  std::string_view summary; ///< one line for the command list
  std::string_view details; ///< paragraphs for `--help`
  command_fn fn;
};

struct option_spec {
  std::string_view name;  ///< `--data`
  std::string_view value; ///< placeholder (`DIR`); empty for a flag
  value_kind kind;
  unsigned accepted_by; ///< `on::` bits
  unsigned required_by; ///< `on::` bits
  std::string_view help;
};

std::span<const command_spec> commands();
std::span<const option_spec> options();

/// The group words (`replay`, `objects`) that take a verb.
bool is_group(std::string_view word);

void print_main_help(std::FILE* out);
void print_group_help(std::FILE* out, std::string_view group);
void print_command_help(std::FILE* out, const command_spec& c);

} // namespace fp::tools::cli
