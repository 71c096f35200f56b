// The node's Prometheus metrics (DESIGN.md section 6): entity runtime counters per type
// (`fp_core_*`), journal counters (`fp_journal_*`), HTTP requests (`fp_http_*`), the event
// bus (`fp_bus_*`), and the process itself (the conventional `process_*` families every
// Prometheus client exports, plus `fp_node_resident_anon_bytes`).

#include "cluster/admin_api.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fp::cluster {

namespace {

using lifecycle_field = std::uint64_t actors::lifecycle_counters::*;
using journal_field = std::uint64_t journal::journal_stats::*;

struct lifecycle_metric {
  const char* name;
  const char* help;
  lifecycle_field field;
};

constexpr lifecycle_metric lifecycle_metrics[] = {
    {"fp_core_commands_total", "Commands received by entities",
     &actors::lifecycle_counters::commands},
    {"fp_core_commands_rejected_total", "Commands entities rejected",
     &actors::lifecycle_counters::rejected},
    {"fp_core_events_persisted_total", "Events entities persisted durably",
     &actors::lifecycle_counters::events_persisted},
    {"fp_core_entities_recovered_total", "Entities recovered from the journal",
     &actors::lifecycle_counters::recovered},
    {"fp_core_snapshots_taken_total", "Entity snapshots saved",
     &actors::lifecycle_counters::snapshots_taken},
    {"fp_core_snapshot_fallbacks_total", "Recoveries that could not use a snapshot",
     &actors::lifecycle_counters::snapshot_fallbacks},
    {"fp_core_entities_passivated_total", "Entities passivated",
     &actors::lifecycle_counters::passivated},
    {"fp_core_entities_restarted_total", "Entities restarted after a crash",
     &actors::lifecycle_counters::restarted},
    {"fp_core_entities_quarantined_total", "Entities quarantined after repeated crashes",
     &actors::lifecycle_counters::quarantined},
    {"fp_core_persist_failures_total", "Appends the journal refused or failed",
     &actors::lifecycle_counters::persist_failures},
};

struct journal_metric {
  const char* name;
  const char* help;
  journal_field field;
  metric_type type;
};

constexpr journal_metric journal_metrics[] = {
    {"fp_journal_commits_total", "Durable (fsynced) journal commits",
     &journal::journal_stats::commits, metric_type::counter},
    {"fp_journal_acked_batches_total", "Write requests acknowledged after their commit",
     &journal::journal_stats::acked_batches, metric_type::counter},
    {"fp_journal_failed_batches_total", "Write requests that failed (including seq conflicts)",
     &journal::journal_stats::failed_batches, metric_type::counter},
    {"fp_journal_io_failures_total", "Write requests failed by LMDB or the file system",
     &journal::journal_stats::io_failures, metric_type::counter},
    {"fp_journal_events_appended_total", "Events appended",
     &journal::journal_stats::events_appended, metric_type::counter},
    {"fp_journal_appended_bytes_total", "Payload bytes appended",
     &journal::journal_stats::bytes_appended, metric_type::counter},
    {"fp_journal_seq_conflicts_total", "Appends refused for a stale expected seq",
     &journal::journal_stats::seq_conflicts, metric_type::counter},
    {"fp_journal_snapshots_saved_total", "Snapshots saved",
     &journal::journal_stats::snapshots_saved, metric_type::counter},
    {"fp_journal_snapshot_fallbacks_total", "Recoveries that fell back past a snapshot",
     &journal::journal_stats::snapshot_fallbacks, metric_type::counter},
    {"fp_journal_map_resizes_total", "Times the LMDB map grew",
     &journal::journal_stats::map_resizes, metric_type::counter},
    {"fp_journal_table_fn_retries_total",
     "Batches written again because a table function refused (each then in its own nested "
     "transaction)",
     &journal::journal_stats::table_fn_retries, metric_type::counter},
    {"fp_journal_index_flushes_total", "Bulk writes of the per-stream index",
     &journal::journal_stats::index_flushes, metric_type::counter},
    {"fp_journal_index_entries_flushed_total", "Per-stream index entries written by those flushes",
     &journal::journal_stats::index_entries_flushed, metric_type::counter},
    {"fp_journal_objects_written_total", "Objects written to the object store",
     &journal::journal_stats::objects_written, metric_type::counter},
    {"fp_journal_object_index_flushes_total", "Bulk writes of the object path index",
     &journal::journal_stats::object_index_flushes, metric_type::counter},
    {"fp_journal_object_index_entries_flushed_total", "Object paths written by those flushes",
     &journal::journal_stats::object_index_entries_flushed, metric_type::counter},
    {"fp_journal_checksum_failures_total", "Records or objects that failed their checksum",
     &journal::journal_stats::checksum_failures, metric_type::counter},
    {"fp_journal_map_bytes", "Size of the LMDB map in bytes", &journal::journal_stats::map_bytes,
     metric_type::gauge},
};

metric_sample sample(std::vector<std::pair<std::string, std::string>> labels, double v) {
  return {std::move(labels), v};
}

struct bus_metric {
  const char* name;
  const char* help;
  std::uint64_t bus::bus_stats::*field;
};

constexpr bus_metric bus_metrics[] = {
    {"fp_bus_produced_total", "Records the bus stored durably", &bus::bus_stats::produced},
    {"fp_bus_produce_failures_total", "Produce requests that failed",
     &bus::bus_stats::produce_failures},
    {"fp_bus_consumed_total", "Records handed to consumers", &bus::bus_stats::consumed},
    {"fp_bus_commits_total", "Consumer checkpoint commits", &bus::bus_stats::commits},
    {"fp_bus_rebalances_total", "Consumer group rebalances", &bus::bus_stats::rebalances},
    {"fp_bus_topics_created_total", "Topics created (admin actions)",
     &bus::bus_stats::topics_created},
    {"fp_bus_bad_records_total", "Stored or received records that failed their check",
     &bus::bus_stats::bad_records},
};

/// `fp_bus_up{backend}` (1 when the last probe reached the bus) and the bus counters; nothing
/// but `fp_bus_up 0` while no bus is wired.
void append_bus_metrics(const bus_status& b, std::vector<metric_family>& out) {
  std::vector<std::pair<std::string, std::string>> labels;
  if (b.wired)
    labels.emplace_back("backend", b.backend);
  out.push_back({"fp_bus_up",
                 "Whether the last probe reached the event bus",
                 metric_type::gauge,
                 {sample(labels, b.wired && b.reachable ? 1 : 0)}});
  if (!b.wired)
    return;
  for (auto& m : bus_metrics)
    out.push_back({m.name,
                   m.help,
                   metric_type::counter,
                   {sample(labels, static_cast<double>(b.stats.*m.field))}});
}

/// The whole of a small /proc file ("" when it cannot be read).
std::string read_proc(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The number after `key` on its line of /proc/self/status, in kB (nullopt if absent).
std::optional<double> status_kb(const std::string& status, std::string_view key) {
  auto at = status.find(std::string("\n") + std::string(key) + ":");
  if (at == std::string::npos)
    return std::nullopt;
  at += key.size() + 2;
  while (at < status.size() && (status[at] == ' ' || status[at] == '\t'))
    ++at;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(status.data() + at, status.data() + status.size(), v);
  if (ec != std::errc{})
    return std::nullopt;
  return static_cast<double>(v);
}

/// The process's CPU time, memory and file descriptors, read from /proc/self; a family whose
/// source cannot be read is left out rather than reported as 0.
void append_process_metrics(std::vector<metric_family>& out) {
  auto gauge = [&](const char* name, const char* help, double v) {
    out.push_back({name, help, metric_type::gauge, {sample({}, v)}});
  };
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  // /proc/self/stat: fields after the command name (in parentheses, which may hold spaces).
  auto stat = read_proc("/proc/self/stat");
  if (auto close = stat.rfind(')');
      close != std::string::npos && close + 2 <= stat.size() && ticks > 0) {
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
    // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22, vsize 23.
    if (f.size() > 20) {
      double utime = std::strtod(f[11].c_str(), nullptr);
      double stime = std::strtod(f[12].c_str(), nullptr);
      out.push_back({"process_cpu_seconds_total",
                     "User and system CPU time the node has used, in seconds",
                     metric_type::counter,
                     {sample({}, (utime + stime) / ticks)}});
      gauge("process_virtual_memory_bytes", "Virtual memory size in bytes",
            std::strtod(f[20].c_str(), nullptr));
      auto boot = read_proc("/proc/stat");
      if (auto at = boot.find("\nbtime "); at != std::string::npos)
        gauge("process_start_time_seconds",
              "Start time of the node since the Unix epoch, in seconds",
              std::strtod(boot.c_str() + at + 7, nullptr) +
                  std::strtod(f[19].c_str(), nullptr) / ticks);
    }
  }
  auto status = read_proc("/proc/self/status");
  if (auto rss = status_kb(status, "VmRSS"))
    gauge("process_resident_memory_bytes",
          "Resident memory in bytes (includes the journal's memory-mapped file pages)",
          *rss * 1024);
  if (auto anon = status_kb(status, "RssAnon"))
    gauge("fp_node_resident_anon_bytes",
          "Anonymous resident memory in bytes (RssAnon: the heap and stacks, without the "
          "journal's mapped file pages): what live entities and requests hold",
          *anon * 1024);
  std::error_code ec;
  std::size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  if (!ec && fds > 0)
    gauge("process_open_fds", "Open file descriptors", static_cast<double>(fds));
  if (rlimit lim{}; ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
    gauge("process_max_fds", "The limit on open file descriptors",
          static_cast<double>(lim.rlim_cur));
}

} // namespace

std::vector<metric_family> node_metrics(const node_view& node) {
  std::vector<metric_family> out;
  auto types = node.types();
  std::vector<actors::lifecycle_counters> life;
  for (auto* t : types)
    life.push_back(t->lifecycle());
  for (auto& m : lifecycle_metrics) {
    metric_family f{m.name, m.help, metric_type::counter, {}};
    for (std::size_t i = 0; i < types.size(); ++i)
      f.samples.push_back(sample(
          {{"plane", std::string(types[i]->plane())}, {"type", std::string(types[i]->type())}},
          static_cast<double>(life[i].*m.field)));
    out.push_back(std::move(f));
  }
  metric_family entities{"fp_core_entities",
                         "Entities by status (passivated ones from the journal)",
                         metric_type::gauge,
                         {}};
  metric_family recoveries{"fp_core_recoveries_in_flight_max",
                           "High-water mark of concurrent entity recoveries",
                           metric_type::gauge,
                           {}};
  for (std::size_t i = 0; i < types.size(); ++i) {
    auto c = types[i]->counts();
    std::string plane(types[i]->plane()), type(types[i]->type());
    for (auto [status, n] :
         {std::pair{"recovering", c.recovering}, std::pair{"live", c.live},
          std::pair{"passivated", c.passivated}, std::pair{"quarantined", c.quarantined}})
      entities.samples.push_back(
          sample({{"plane", plane}, {"type", type}, {"status", status}}, static_cast<double>(n)));
    recoveries.samples.push_back(sample({{"plane", plane}, {"type", type}},
                                        static_cast<double>(life[i].recoveries_in_flight_max)));
  }
  out.push_back(std::move(entities));
  out.push_back(std::move(recoveries));
  auto js = node.journal().stats();
  for (auto& m : journal_metrics)
    out.push_back({m.name, m.help, m.type, {sample({}, static_cast<double>(js.*m.field))}});
  out.push_back({"fp_journal_global_seq",
                 "Global seq of the newest event (0 when empty)",
                 metric_type::gauge,
                 {sample({}, static_cast<double>(js.next_global_seq - 1))}});
  out.push_back(histogram_family(
      "fp_journal_commit_seconds", "Durable journal commits by duration (page writes and fsyncs)",
      js.commit_seconds_le, js.commit_seconds_buckets, js.commit_seconds_sum));
  out.push_back(histogram_family("fp_journal_commit_requests",
                                 "Durable journal commits by the write requests they carried",
                                 js.commit_requests_le, js.commit_requests_buckets,
                                 static_cast<double>(js.commit_requests_sum)));
  metric_family http{"fp_http_requests_total",
                     "HTTP requests answered, by server and status code",
                     metric_type::counter,
                     {}};
  for (auto& c : node.http_counts())
    http.samples.push_back(sample({{"server", c.server}, {"code", std::to_string(c.code)}},
                                  static_cast<double>(c.count)));
  out.push_back(std::move(http));
  metric_family durations{"fp_http_request_seconds",
                          "HTTP handler durations by server, method and route (the request read "
                          "to the answer ready; an ingest's includes its durable commit)",
                          metric_type::histogram,
                          {}};
  for (auto& l : node.http_latencies())
    append_histogram(durations, {{"server", l.server}, {"method", l.method}, {"route", l.route}},
                     http_latency::seconds_le, l.cumulative, l.sum_seconds);
  out.push_back(std::move(durations));
  append_bus_metrics(node.bus(), out);
  for (auto& f : node.plane_metrics())
    out.push_back(std::move(f));
  append_process_metrics(out);
  return out;
}

} // namespace fp::cluster
