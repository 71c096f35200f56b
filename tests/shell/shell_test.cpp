// `fp shell`'s commands against a canned admin API served in-process: parsing, dispatch,
// rendering, errors, completion, and the `fp shell -c` exit codes.

#include "tests/shell/canned_api.hpp"
#include "tools/fp/cli.hpp"
#include "tools/fp/shell_commands.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <initializer_list>
#include <thread>

using namespace fp::tools::sh;
using fp::tests::shell::canned_api;
using fp::tests::shell::canned_options;

namespace {

class running_api {
public:
  explicit running_api(canned_options opts = {})
      : api(std::move(opts)) {
    api.install(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~running_api() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  canned_api api;

private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

/// A port nothing listens on: bound once by the kernel's choice, then closed.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string text_of(session& s, std::string_view line) {
  auto r = execute(s, line);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
  return r->text;
}

fp::error error_of(session& s, std::string_view line) {
  auto r = execute(s, line);
  REQUIRE(!r.has_value());
  return r.error();
}

int fp_run(std::initializer_list<std::string> words) {
  std::vector<std::string> storage{"fp"};
  storage.insert(storage.end(), words);
  std::vector<char*> argv;
  for (auto& s : storage)
    argv.push_back(s.data());
  return fp::tools::run(static_cast<int>(argv.size()), argv.data());
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("tokenize splits on blanks and honours quotes and backslashes") {
  CHECK(*tokenize("  ls   counter  ") == std::vector<std::string>{"ls", "counter"});
  CHECK(*tokenize("show counter 'a b'") == std::vector<std::string>{"show", "counter", "a b"});
  CHECK(*tokenize(R"(show counter "x\"y")") == std::vector<std::string>{"show", "counter", "x\"y"});
  CHECK(*tokenize(R"(show counter a\ b)") == std::vector<std::string>{"show", "counter", "a b"});
  CHECK(*tokenize("show counter ''") == std::vector<std::string>{"show", "counter", ""});
  CHECK(tokenize("").value().empty());
  CHECK(tokenize("show 'open").error() == errc::usage);
}

TEST_CASE("parse checks commands, operands and options against the tables") {
  auto in = parse({"ls", "counter", "--state", "live", "--limit=2"});
  REQUIRE(in);
  CHECK(in->command->name == "ls");
  CHECK(in->operands == std::vector<std::string>{"counter"});
  CHECK(in->option("--state") == "live");
  CHECK(in->option("--limit") == "2");
  CHECK(in->option("--after", "none") == "none");

  CHECK(parse({"frobnicate"}).error() == errc::unknown_command);
  CHECK(parse({"ls"}).error() == errc::usage);                           // TYPE missing
  CHECK(parse({"show", "counter"}).error() == errc::usage);              // KEY missing
  CHECK(parse({"show", "counter", "a", "b"}).error() == errc::usage);    // one too many
  CHECK(parse({"ls", "counter", "--from", "1"}).error() == errc::usage); // journal's option
  CHECK(parse({"ls", "counter", "--limit", "ten"}).error() == errc::usage);
  CHECK(parse({"ls", "counter", "--limit"}).error() == errc::usage);
  CHECK(parse({"ls", "counter", "--limit", "1", "--limit", "2"}).error() == errc::usage);
  // The ranges the node's admin API accepts are checked before any request goes out.
  CHECK(contains(parse({"journal", "counter/a", "--from", "0"}).error().message(),
                 "option --from: expected at least 1, got 0"));
  CHECK(contains(parse({"ls", "counter", "--limit", "0"}).error().message(),
                 "option --limit: expected 1..1000, got 0"));
  CHECK(parse({"ls", "counter", "--limit", "1001"}).error() == errc::usage);
  CHECK(parse({"journal", "counter/a", "--from", "1", "--limit", "1000"}));
  CHECK(contains(parse({"ls"}).error().message(), "usage: ls TYPE"));
  CHECK(parse({"exit"})->command->bit == on::quit);
}

TEST_CASE("-c mode prints the API's body as compact JSON") {
  running_api node;
  admin_client client(node.url(), "");
  session s{client, output::json};
  CHECK(
      text_of(s, "planes") ==
      R"({"planes":[{"name":"testkit","entity_types":[{"type":"account","counts":{"recovering":0,"live":1,"passivated":0,"quarantined":0}},{"type":"counter","counts":{"recovering":0,"live":3,"passivated":1,"quarantined":0}}]}]})"
      "\n");
  auto shown = json::parse(text_of(s, "show counter alpha"));
  CHECK(shown["persistence_id"] == "counter/alpha");
  CHECK(shown["state"]["value"] == 3);
  auto page = json::parse(text_of(s, "ls counter --state live --limit 2"));
  CHECK(page["entities"].size() == 2);
  CHECK(page["next_after"] == "beta");
  CHECK(node.api.targets().back() == "/admin/entities/counter?state=live&limit=2");
  auto events = json::parse(text_of(s, "journal counter/alpha --from 2"));
  CHECK(events["events"].size() == 2);
  CHECK(node.api.targets().back() == "/admin/journal/counter%2Falpha?from=2");
  CHECK(text_of(s, "") == "");
}

TEST_CASE("interactive mode renders tables and pretty JSON") {
  running_api node;
  admin_client client(node.url(), "");
  session s{client, output::human};
  CHECK(text_of(s, "planes") == "PLANE    TYPE     RECOVERING  LIVE  PASSIVATED  QUARANTINED\n"
                                "testkit  account  0           1     0           0\n"
                                "testkit  counter  0           3     1           0\n");
  CHECK(text_of(s, "ls counter --limit 3") ==
        "counter: recovering 0, live 3, passivated 1, quarantined 0\n"
        "KEY    STATUS\n"
        "alpha  live\n"
        "beta   live\n"
        "bravo  passivated\n"
        "(more: ls counter --after bravo --limit 3)\n");
  CHECK(
      contains(text_of(s, "ls counter --state quarantined"), "(no entities in state quarantined)"));
  CHECK(contains(text_of(s, "show counter bravo"), "\n  \"status\": \"passivated\",\n"));
  auto journal = text_of(s, "journal counter/beta");
  CHECK(contains(journal, "SEQ  GLOBAL  EVENT_TYPE"));
  CHECK(contains(journal, "counter.incremented"));
  CHECK(contains(journal, R"({"by":1,"key":"beta"})"));
  CHECK(contains(text_of(s, "help"), "  journal ID [--from N] [--limit N]"));
  CHECK(contains(text_of(s, "help ls"), "--state S"));
}

TEST_CASE("metrics filters by name prefix, with each metric's HELP and TYPE lines") {
  running_api node;
  admin_client client(node.url(), "");
  session s{client, output::human};
  CHECK(text_of(s, "metrics fp_journal") == "# HELP fp_journal_appends_total Events appended.\n"
                                            "# TYPE fp_journal_appends_total counter\n"
                                            "fp_journal_appends_total 14\n");
  CHECK(contains(text_of(s, "metrics"), "process_open_fds 12\n"));
  CHECK(text_of(s, "metrics nope") == "(no metric starts with \"nope\")\n");
}

TEST_CASE("health: RED output is printed but marks the reply failed") {
  running_api node;
  admin_client client(node.url(), "");
  session s{client, output::human};
  auto green = execute(s, "health");
  CHECK(green->text == "GREEN\n");
  CHECK(!green->failed);
  node.api.set_health("RED");
  auto red = execute(s, "health");
  REQUIRE(red);
  CHECK(red->text == "RED\n  - journal: disk 95% full\n");
  CHECK(red->failed);
}

TEST_CASE("API errors, unknown commands and an unreachable node are one-line errors") {
  running_api node;
  admin_client client(node.url(), "");
  session s{client, output::human};
  auto absent = error_of(s, "show counter zz");
  CHECK(absent == errc::api_error);
  CHECK(absent.message() == "GET /admin/entities/counter/zz: 404 not_found: no entity counter/zz");
  CHECK(error_of(s, "ls nosuchtype") == errc::api_error);
  CHECK(error_of(s, "ls counter --state sleeping") == errc::usage);
  CHECK(error_of(s, "bogus") == errc::unknown_command);
  CHECK(error_of(s, "help bogus") == errc::unknown_command);

  auto url = "http://127.0.0.1:" + std::to_string(closed_port());
  admin_client down(url, "");
  session d{down, output::human};
  auto unreachable = error_of(d, "planes");
  CHECK(unreachable == errc::unreachable);
  CHECK(unreachable.message() ==
        "node " + url + " unreachable (cannot connect: refused, or the host does not resolve)");
  CHECK(execute(d, "help")); // needs no node
  CHECK(execute(d, "quit")->quit);
}

TEST_CASE("the bearer token is sent when given") {
  running_api node(canned_options{"s3cret"});
  admin_client without(node.url(), "");
  session s{without, output::json};
  CHECK(contains(error_of(s, "planes").message(), "401 unauthorized"));
  admin_client with(node.url(), "s3cret");
  session t{with, output::json};
  CHECK(execute(t, "planes"));
}

TEST_CASE("completion offers commands, types, keys, options, states and metric names") {
  running_api node;
  admin_client client(node.url(), "");
  session s{client, output::human};
  using v = std::vector<std::string>;
  CHECK(complete(s, "sh") == v{"show"});
  CHECK(complete(s, "he") == v{"health", "help"});
  CHECK(complete(s, "").size() == command_table.size());
  CHECK(complete(s, "ls ") == v{"account", "counter"});
  CHECK(complete(s, "show co") == v{"counter"});
  CHECK(complete(s, "show counter b") == v{"beta", "bravo"});
  CHECK(complete(s, "show counter alpha ").empty());
  CHECK(complete(s, "journal c") == v{"counter/"});
  CHECK(complete(s, "journal counter/g") == v{"counter/gamma"});
  CHECK(complete(s, "ls counter --") == v{"--after", "--limit", "--state"});
  CHECK(complete(s, "ls counter --state p") == v{"passivated"});
  CHECK(complete(s, "ls --state live c") == v{"counter"});
  CHECK(complete(s, "metrics fp_e") == v{"fp_entities"});
  CHECK(complete(s, "help q") == v{"quit"});
  CHECK(complete(s, "bogus ").empty());

  admin_client down("http://127.0.0.1:" + std::to_string(closed_port()), "");
  session d{down, output::human};
  CHECK(complete(d, "show ").empty());
  CHECK(complete(d, "pl") == v{"planes"});
}

TEST_CASE("fp shell -c exit codes: 0 ok, 1 failure, 2 usage") {
  running_api node;
  CHECK(fp_run({"shell", "--node", node.url(), "-c", "show counter alpha"}) == 0);
  CHECK(fp_run({"shell", "--node", node.url(), "-c", "show counter zz"}) == 1);
  CHECK(fp_run({"shell", "--node", node.url(), "-c", "bogus"}) == 1);
  CHECK(fp_run({"shell", "--node", node.url(), "-c", "ls"}) == 1);
  CHECK(fp_run({"shell", "--node", "http://127.0.0.1:" + std::to_string(closed_port()), "-c",
                "planes"}) == 1);
  CHECK(fp_run({"shell", "-c", "planes"}) == 2);                                      // no node
  CHECK(fp_run({"shell", "--node", node.url(), "--data", "d", "-c", "planes"}) == 2); // two
  CHECK(fp_run({"shell", "--node", node.url(), "-c", " "}) == 2);
  CHECK(fp_run({"shell", "--node", node.url(), "--bogus"}) == 2);
  CHECK(fp_run({"shell", "--data", "/nonexistent/fp-shell-test", "-c", "planes"}) == 1);
  CHECK(fp_run({"shell", "--help"}) == 0);
  node.api.set_health("RED");
  CHECK(fp_run({"shell", "--node", node.url(), "-c", "health"}) == 1);
}
