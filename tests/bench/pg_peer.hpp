#pragma once

// A throw-away PostgreSQL 15 server for benchmarks: initdb into a temp dir, start it as the
// `postgres` OS user (when run as root) listening on a private unix socket only, and stop and
// delete it again. Durability settings stay at PostgreSQL's safe defaults (fsync=on,
// synchronous_commit=on, full_page_writes=on); only sizing knobs are raised.

#include "schemas/error.hpp"
#include "schemas/expected.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace fp::bench {

/// Errors of the benchmark helpers themselves (a peer that cannot start, a failed query).
enum class errc {
  failed = 1, ///< a setup step or a query failed; the message says which
};

inline std::string to_string(errc code) {
  switch (code) {
  case errc::failed:
    return "failed";
  }
  return "unknown";
}

} // namespace fp::bench

template <>
struct fp::error_domain<fp::bench::errc> {
  static constexpr const char* name = "bench";
};

namespace fp::bench {

struct pg_options {
  std::filesystem::path root; ///< created; holds the cluster and its logs; removed on stop
  std::filesystem::path bindir = "/usr/lib/postgresql/15/bin";
  int max_connections = 300;
  std::string shared_buffers = "256MB";
  std::string wal_buffers = "16MB";
};

class pg_server {
public:
  /// initdb + pg_ctl start; fails with the tail of the server log when it does not come up.
  static expected<std::unique_ptr<pg_server>> start(const pg_options& opts);

  /// Stops the server (immediate mode: the cluster is deleted anyway) and removes its files.
  ~pg_server();

  pg_server(const pg_server&) = delete;
  pg_server& operator=(const pg_server&) = delete;

  /// libpq connection string for the unix socket.
  const std::string& conninfo() const { return conninfo_; }

  /// Runs one SQL command on a fresh connection.
  expected<void> exec(const std::string& sql) const;

  /// The server's `SHOW name`.
  expected<std::string> show(const std::string& name) const;

  /// Runs Debian's `pgbench` (from `bindir`) against the server: `-n -c clients -j threads -T
  /// seconds -f script` (the script text is written to a file the server's user can read), and
  /// returns its `tps` (excluding the initial connection time). Errors carry pgbench's output.
  expected<double> pgbench(const std::string& script, int clients, int threads, int seconds) const;

private:
  pg_server() = default;
  void stop();

  pg_options opts_;
  std::filesystem::path sock_dir_;
  std::string run_as_; ///< command prefix that runs a tool as the postgres user
  std::string conninfo_;
  int port_ = 0;
  bool started_ = false;
};

/// Stops every server started by this process that is still running (for an interrupted run;
/// safe to call from any thread, not from a signal handler).
void pg_stop_all();

/// `clients` connections, each inserting into `events(persistence_id text, seq bigint, payload
/// bytea, primary key(persistence_id, seq))` on its own persistence id, one row per autocommit
/// transaction through a prepared statement, in time slices (see sliced_workers).
class pg_clients {
public:
  /// Creates (or empties) the table, checkpoints, and connects and prepares every client.
  static expected<std::unique_ptr<pg_clients>> connect(const pg_server& server, int clients,
                                                       std::string payload);
  ~pg_clients();

  struct slice {
    std::uint64_t rows = 0;
    double seconds = 0;
  };
  /// All clients insert for `seconds`; returns the rows committed and the wall time.
  expected<slice> run_slice(double seconds);

  struct impl;

private:
  explicit pg_clients(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace fp::bench
