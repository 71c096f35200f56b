#include "tools/fp/cli.hpp"

#include "tools/fp/cli_table.hpp"

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

namespace fp::tools {

std::string args::text(std::string_view option, std::string fallback) const {
  auto it = values_.find(std::string(option));
  return it == values_.end() ? fallback : it->second;
}

std::uint64_t args::number(std::string_view option, std::uint64_t fallback) const {
  auto it = values_.find(std::string(option));
  if (it == values_.end())
    return fallback;
  std::uint64_t n = 0;
  std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
  return n;
}

namespace {

char fault_message[1024]; // written before the handlers go in, read only by them

extern "C" void on_read_fault(int) {
  // Only async-signal-safe calls here.
  auto n = ::strnlen(fault_message, sizeof fault_message);
  (void)!::write(STDERR_FILENO, fault_message, n);
  ::_exit(1);
}

} // namespace

void faults_mean_damage(const args& a, const std::string& data_dir) {
  std::snprintf(fault_message, sizeof fault_message,
                "fp %s: the journal under %s is damaged: reading it faulted (a page LMDB "
                "trusts is broken or missing); nothing was changed\n",
                a.command.c_str(), data_dir.c_str());
  struct sigaction sa {};
  sa.sa_handler = on_read_fault;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGSEGV, &sa, nullptr);
  ::sigaction(SIGBUS, &sa, nullptr);
}

exit_code fail(const args& a, exit_code code, std::string_view message) {
  std::fprintf(stderr, "fp %s: %.*s\n", a.command.c_str(), static_cast<int>(message.size()),
               message.data());
  return code;
}

namespace {

using cli::command_spec;
using cli::option_spec;

int usage_error(std::string_view prefix, const std::string& message, std::string_view help_for) {
  std::fprintf(stderr, "%.*s: %s; run 'fp %.*s--help'\n", static_cast<int>(prefix.size()),
               prefix.data(), message.c_str(), static_cast<int>(help_for.size()), help_for.data());
  return static_cast<int>(exit_code::usage);
}

const command_spec* find_command(std::string_view name) {
  for (auto& c : cli::commands())
    if (c.name == name)
      return &c;
  return nullptr;
}

const option_spec* find_option(std::string_view name, unsigned command_bit) {
  for (auto& o : cli::options())
    if (o.name == name && (o.accepted_by & command_bit))
      return &o;
  return nullptr;
}

bool is_number(std::string_view s) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

bool wants_help(const std::vector<std::string>& words) {
  for (auto& w : words) {
    if (w == "--")
      return false;
    if (w == "-h" || w == "--help")
      return true;
  }
  return false;
}

/// Checks `words` (what follows the subcommand's name) against the option table.
int parse_and_run(const command_spec& c, const std::vector<std::string>& words) {
  auto prefix = "fp " + std::string(c.name);
  auto help_for = std::string(c.name) + " ";
  if (wants_help(words)) {
    cli::print_command_help(stdout, c);
    return 0;
  }
  args a;
  a.command = std::string(c.name);
  bool operands_only = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    if (operands_only || w.size() < 2 || w[0] != '-') {
      a.add_positional(w);
      continue;
    }
    if (w == "--") {
      operands_only = true;
      continue;
    }
    auto eq = w.find('=');
    auto name = w.substr(0, eq);
    auto* o = find_option(name, c.bit);
    if (o == nullptr)
      return usage_error(prefix, "unknown option \"" + name + "\"", help_for);
    if (a.has(name))
      return usage_error(prefix, "option " + name + " given twice", help_for);
    if (o->kind == cli::value_kind::flag) {
      if (eq != std::string::npos)
        return usage_error(prefix, "option " + name + " takes no value", help_for);
      a.set(name, "");
      continue;
    }
    std::string value;
    if (eq != std::string::npos) {
      value = w.substr(eq + 1);
    } else if (i + 1 < words.size()) {
      value = words[++i];
    } else {
      return usage_error(
          prefix, "option " + name + " needs a value (" + std::string(o->value) + ")", help_for);
    }
    if (o->kind == cli::value_kind::number && !is_number(value))
      return usage_error(
          prefix, "option " + name + ": expected a non-negative integer, got \"" + value + "\"",
          help_for);
    a.set(name, std::move(value));
  }
  for (auto& o : cli::options())
    if ((o.required_by & c.bit) && !a.has(o.name))
      return usage_error(prefix,
                         "option " + std::string(o.name) + " " + std::string(o.value) +
                             " is required (" + std::string(o.help) + ")",
                         help_for);
  auto n = a.positionals().size();
  if (n < c.min_operands || n > c.max_operands)
    return usage_error(prefix,
                       n < c.min_operands ? "missing operand; usage: fp " + std::string(c.usage)
                                          : "unexpected operand \"" + a.positionals().back() + "\"",
                       help_for);
  return static_cast<int>(c.fn(a));
}

} // namespace

int run(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) {
    cli::print_main_help(stderr);
    return static_cast<int>(exit_code::usage);
  }
  const auto& first = words[0];
  if (first == "-h" || first == "--help" || (first == "help" && words.size() == 1)) {
    cli::print_main_help(stdout);
    return 0;
  }
  if (first == "--version")
    words[0] = "version";
  if (first == "help") { // `fp help replay dump` is `fp replay dump --help`
    words.erase(words.begin());
    words.push_back("--help");
  }
  if (cli::is_group(words[0])) {
    auto group = words[0];
    if (words.size() < 2 || words[1] == "-h" || words[1] == "--help") {
      cli::print_group_help(words.size() < 2 ? stderr : stdout, group);
      return words.size() < 2 ? static_cast<int>(exit_code::usage) : 0;
    }
    auto* c = find_command(group + " " + words[1]);
    if (c == nullptr)
      return usage_error("fp " + group, "unknown subcommand \"" + words[1] + "\"", group + " ");
    return parse_and_run(*c, {words.begin() + 2, words.end()});
  }
  auto* c = find_command(words[0]);
  if (c == nullptr)
    return usage_error(
        "fp",
        (words[0][0] == '-' ? "unknown option \"" : "unknown subcommand \"") + words[0] + "\"", "");
  return parse_and_run(*c, {words.begin() + 1, words.end()});
}

} // namespace fp::tools
