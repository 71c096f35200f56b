#include "tests/bench/pg_peer.hpp"
#include "tests/bench/sliced_workers.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#if FP_HAVE_LIBPQ
#include <libpq-fe.h>
#endif

namespace fp::bench {

namespace {

namespace fs = std::filesystem;

std::string sh_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += "'";
  return out;
}

/// Runs `cmd` through /bin/sh; returns its exit status (-1 when it did not exit normally).
int run_shell(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  if (st == -1 || !WIFEXITED(st))
    return -1;
  return WEXITSTATUS(st);
}

std::string file_tail(const fs::path& p, std::size_t max_bytes = 600) {
  std::ifstream in{p, std::ios::binary};
  if (!in)
    return "(no " + p.filename().string() + ")";
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  if (s.size() > max_bytes)
    s = s.substr(s.size() - max_bytes);
  for (auto& c : s)
    if (c == '\n')
      c = ' ';
  return s;
}

error fail(std::string msg) {
  return error{errc::failed, "postgres peer: " + std::move(msg)};
}

/// The servers that are up (their `pg_ctl stop` command and socket dir), for pg_stop_all().
struct running_server {
  std::string stop_cmd;
  fs::path sock_dir;
};
std::mutex running_mu;
std::vector<running_server> running;

std::string stop_command(const std::string& run_as, const fs::path& bindir, const fs::path& data) {
  return "cd / && " + run_as + sh_quote((bindir / "pg_ctl").string()) + " -D " +
         sh_quote(data.string()) + " -m immediate -w -t 60 stop > /dev/null 2>&1";
}

} // namespace

void pg_stop_all() {
  std::lock_guard lock{running_mu};
  for (const auto& r : running) {
    (void)run_shell(r.stop_cmd);
    std::error_code ec;
    fs::remove_all(r.sock_dir, ec);
  }
  running.clear();
}

expected<std::unique_ptr<pg_server>> pg_server::start(const pg_options& opts) {
#if !FP_HAVE_LIBPQ
  return fail("built without libpq (install libpq-dev and reconfigure)");
#else
  std::unique_ptr<pg_server> s{new pg_server()};
  s->opts_ = opts;
  auto initdb = opts.bindir / "initdb";
  auto pg_ctl = opts.bindir / "pg_ctl";
  if (!fs::exists(initdb) || !fs::exists(pg_ctl))
    return fail(initdb.string() + " not found (Debian package postgresql-15)");

  std::error_code ec;
  fs::create_directories(opts.root, ec);
  if (ec)
    return fail("cannot create " + opts.root.string() + ": " + ec.message());
  // Unix socket paths are limited to ~107 bytes: keep the socket dir short, under /tmp.
  std::string sock_template = "/tmp/jbpg.XXXXXX";
  if (!::mkdtemp(sock_template.data()))
    return fail("mkdtemp /tmp/jbpg.XXXXXX failed");
  s->sock_dir_ = sock_template;

  if (::geteuid() == 0) {
    // initdb refuses to run as root: run the server tools as the postgres OS user.
    auto* pw = ::getpwnam("postgres");
    if (!pw)
      return fail("running as root but there is no `postgres` OS user");
    for (const auto& d : {opts.root, s->sock_dir_})
      if (::chown(d.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        return fail("cannot chown " + d.string() + " to postgres");
    s->run_as_ = "runuser -u postgres -- ";
  }

  auto data = opts.root / "data";
  auto initdb_log = opts.root / "initdb.log";
  auto server_log = opts.root / "server.log";
  // --no-sync only skips flushing initdb's own template files; the server runs with fsync=on.
  auto cmd = "cd / && " + s->run_as_ + sh_quote(initdb.string()) + " -D " +
             sh_quote(data.string()) + " -U postgres -A trust -E UTF8 --no-sync > " +
             sh_quote(initdb_log.string()) + " 2>&1";
  if (run_shell(cmd) != 0)
    return fail("initdb failed: " + file_tail(initdb_log));

  int port = 20000 + static_cast<int>(::getpid() % 20000);
  std::ostringstream o;
  o << "-k " << s->sock_dir_.string() << " -p " << port << " -c listen_addresses=''"
    << " -c max_connections=" << opts.max_connections
    << " -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    << " -c shared_buffers=" << opts.shared_buffers << " -c wal_buffers=" << opts.wal_buffers
    << " -c wal_level=minimal -c max_wal_senders=0"
    << " -c max_wal_size=8GB -c checkpoint_timeout=30min";
  cmd = "cd / && " + s->run_as_ + sh_quote(pg_ctl.string()) + " -D " + sh_quote(data.string()) +
        " -l " + sh_quote(server_log.string()) + " -w -t 60 -o " + sh_quote(o.str()) +
        " start > /dev/null 2>&1";
  s->started_ = true; // from here on, the destructor tries to stop it
  {
    std::lock_guard lock{running_mu};
    running.push_back(running_server{stop_command(s->run_as_, opts.bindir, data), s->sock_dir_});
  }
  if (run_shell(cmd) != 0)
    return fail("pg_ctl start failed: " + file_tail(server_log));
  s->port_ = port;
  s->conninfo_ = "host=" + s->sock_dir_.string() + " port=" + std::to_string(port) +
                 " user=postgres dbname=postgres";
  return s;
#endif
}

void pg_server::stop() {
  if (started_) {
    auto cmd = stop_command(run_as_, opts_.bindir, opts_.root / "data");
    (void)run_shell(cmd);
    std::lock_guard lock{running_mu};
    std::erase_if(running, [&](const running_server& r) { return r.stop_cmd == cmd; });
    started_ = false;
  }
  std::error_code ec;
  if (!opts_.root.empty())
    fs::remove_all(opts_.root, ec);
  if (!sock_dir_.empty())
    fs::remove_all(sock_dir_, ec);
}

pg_server::~pg_server() {
  stop();
}

#if FP_HAVE_LIBPQ

namespace {

struct conn_closer {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_closer>;

struct result_clearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_clearer>;

expected<conn_ptr> connect(const std::string& conninfo) {
  conn_ptr c{PQconnectdb(conninfo.c_str())};
  if (!c || PQstatus(c.get()) != CONNECTION_OK)
    return fail("connect: " + std::string(c ? PQerrorMessage(c.get()) : "out of memory"));
  // Keep NOTICEs ("relation already exists, skipping") off the benchmark's stderr.
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);
  return c;
}

std::string one_line(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

} // namespace

expected<void> pg_server::exec(const std::string& sql) const {
  auto c = connect(conninfo_);
  if (!c)
    return c.error();
  result_ptr r{PQexec(c->get(), sql.c_str())};
  auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return fail(sql + ": " + one_line(PQerrorMessage(c->get())));
  return {};
}

expected<std::string> pg_server::show(const std::string& name) const {
  auto c = connect(conninfo_);
  if (!c)
    return c.error();
  result_ptr r{PQexec(c->get(), ("SHOW " + name).c_str())};
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1)
    return fail("SHOW " + name + ": " + one_line(PQerrorMessage(c->get())));
  return std::string(PQgetvalue(r.get(), 0, 0));
}

expected<double> pg_server::pgbench(const std::string& script, int clients, int threads,
                                    int seconds) const {
  auto file = sock_dir_ / "bench.sql";
  auto out = sock_dir_ / "pgbench.out";
  {
    std::ofstream f{file, std::ios::trunc};
    f << script;
    if (!f.flush())
      return fail("cannot write " + file.string());
  }
  ::chmod(file.c_str(), 0644);
  auto cmd = "cd / && " + run_as_ + sh_quote((opts_.bindir / "pgbench").string()) + " -n -c " +
             std::to_string(clients) + " -j " + std::to_string(threads) + " -T " +
             std::to_string(seconds) + " -f " + sh_quote(file.string()) + " -h " +
             sh_quote(sock_dir_.string()) + " -p " + std::to_string(port_) +
             " -U postgres postgres > " + sh_quote(out.string()) + " 2>&1";
  if (run_shell(cmd) != 0)
    return fail("pgbench failed: " + file_tail(out));
  std::ifstream in{out};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "tps = 12345.678901 (without initial connection time)"
  auto at = text.find("tps = ");
  while (at != std::string::npos) {
    auto end = text.find('\n', at);
    auto line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.find("without initial connection time") != std::string::npos)
      return std::strtod(line.c_str() + 6, nullptr);
    at = text.find("tps = ", at + 1);
  }
  return fail("pgbench printed no tps line: " + file_tail(out));
}

struct pg_clients::impl {
  std::string payload;
  std::vector<conn_ptr> conns;
  std::vector<std::string> pids;
  std::vector<std::uint64_t> seqs;
  std::atomic<std::uint64_t> rows{0};
  std::mutex err_mu;
  std::optional<error> first_error;
  std::unique_ptr<sliced_workers> workers;

  bool insert_one(int i) {
    auto seq = std::to_string(seqs[i] + 1);
    const char* values[3] = {pids[i].c_str(), seq.c_str(), payload.data()};
    const int lengths[3] = {0, 0, static_cast<int>(payload.size())};
    const int formats[3] = {0, 0, 1}; // text, text, binary bytea
    result_ptr r{PQexecPrepared(conns[i].get(), "append", 3, values, lengths, formats, 0)};
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      std::lock_guard lock{err_mu};
      if (!first_error)
        first_error = fail("insert: " + one_line(PQerrorMessage(conns[i].get())));
      return false;
    }
    ++seqs[i];
    rows.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
};

pg_clients::pg_clients(std::unique_ptr<impl> p)
    : impl_(std::move(p)) {}

pg_clients::~pg_clients() {
  if (impl_)
    impl_->workers.reset(); // join the threads before closing their connections
}

expected<std::unique_ptr<pg_clients>> pg_clients::connect(const pg_server& server, int clients,
                                                          std::string payload) {
  for (const char* sql : {"CREATE TABLE IF NOT EXISTS events(persistence_id text, seq bigint, "
                          "payload bytea, primary key(persistence_id, seq))",
                          "TRUNCATE events", "CHECKPOINT"})
    if (auto r = server.exec(sql); !r)
      return r.error();
  auto p = std::make_unique<impl>();
  p->payload = std::move(payload);
  for (int i = 0; i < clients; ++i) {
    auto c = fp::bench::connect(server.conninfo());
    if (!c)
      return c.error();
    result_ptr r{PQprepare(c->get(), "append",
                           "INSERT INTO events(persistence_id, seq, payload) VALUES ($1, $2, $3)",
                           3, nullptr)};
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      return fail("prepare: " + one_line(PQerrorMessage(c->get())));
    p->conns.push_back(std::move(*c));
    p->pids.push_back("pg-c" + std::to_string(clients) + "-" + std::to_string(i));
    p->seqs.push_back(0);
  }
  auto* raw = p.get();
  p->workers =
      std::make_unique<sliced_workers>(clients, [raw](int i) { return raw->insert_one(i); });
  return std::unique_ptr<pg_clients>{new pg_clients(std::move(p))};
}

expected<pg_clients::slice> pg_clients::run_slice(double seconds) {
  auto before = impl_->rows.load();
  slice s;
  s.seconds = impl_->workers->run_slice(seconds);
  s.rows = impl_->rows.load() - before;
  std::lock_guard lock{impl_->err_mu};
  if (impl_->first_error)
    return *impl_->first_error;
  return s;
}

#else

expected<void> pg_server::exec(const std::string&) const {
  return fail("built without libpq");
}
expected<std::string> pg_server::show(const std::string&) const {
  return fail("built without libpq");
}
expected<double> pg_server::pgbench(const std::string&, int, int, int) const {
  return fail("built without libpq");
}

struct pg_clients::impl {};
pg_clients::pg_clients(std::unique_ptr<impl> p)
    : impl_(std::move(p)) {}
pg_clients::~pg_clients() = default;
expected<std::unique_ptr<pg_clients>> pg_clients::connect(const pg_server&, int, std::string) {
  return fail("built without libpq");
}
expected<pg_clients::slice> pg_clients::run_slice(double) {
  return fail("built without libpq");
}

#endif

} // namespace fp::bench
