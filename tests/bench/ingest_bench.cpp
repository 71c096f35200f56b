// ingest_bench: the Ingestion Gate over HTTP against its raw baselines (DESIGN.md §9).
//
// Prints one JSON object per line on stdout; progress goes to stderr. The node under test is
// a real `fpnode` process (planes sr + ig, embedded bus, durable journal, receipts in the
// object store) on a scratch data dir; a small sealed world gives real events (`fp world`
// rows wrapped in envelopes with the run's pins, the same as WSP sends), each sent once, so
// every one is a fresh admission: validated, journaled on its AdmissionTuple, published to
// the bus and given an ADMIT receipt before the answer leaves.
//
//   admit_single_eps   POST /v1/ingest admissions/s, 16 keep-alive connections (closed loop),
//                      vs a raw cpp-httplib echo server (tcp_nodelay, a thread per
//                      connection) answering the same bodies with themselves, requests/s;
//                      interleaved in slices. Target ratio >= 0.3.
//   admit_batch_eps    POST /v1/ingest/batch with 100 events a request, admissions/s, vs the
//                      echo server's requests/s for the same 100-event bodies. Target >= 2.0.
//   admit_single_vs_pg / admit_batch_vs_pg
//                      the same admissions/s vs PostgreSQL 15 (the seeds' v0 admission DB)
//                      driven by pgbench at 16 clients, synchronous_commit=on, doing the same
//                      dedupe (INSERT ... ON CONFLICT DO NOTHING + payload_hash compare): one
//                      row a transaction, and 100 rows a transaction; rows/s. Target >= 1.0.
//   admit_latency_ms   single-event admissions at half the measured maximum rate (16
//                      connections, each on a fixed schedule; latency from the scheduled send
//                      time, so a stall is not hidden): p50 and p99.
// Scratch data goes to a temp dir under --dir, $TMPDIR or /tmp (must be a real disk).
//
// Usage: ingest_bench [--quick] [--dir DIR] [--seconds S] [--slices N] [--flows F]
//                     [--only single|batch|pg|latency]

#include "actors/ingress/world/stream.hpp"
#include "actors/ingress/world/world.hpp"
#include "schemas/canonical_json.hpp"
#include "schemas/envelope.hpp"
#include "tests/bench/bench_common.hpp"
#include "tests/bench/pg_peer.hpp"
#include "tests/bench/sliced_workers.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <sstream>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#ifndef FP_FPNODE_PATH
#error "FP_FPNODE_PATH must name the fpnode binary"
#endif
#ifndef FP_SOURCE_DIR
#error "FP_SOURCE_DIR must name the source tree"
#endif

extern const char fp::bench::bench_name[] = "ingest";

namespace {

namespace fs = std::filesystem;
using namespace fp::bench;

constexpr int connections = 16;
constexpr int batch_items = 100;
constexpr const char* api_key = "ingest-bench-key-0123456789abcdef";
constexpr const char* platform_run = "platform_20260101T000000Z";

struct config {
  bool quick = false;
  fs::path dir;
  double seconds = 12;
  int slices = 4;
  /// About 4 distinct events a flow. Every admission takes a new one, and a run that spends
  /// them stops its measurement early (`pool_spent`): 730k events, a quarter of them kept for
  /// the latency run, leave room for 12 s of single events at 10k/s and 12 s of batches at
  /// over 30k admissions/s.
  std::uint64_t flows = 180'000;
  std::string only;
};

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

std::string read_file(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  if (at == std::string::npos)
    fail("profile template has no \"" + from + "\"");
  return s.replace(at, from.size(), to);
}

std::string replaced_all(std::string s, const std::string& from, const std::string& to) {
  if (s.find(from) == std::string::npos)
    fail("profile template has no \"" + from + "\"");
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// -- the node under test ----------------------------------------------------------------------

/// A `fpnode` child process on its own data dir, stopped with SIGTERM at the end.
class node_process {
public:
  node_process(const fs::path& root, const fs::path& oracle_root) {
    data_ = root / "node";
    fs::create_directories(data_);
    auto src = fs::path(FP_SOURCE_DIR);
    auto text = read_file(src / "config/profiles/local_parity.yaml");
    text = replaced(text, "  data_dir: data/node", "  data_dir: " + data_.string());
    text =
        replaced(text, "  oracle_root: data/oracle_root", "  oracle_root: " + oracle_root.string());
    text = replaced(text, "    port: 8470", "    port: 0");
    text = replaced(text, "    port: 8471", "    port: 0");
    // A batch of 100 envelopes is ~65 KiB: the node's body limit must admit it.
    text = replaced(text, "    max_body_bytes: 65536", "    max_body_bytes: 1048576");
    {
      auto at = text.find("\n  planes: ");
      if (at == std::string::npos)
        fail("profile template has no policy.planes line");
      auto end = text.find('\n', at + 1);
      text.replace(at + 1, end - at - 1, "  planes: [sr, ig]");
    }
    // The policy files are named relative to the profile's directory: make them absolute.
    text = replaced_all(text, "../../schemas/", (src / "schemas").string() + "/");
    text = replaced_all(text, "../platform/", (src / "config/platform").string() + "/");
    auto profile = root / "profile.yaml";
    std::ofstream(profile) << text;
    auto log = root / "fpnode.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setenv("FP_INGEST_API_KEYS", api_key, 1);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl(FP_FPNODE_PATH, "fpnode", "--profile", profile.c_str(), "--data", data_.c_str(),
              nullptr);
      ::_exit(127);
    }
    auto ports = data_ / "fpnode.ports.json";
    for (int i = 0; i < 600 && !fs::exists(ports); ++i) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        fail("fpnode exited at start: " + read_file(log));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!fs::exists(ports))
      fail("fpnode did not write its ports file: " + read_file(log));
    auto j = nlohmann::json::parse(read_file(ports));
    admin_port_ = j.at("admin").get<int>();
    ingress_port_ = j.at("ingress").get<int>();
  }
  ~node_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  int admin_port() const { return admin_port_; }
  int ingress_port() const { return ingress_port_; }
  const fs::path& data() const { return data_; }

private:
  fs::path data_;
  pid_t pid_ = -1;
  int admin_port_ = 0;
  int ingress_port_ = 0;
};

std::unique_ptr<httplib::Client> client(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_tcp_nodelay(true);
  c->set_keep_alive(true);
  c->set_connection_timeout(10, 0);
  c->set_read_timeout(60, 0);
  c->set_write_timeout(60, 0);
  return c;
}

const httplib::Headers& key_headers() {
  static const httplib::Headers h{{"X-API-Key", api_key}};
  return h;
}

// -- the events ---------------------------------------------------------------------------------

struct run_pins {
  std::string scenario_run_id, scenario_id, manifest_fingerprint, parameter_hash;
  std::uint64_t seed = 0;
};

/// Opens the run on the node (SR writes its ledger and emits READY; IG opens it) and returns
/// the pins every event must carry.
run_pins open_run(const node_process& node, std::uint64_t seed) {
  auto in = client(node.ingress_port());
  nlohmann::json body{{"seed", seed}, {"platform_run_id", platform_run}};
  auto r = in->Post("/v1/sr/runs", key_headers(), body.dump(), "application/json");
  if (!r || r->status / 100 != 2)
    fail("POST /v1/sr/runs: " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
  auto admin = client(node.admin_port());
  auto facts_path =
      std::string("/admin/objects/fraud-platform/") + platform_run + "/sr/run_facts_view.json";
  auto f = admin->Get(facts_path);
  if (!f || f->status != 200)
    fail("GET " + facts_path + ": " +
         (f ? std::to_string(f->status) + " " + f->body : "no answer"));
  auto facts = nlohmann::json::parse(f->body);
  run_pins p;
  p.scenario_run_id = facts.at("scenario_run_id");
  p.scenario_id = facts.at("scenario_id");
  p.manifest_fingerprint = facts.at("manifest_fingerprint");
  p.parameter_hash = facts.at("parameter_hash");
  p.seed = facts.at("seed");
  // IG admits the run's events once it has consumed READY and checked the gate receipt.
  for (int i = 0; i < 600; ++i) {
    auto g = admin->Get("/admin/ig/runs");
    if (g && g->status == 200 && g->body.find(platform_run) != std::string::npos)
      return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fail("IG did not open run " + std::string(platform_run) + " within 30 s");
}

/// The node's histogram of `POST /v1/ingest` handler times (fp_http_request_seconds):
/// cumulative counts by bucket bound in seconds (+Inf as infinity).
std::vector<std::pair<double, double>> ingest_handler_buckets(const node_process& node) {
  auto admin = client(node.admin_port());
  auto r = admin->Get("/metrics");
  if (!r || r->status != 200)
    fail("GET /metrics: " + (r ? std::to_string(r->status) : std::string("no answer")));
  const std::string prefix = "fp_http_request_seconds_bucket{server=\"ingress\",method=\"POST\","
                             "route=\"/v1/ingest\",le=\"";
  std::vector<std::pair<double, double>> out;
  std::istringstream in(r->body);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(prefix, 0) != 0)
      continue;
    auto q = l.find('"', prefix.size());
    auto le = l.substr(prefix.size(), q - prefix.size());
    double bound = le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le);
    out.emplace_back(bound, std::stod(l.substr(l.rfind(' ') + 1)));
  }
  return out;
}

/// The upper bound (ms) of the bucket holding quantile `q` of the requests counted between two
/// readings of ingest_handler_buckets; -1 when there are none.
double bucket_quantile_ms(const std::vector<std::pair<double, double>>& before,
                          const std::vector<std::pair<double, double>>& after, double q) {
  if (after.empty() || before.size() != after.size())
    return -1;
  double total = after.back().second - before.back().second;
  if (total <= 0)
    return -1;
  for (std::size_t i = 0; i < after.size(); ++i)
    if (after[i].second - before[i].second >= q * total)
      return after[i].first * 1000;
  return -1;
}

/// Every row of the world's four streamed outputs as an envelope of the run, interleaved
/// round-robin across the outputs (as four concurrent WSP workers would send them).
std::vector<std::string> world_events(const fs::path& world_dir, const run_pins& pins) {
  using fp::world::output;
  std::vector<std::vector<std::string>> per_output;
  for (auto o : {output::arrival_events, output::arrival_entities, output::flow_anchor,
                 output::event_stream}) {
    auto& out = per_output.emplace_back();
    std::vector<fs::path> parts;
    for (auto& e : fs::directory_iterator(world_dir / fp::world::output_dir(o)))
      parts.push_back(e.path());
    std::sort(parts.begin(), parts.end());
    for (auto& part : parts) {
      std::ifstream in{part};
      std::string row_text;
      while (std::getline(in, row_text)) {
        auto row = nlohmann::json::parse(row_text);
        auto id = fp::world::row_event_id(pins.manifest_fingerprint, o, row);
        if (!id)
          fail("row_event_id: " + id.error().message());
        fp::schemas::envelope e;
        e.event_id = fp::event_id{*id};
        e.event_type = std::string(fp::world::output_id(o));
        e.schema_version = "v1";
        e.ts_utc = row.at("ts_utc").get<std::string>();
        e.platform_run_id = fp::platform_run_id{platform_run};
        e.scenario_run_id = fp::scenario_run_id{pins.scenario_run_id};
        e.scenario_id = fp::scenario_id{pins.scenario_id};
        e.manifest_fingerprint = fp::manifest_fingerprint{pins.manifest_fingerprint};
        e.parameter_hash = fp::parameter_hash{pins.parameter_hash};
        e.seed = pins.seed;
        e.payload = row_text; // the world writes canonical rows
        out.push_back(fp::schemas::to_json(e));
      }
    }
  }
  std::vector<std::string> all;
  for (std::size_t i = 0;; ++i) {
    bool any = false;
    for (auto& o : per_output)
      if (i < o.size()) {
        all.push_back(std::move(o[i]));
        any = true;
      }
    if (!any)
      break;
  }
  return all;
}

std::string batch_body(const std::vector<std::string>& events, std::size_t from, std::size_t n) {
  std::string body = "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0)
      body += ',';
    body += events[from + i];
  }
  body += "]";
  return body;
}

/// Events handed out once each, across threads and slices.
class event_pool {
public:
  explicit event_pool(std::vector<std::string> events)
      : events_(std::move(events))
      , limit_(events_.size()) {}
  /// The index of `n` consecutive unused events, or nullopt when the pool (up to its limit)
  /// is spent.
  std::optional<std::size_t> take(std::size_t n) {
    auto at = next_.fetch_add(n);
    if (at + n > limit_.load())
      return std::nullopt;
    return at;
  }
  /// Keeps the last `n` events back until `release_reserve` (for the latency run).
  void reserve(std::size_t n) { limit_ = events_.size() > n ? events_.size() - n : 0; }
  void release_reserve() {
    next_ = std::min(next_.load(), limit_.load());
    limit_ = events_.size();
  }
  const std::vector<std::string>& events() const { return events_; }
  std::size_t used() const { return std::min<std::size_t>(next_.load(), events_.size()); }

private:
  std::vector<std::string> events_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> limit_;
};

// -- the sides ----------------------------------------------------------------------------------

/// 16 connections in a closed loop against one endpoint, in slices; counts items the endpoint
/// accepted (`accept` decides from a response how many).
class http_load {
public:
  using body_fn = std::function<std::optional<std::string>(int worker, std::size_t& items)>;
  /// `retried`: the request went out again after an attempt got no answer at all.
  using accept_fn =
      std::function<std::size_t(const httplib::Result&, std::size_t items, bool retried)>;

  http_load(int port, std::string path, body_fn body, accept_fn accept)
      : path_(std::move(path))
      , body_(std::move(body))
      , accept_(std::move(accept)) {
    for (int i = 0; i < connections; ++i)
      clients_.push_back(client(port));
    workers_ = std::make_unique<sliced_workers>(connections, [this](int i) { return step(i); });
  }

  void run_slice(double seconds) {
    auto before = items_.load();
    auto before_req = requests_.load();
    seconds_ += workers_->run_slice(seconds);
    slice_items_ = items_.load() - before;
    slice_requests_ = requests_.load() - before_req;
  }
  std::uint64_t items() const { return items_.load(); }
  std::uint64_t requests() const { return requests_.load(); }
  double seconds() const { return seconds_; }
  double items_per_s() const { return static_cast<double>(items()) / seconds_; }
  double requests_per_s() const { return static_cast<double>(requests()) / seconds_; }
  const std::string& first_error() const { return first_error_; }
  std::uint64_t retries() const { return retries_.load(); }
  bool spent() const { return spent_.load(); }

private:
  bool step(int i) {
    std::size_t n = 0;
    auto body = body_(i, n);
    if (!body) {
      spent_ = true;
      return false;
    }
    // cpp-httplib listens with a backlog of 5: when 16 connections (re)open at once, a few are
    // dropped before any byte is read and the client sees no answer. Both sides resend such a
    // request on a fresh connection (ours: the same events, whose admission, if the first
    // attempt got that far, comes back DUPLICATE and still counts once).
    auto r = clients_[i]->Post(path_, key_headers(), *body, "application/json");
    bool retried = false;
    for (int attempt = 0; !r && attempt < 3; ++attempt) {
      retried = true;
      retries_.fetch_add(1, std::memory_order_relaxed);
      r = clients_[i]->Post(path_, key_headers(), *body, "application/json");
    }
    auto ok = accept_(r, n, retried);
    if (ok != n) {
      std::lock_guard lock{mu_};
      if (first_error_.empty())
        first_error_ = r ? std::to_string(r->status) + " " + r->body.substr(0, 400)
                         : "no answer (" + httplib::to_string(r.error()) + ")";
    }
    items_.fetch_add(ok, std::memory_order_relaxed);
    requests_.fetch_add(1, std::memory_order_relaxed);
    return ok == n;
  }

  std::string path_;
  body_fn body_;
  accept_fn accept_;
  std::vector<std::unique_ptr<httplib::Client>> clients_;
  std::unique_ptr<sliced_workers> workers_;
  std::atomic<std::uint64_t> items_{0}, requests_{0}, retries_{0};
  std::uint64_t slice_items_ = 0, slice_requests_ = 0;
  double seconds_ = 0;
  std::mutex mu_;
  std::string first_error_;
  std::atomic<bool> spent_{false};
};

std::size_t occurrences(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

/// How many items of a response IG admitted (`"decision":"ADMITTED"` once per item; after a
/// resend also DUPLICATE, the first attempt's admission).
std::size_t admitted_in(const httplib::Result& r, bool retried = false) {
  if (!r || r->status != 200)
    return 0;
  return occurrences(r->body, "\"ADMITTED\"") +
         (retried ? occurrences(r->body, "\"DUPLICATE\"") : 0);
}

/// The raw baseline: cpp-httplib answering every body with itself.
class echo_server {
public:
  echo_server() {
    srv_.set_tcp_nodelay(true);
    srv_.set_keep_alive_max_count(1'000'000);
    srv_.new_task_queue = [] { return new httplib::ThreadPool(connections + 4); };
    auto echo = [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "application/json");
    };
    srv_.Post("/v1/ingest", echo);
    srv_.Post("/v1/ingest/batch", echo);
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    while (!srv_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~echo_server() {
    srv_.stop();
    thread_.join();
  }
  int port() const { return port_; }

private:
  httplib::Server srv_;
  int port_ = 0;
  std::thread thread_;
};

std::size_t echoed(const httplib::Result& r, std::size_t items, bool) {
  return r && r->status == 200 && !r->body.empty() ? items : 0;
}

// -- the PostgreSQL peer -----------------------------------------------------------------------

constexpr const char* pg_table =
    "CREATE TABLE admissions (platform_run_id text NOT NULL, event_class text NOT NULL, "
    "event_id text NOT NULL, payload_hash text NOT NULL, "
    "PRIMARY KEY (platform_run_id, event_class, event_id))";

/// One admission a transaction: insert the dedupe tuple unless present, else compare hashes.
std::string pg_single_script() {
  return R"(\set r random(1, 4611686018427387903)
WITH ins AS (INSERT INTO admissions (platform_run_id, event_class, event_id, payload_hash) VALUES ('platform_20260101T000000Z', 'traffic_fraud', :client_id || '-' || :r, '5f2c8a0b9d1e4f3a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c') ON CONFLICT (platform_run_id, event_class, event_id) DO NOTHING RETURNING 1)
SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'ADMITTED' WHEN (SELECT payload_hash FROM admissions WHERE platform_run_id = 'platform_20260101T000000Z' AND event_class = 'traffic_fraud' AND event_id = :client_id || '-' || :r) = '5f2c8a0b9d1e4f3a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c' THEN 'DUPLICATE' ELSE 'MISMATCH' END;
)";
}

/// 100 admissions a transaction, the same dedupe and hash compare. The compare looks up only
/// the rows that conflicted, each by its primary key (a join against the growing table could
/// be planned as a scan of it).
std::string pg_batch_script() {
  return R"(\set r random(1, 4611686018427387903)
WITH v AS (SELECT :client_id || '-' || :r || '-' || g AS event_id, '5f2c8a0b9d1e4f3a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c' AS payload_hash FROM generate_series(1, 100) g), ins AS (INSERT INTO admissions (platform_run_id, event_class, event_id, payload_hash) SELECT 'platform_20260101T000000Z', 'traffic_fraud', event_id, payload_hash FROM v ON CONFLICT (platform_run_id, event_class, event_id) DO NOTHING RETURNING event_id)
SELECT (SELECT count(*) FROM ins) AS admitted, (SELECT count(*) FROM v WHERE v.event_id NOT IN (SELECT event_id FROM ins) AND (SELECT a.payload_hash FROM admissions a WHERE a.platform_run_id = 'platform_20260101T000000Z' AND a.event_class = 'traffic_fraud' AND a.event_id = v.event_id) <> v.payload_hash) AS mismatched;
)";
}

// -- the measurements ---------------------------------------------------------------------------

struct measured {
  double ours_eps = 0;
  std::uint64_t ours_items = 0;
  double ours_seconds = 0;
  double echo_rps = 0;
  bool spent = false;
  std::uint64_t ours_resends = 0, echo_resends = 0;
};

/// `items` events a request (1: POST /v1/ingest; more: POST /v1/ingest/batch) against the echo
/// server answering the same bodies, interleaved in slices.
measured vs_echo(const config& cfg, const node_process& node, event_pool& pool,
                 const echo_server& echo, std::size_t items) {
  const auto& ev = pool.events();
  const std::string path = items == 1 ? "/v1/ingest" : "/v1/ingest/batch";
  const std::string what = items == 1 ? "single" : "batch";
  auto body_at = [&](std::size_t at) { return items == 1 ? ev[at] : batch_body(ev, at, items); };
  http_load ours(
      node.ingress_port(), path,
      [&](int, std::size_t& n) -> std::optional<std::string> {
        auto at = pool.take(items);
        if (!at)
          return std::nullopt;
        n = items;
        return body_at(*at);
      },
      [](const httplib::Result& r, std::size_t, bool retried) { return admitted_in(r, retried); });
  std::atomic<std::size_t> cursor{0};
  http_load base(
      echo.port(), path,
      [&](int, std::size_t& n) -> std::optional<std::string> {
        n = 1; // the echo server's requests
        return body_at(cursor.fetch_add(items) % (ev.size() - items + 1));
      },
      echoed);
  double slice = cfg.seconds / cfg.slices;
  for (int i = 0; i < cfg.slices && !ours.spent(); ++i) {
    ours.run_slice(slice);
    base.run_slice(slice);
  }
  if (!ours.first_error().empty() && !ours.spent())
    fail(what + ": IG refused an admission: " + ours.first_error());
  if (!base.first_error().empty())
    fail(what + ": echo: " + base.first_error());
  return {ours.items_per_s(), ours.items(),   ours.seconds(), base.requests_per_s(),
          ours.spent(),       ours.retries(), base.retries()};
}

struct latency {
  double p50_ms = 0, p99_ms = 0, rate = 0;
  std::uint64_t samples = 0;
};

/// Single-event admissions at `rate`/s over 16 connections, each connection on a fixed
/// schedule; latency from the scheduled send time.
latency paced_latency(const node_process& node, event_pool& pool, double rate, double seconds) {
  const auto& ev = pool.events();
  std::vector<std::vector<double>> lat(connections);
  std::vector<std::thread> threads;
  std::atomic<bool> spent{false};
  std::string first_error;
  std::mutex mu;
  auto interval = std::chrono::duration<double>(connections / rate);
  auto t0 = clock_type::now() + std::chrono::milliseconds(100);
  for (int i = 0; i < connections; ++i)
    threads.emplace_back([&, i] {
      auto c = client(node.ingress_port());
      auto due = t0 + std::chrono::duration_cast<clock_type::duration>(interval * i / connections);
      auto end = t0 + std::chrono::duration_cast<clock_type::duration>(
                          std::chrono::duration<double>(seconds));
      while (due < end) {
        std::this_thread::sleep_until(due);
        auto at = pool.take(1);
        if (!at) {
          spent = true;
          return;
        }
        auto r = c->Post("/v1/ingest", key_headers(), ev[*at], "application/json");
        bool retried = false;
        for (int attempt = 0; !r && attempt < 3; ++attempt, retried = true)
          r = c->Post("/v1/ingest", key_headers(), ev[*at], "application/json");
        if (admitted_in(r, retried) != 1) {
          std::lock_guard lock{mu};
          if (first_error.empty())
            first_error =
                r ? std::to_string(r->status) + " " + r->body.substr(0, 300) : "no answer";
          return;
        }
        lat[i].push_back(
            std::chrono::duration<double, std::milli>(clock_type::now() - due).count());
        due += std::chrono::duration_cast<clock_type::duration>(interval);
      }
    });
  for (auto& t : threads)
    t.join();
  if (!first_error.empty())
    fail("latency: IG refused an admission: " + first_error);
  std::vector<double> all;
  for (auto& l : lat)
    all.insert(all.end(), l.begin(), l.end());
  if (all.empty())
    fail("latency: no samples");
  std::sort(all.begin(), all.end());
  auto pct = [&](double q) {
    return all[std::min(all.size() - 1,
                        static_cast<std::size_t>(q * static_cast<double>(all.size())))];
  };
  return {pct(0.50), pct(0.99), rate, all.size()};
}

config parse_args(int argc, char** argv) {
  static const std::string usage =
      "ingest_bench [--quick] [--dir DIR] [--seconds S] [--slices N] [--flows F] "
      "[--only single|batch|pg|latency]";
  config c;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        fail(a + " needs a value");
      return argv[++i];
    };
    if (a == "--quick") {
      c.quick = true;
      c.seconds = 1.2;
      c.slices = 2;
      c.flows = 1500;
    } else if (a == "--dir")
      c.dir = next();
    else if (a == "--seconds")
      c.seconds = std::stod(next());
    else if (a == "--slices")
      c.slices = std::stoi(next());
    else if (a == "--flows")
      c.flows = std::stoull(next());
    else if (a == "--only")
      c.only = next();
    else if (a == "--help" || a == "-h") {
      std::cout << "usage: " << usage << "\n";
      std::exit(0);
    } else
      fail("unknown option " + a + " (usage: " + usage + ")");
  }
  return c;
}

void add_common(json& j, const measured& m, std::uint64_t pool_size) {
  j["events_admitted"] = m.ours_items;
  j["seconds"] = round_to(m.ours_seconds, 2);
  j["connections"] = connections;
  j["pool_spent"] = m.spent;
  j["pool_events"] = pool_size;
  j["resends_no_answer"] = m.ours_resends;
  j["baseline_resends_no_answer"] = m.echo_resends;
  j["durability"] = "journal fsync per group commit; embedded bus in the same LMDB environment; "
                    "ADMIT receipt in the object store; answered after all are durable";
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  try {
    cfg = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "ingest_bench: " << e.what() << '\n';
    return 2;
  }
  auto parent = cfg.dir.empty() ? default_parent_dir() : cfg.dir;
  auto scratch = scratch_dir::make(parent);
  // The PostgreSQL peer runs as the `postgres` user: it must be able to enter the scratch dir.
  ::chmod(scratch.path().c_str(), 0755);
  warn_if_not_real_disk(scratch.path());
  install_interrupt_cleanup(scratch.path(), [] { pg_stop_all(); });
  auto want = [&](const char* part) { return cfg.only.empty() || cfg.only == part; };

  std::unique_ptr<node_process> node;
  std::unique_ptr<event_pool> pool;
  try {
    auto oracle = scratch.path() / "oracle_root";
    fp::world::params wp;
    wp.seed = 42;
    wp.flows = cfg.flows;
    wp.merchants = 50;
    progress("generating a world of ", wp.flows, " flows");
    auto w = fp::world::generate(wp, oracle);
    if (!w)
      fail("world: " + w.error().message());
    node = std::make_unique<node_process>(scratch.path(), oracle);
    auto pins = open_run(*node, wp.seed);
    pool = std::make_unique<event_pool>(world_events(w->world_dir, pins));
    pool->reserve(pool->events().size() / 4); // for the latency run
    progress("node up (admin ", node->admin_port(), ", ingress ", node->ingress_port(), "); ",
             pool->events().size(), " distinct events ready");
  } catch (const std::exception& e) {
    for (auto m : {"admit_single_eps", "admit_batch_eps", "admit_single_vs_pg", "admit_batch_vs_pg",
                   "admit_latency_ms"})
      emit_error(m, e.what());
    return 1;
  }

  echo_server echo;
  progress("echo server on 127.0.0.1:", echo.port());
  measured single{}, batch{};
  if (want("single") || want("pg") || want("latency")) {
    try {
      progress("single: 16 connections, ", cfg.slices, " slices each side");
      single = vs_echo(cfg, *node, *pool, echo, 1);
      auto j = line("admit_single_eps");
      j["value"] = round_to(single.ours_eps, 1);
      j["unit"] = "admissions/s";
      j["baseline"] = round_to(single.echo_rps, 1);
      j["ratio"] = round_to(single.ours_eps / single.echo_rps, 3);
      j["target"] = 0.3;
      add_common(j, single, pool->events().size());
      j["baseline_name"] = "cpp-httplib echo server (tcp_nodelay, thread per connection) "
                           "answering the same single-event bodies, 16 keep-alive connections";
      if (want("single"))
        emit(j);
    } catch (const std::exception& e) {
      emit_error("admit_single_eps", e.what());
    }
  }
  if (want("batch") || want("pg")) {
    try {
      progress("batch: 100 events a request, 16 connections");
      batch = vs_echo(cfg, *node, *pool, echo, batch_items);
      auto j = line("admit_batch_eps");
      j["value"] = round_to(batch.ours_eps, 1);
      j["unit"] = "admissions/s";
      j["baseline"] = round_to(batch.echo_rps, 1);
      j["baseline_unit"] = "requests/s";
      j["ratio"] = round_to(batch.ours_eps / batch.echo_rps, 3);
      j["target"] = 2.0;
      j["batch_items"] = batch_items;
      add_common(j, batch, pool->events().size());
      j["baseline_name"] = "cpp-httplib echo server answering the same 100-event bodies, 16 "
                           "keep-alive connections";
      if (want("batch"))
        emit(j);
    } catch (const std::exception& e) {
      emit_error("admit_batch_eps", e.what());
    }
  }
  if (want("pg")) {
    try {
      pg_options po;
      po.root = scratch.path() / "pg";
      auto pg = pg_server::start(po);
      if (!pg)
        fail(pg.error().message());
      if (auto ok = (*pg)->exec(pg_table); !ok)
        fail(ok.error().message());
      auto sync = (*pg)->show("synchronous_commit");
      int secs = std::max(1, static_cast<int>(cfg.seconds));
      for (int batch_mode = 0; batch_mode < 2; ++batch_mode) {
        auto& ours = batch_mode ? batch : single;
        settle_disk(scratch.path());
        auto tps = (*pg)->pgbench(batch_mode ? pg_batch_script() : pg_single_script(), connections,
                                  2, secs);
        if (!tps)
          fail(tps.error().message());
        double rows = *tps * (batch_mode ? batch_items : 1);
        auto j = line(batch_mode ? "admit_batch_vs_pg" : "admit_single_vs_pg");
        j["value"] = round_to(ours.ours_eps, 1);
        j["unit"] = "admissions/s";
        j["baseline"] = round_to(rows, 1);
        j["baseline_unit"] = "rows/s";
        j["ratio"] = round_to(ours.ours_eps / rows, 3);
        j["target"] = 1.0;
        j["baseline_tps"] = round_to(*tps, 1);
        j["baseline_rows_per_txn"] = batch_mode ? batch_items : 1;
        j["baseline_synchronous_commit"] = sync ? *sync : "unknown";
        j["baseline_name"] = "PostgreSQL 15 via pgbench, 16 clients, 2 threads: INSERT ... ON "
                             "CONFLICT DO NOTHING on (platform_run_id, event_class, event_id) + "
                             "payload_hash compare, " +
                             std::string(batch_mode ? "100 rows" : "1 row") + " a transaction";
        emit(j);
      }
    } catch (const std::exception& e) {
      emit_error("admit_single_vs_pg", e.what());
      emit_error("admit_batch_vs_pg", e.what());
    }
  }
  if (want("latency")) {
    try {
      pool->release_reserve();
      double rate = std::max(50.0, single.ours_eps / 2);
      progress("latency: ", static_cast<int>(rate), " admissions/s (half the measured maximum)");
      auto before = ingest_handler_buckets(*node);
      auto l = paced_latency(*node, *pool, rate, std::max(1.0, cfg.seconds / 2));
      auto after = ingest_handler_buckets(*node);
      auto j = line("admit_latency_ms");
      j["value"] = round_to(l.p50_ms, 3);
      j["unit"] = "ms";
      j["p50_ms"] = round_to(l.p50_ms, 3);
      j["p99_ms"] = round_to(l.p99_ms, 3);
      j["rate_per_s"] = round_to(l.rate, 1);
      j["samples"] = l.samples;
      // The node's own view (fp_http_request_seconds over the same requests): the time in its
      // handler, without the client's queueing behind a slow answer on the same connection.
      j["node_p50_le_ms"] = bucket_quantile_ms(before, after, 0.50);
      j["node_p99_le_ms"] = bucket_quantile_ms(before, after, 0.99);
      j["note"] = "single-event endpoint at half the measured maximum admissions/s; latency from "
                  "each request's scheduled send time; node_p50/p99_le_ms: the upper bound of the "
                  "node's handler-time histogram bucket holding that quantile";
      emit(j);
    } catch (const std::exception& e) {
      emit_error("admit_latency_ms", e.what());
    }
  }
  node.reset();
  return any_error ? 1 : 0;
}
