#include "cluster/node.hpp"

#include "cluster/data_dir.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <pthread.h>

namespace fp::cluster {

namespace {

int refuse(const std::string& message) {
  std::fprintf(stderr, "fpnode: %s\n", message.c_str());
  return 1;
}

} // namespace

int run_node(const node_options& opts) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(opts.profile, ec))
    return refuse("profile " + opts.profile.string() + " does not exist or is not a file");
  if (!std::ifstream(opts.profile))
    return refuse("profile " + opts.profile.string() + " is not readable");
  // Block the stop signals before any thread starts, so that every thread inherits the mask
  // and only sigwait below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto j = open_journal(opts.data_dir, false, "fpnode");
  if (!j) return refuse("cannot open the journal: " + j.error().message());
  auto events = (*j)->stats().next_global_seq - 1;
  std::printf("fpnode: journal open at %s (%llu events); no planes configured yet\n",
              journal_dir(opts.data_dir).c_str(), static_cast<unsigned long long>(events));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  j->reset(); // finishes queued writes and closes the environment
  std::printf("fpnode: %s received; journal closed\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  std::fflush(stdout);
  return 0;
}

} // namespace fp::cluster
