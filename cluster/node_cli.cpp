// fpnode's command line: one option table, the parser and the help generated from it.

#include "cluster/node.hpp"

#include <array>
#include <cstdio>
#include <string>
#include <string_view>

namespace fp::cluster {

namespace {

struct option_spec {
  std::string_view name;
  std::string_view value; ///< placeholder; empty for a flag
  std::string_view help;
};

constexpr std::array option_table{
    option_spec{"--profile", "PATH",
                "the node profile, e.g. config/profiles/local_parity.yaml (required)"},
    option_spec{"--data", "DIR",
                "the node data dir, overriding the profile's wiring.data_dir; the journal "
                "is DIR/journal, the bound ports go to DIR/fpnode.ports.json"},
    option_spec{"--help", "", "show this help (also -h)"},
};

void print_help(std::FILE* out) {
  std::fputs("Usage: fpnode --profile PATH [--data DIR]\n\n"
             "The fraud-platform cluster node. It reads the profile (wiring: endpoints, ports,\n"
             "data dir, secret locations; policy: planes, journal, entities, HTTP caps; any\n"
             "unknown or mistyped key stops it), opens the journal, starts the entity runtime\n"
             "and the profile's planes, and serves two HTTP servers: the read-only admin API\n"
             "(/healthz, /metrics, /admin/...) and the planes' ingress routes. A port of 0\n"
             "picks a free one; DIR/fpnode.ports.json holds {\"admin\",\"ingress\",\"pid\"}.\n"
             "On SIGTERM or SIGINT it stops taking requests, lets commands in flight persist,\n"
             "closes the journal and exits 0.\n\nOptions:\n",
             out);
  for (auto& o : option_table) {
    auto left = std::string(o.name) + (o.value.empty() ? "" : " " + std::string(o.value));
    std::fprintf(out, "  %-16s %.*s\n", left.c_str(), static_cast<int>(o.help.size()),
                 o.help.data());
  }
  std::fputs("\nExit codes:\n  0  stopped cleanly by SIGTERM/SIGINT (or --help)\n"
             "  1  could not start: bad profile, missing admin token, unknown plane, journal\n"
             "     not openable, port not bindable (the reason is on stderr)\n"
             "  2  usage error: unknown option, missing value, --profile absent\n",
             out);
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "fpnode: %s; run 'fpnode --help'\n", message.c_str());
  return 2;
}

} // namespace

int fpnode_main(int argc, char** argv) {
  node_options opts;
  bool have_profile = false;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "-h" || word == "--help") {
      print_help(stdout);
      return 0;
    }
    auto eq = word.find('=');
    auto name = word.substr(0, eq);
    const option_spec* o = nullptr;
    for (auto& spec : option_table)
      if (spec.name == name)
        o = &spec;
    if (o == nullptr)
      return usage_error(word.rfind('-', 0) == 0 ? "unknown option \"" + name + "\""
                                                 : "unexpected argument \"" + word + "\"");
    std::string value;
    if (eq != std::string::npos)
      value = word.substr(eq + 1);
    else if (i + 1 < argc)
      value = argv[++i];
    else
      return usage_error("option " + name + " needs a value (" + std::string(o->value) + ")");
    if (name == "--profile") {
      opts.profile = value;
      have_profile = true;
    } else {
      opts.data_dir = value;
    }
  }
  if (!have_profile)
    return usage_error("option --profile PATH is required");
  return run_node(opts);
}

} // namespace fp::cluster
