// `fp devbroker`: hosts librdkafka's mock cluster until SIGTERM/SIGINT.

#include "tools/fp/devbroker.hpp"

#include "bus/kafka/mock_cluster.hpp"
#include "cluster/profile.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <pthread.h>
#include <signal.h>
#include <string>
#include <system_error>
#include <vector>

namespace fp::tools {

namespace {

constexpr const char* warning =
    "fp devbroker: WARNING: this is a TEST broker (librdkafka's mock cluster): it keeps only\n"
    "fp devbroker: WARNING: 5 MiB per partition, silently drops older records, and keeps\n"
    "fp devbroker: WARNING: nothing when it stops. Do not use it for data that matters.\n"
    "fp devbroker: WARNING: It also creates any topic a client asks for (4 partitions), so a\n"
    "fp devbroker: WARNING: mistyped topic name is not refused as a real cluster would.\n";

const char* plural(long n, const char* one, const char* many) {
  return n == 1 ? one : many;
}

/// The first line of `path`, or "" when it cannot be read.
std::string first_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// Writes `text` to `path` through a temporary file and a rename, so a reader never sees a
/// partial address.
bool write_atomically(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
    if (!out.flush())
      return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

} // namespace

exit_code devbroker(const args& a) {
  auto brokers = a.number("--brokers", 3);
  if (brokers < 1 || brokers > 16)
    return fail(a, exit_code::usage, "--brokers: must be 1..16, got " + std::to_string(brokers));
  std::vector<bus::topic_spec> topics;
  if (a.has("--topics-from")) {
    auto p = cluster::load_profile(a.text("--topics-from"));
    if (!p)
      return fail(a, exit_code::failed, p.error().message());
    topics = p->policy.bus.topics;
  }
  std::filesystem::path file = a.text("--bootstrap-file", "devbroker.bootstrap");

  // Signals are taken by sigwait on this thread; every thread started after this (the mock
  // brokers') inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::fputs(warning, stderr);
  auto mock = bus::mock_cluster::start(static_cast<int>(brokers));
  if (!mock)
    return fail(a, exit_code::failed, mock.error().message());
  if ((*mock)->nodelay_brokers() != (*mock)->brokers())
    std::fprintf(stderr,
                 "fp devbroker: WARNING: TCP_NODELAY is set on %d of %d brokers; the others may "
                 "hold a response up to 40 ms (Nagle's algorithm)\n",
                 (*mock)->nodelay_brokers(), (*mock)->brokers());
  for (auto& t : topics) {
    if (auto ok = (*mock)->create_topic(t); !ok)
      return fail(a, exit_code::failed, ok.error().message());
    std::fprintf(stderr, "fp devbroker: topic %s: %d %s\n", t.name.c_str(), t.partitions,
                 plural(t.partitions, "partition", "partitions"));
  }
  const auto& bootstrap = (*mock)->bootstrap();
  if (auto other = first_line(file); !other.empty())
    std::fprintf(stderr,
                 "fp devbroker: WARNING: %s named another broker (%s); it now names this one\n",
                 file.c_str(), other.c_str());
  if (!write_atomically(file, bootstrap))
    return fail(a, exit_code::failed,
                "--bootstrap-file " + file.string() + ": cannot write: " + std::strerror(errno));
  std::fprintf(stderr, "fp devbroker: %d %s; bootstrap written to %s; SIGTERM or Ctrl-C stops\n",
               (*mock)->brokers(), plural((*mock)->brokers(), "broker", "brokers"), file.c_str());
  std::printf("%s\n", bootstrap.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  // Only this broker's address: another broker started later on the same file keeps its own.
  if (first_line(file) == bootstrap) {
    std::error_code ec;
    std::filesystem::remove(file, ec);
  }
  mock->reset();
  std::fprintf(stderr, "fp devbroker: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  return exit_code::ok;
}

} // namespace fp::tools
