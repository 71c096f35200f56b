// fp_shell_canned_node: serves the canned admin API on 127.0.0.1 (port 0 unless --port) and
// writes DIR/fpnode.ports.json like fpnode does, for the shell's script and tmux tests.
// Runs until SIGTERM or SIGINT.
//
// Usage: fp_shell_canned_node --data DIR [--port P] [--token T] [--health GREEN|AMBER|RED]

#include "tests/shell/canned_api.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  std::string data_dir;
  int port = 0;
  fp::tests::shell::canned_options opts;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    std::string value = argv[i + 1];
    if (name == "--data")
      data_dir = value;
    else if (name == "--port")
      port = std::stoi(value);
    else if (name == "--token")
      opts.token = value;
    else if (name == "--health")
      opts.health = value;
    else {
      std::fprintf(stderr, "fp_shell_canned_node: unknown option %s\n", name.c_str());
      return 2;
    }
  }
  if (data_dir.empty()) {
    std::fprintf(stderr, "fp_shell_canned_node: --data DIR is required\n");
    return 2;
  }

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr); // every thread inherits the mask

  fp::tests::shell::canned_api api{opts};
  httplib::Server server;
  server.set_tcp_nodelay(true);
  api.install(server);
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port <= 0) {
    std::fprintf(stderr, "fp_shell_canned_node: cannot bind 127.0.0.1\n");
    return 1;
  }
  {
    auto tmp = data_dir + "/fpnode.ports.json.tmp";
    std::ofstream out(tmp);
    out << "{\"admin\":" << port << ",\"ingress\":0,\"pid\":" << getpid() << "}\n";
    out.close();
    std::rename(tmp.c_str(), (data_dir + "/fpnode.ports.json").c_str());
  }
  std::thread serving([&] { server.listen_after_bind(); });
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.stop();
  serving.join();
  return 0;
}
