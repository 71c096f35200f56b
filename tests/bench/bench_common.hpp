#pragma once

// What every benchmark binary shares (DESIGN.md §9): one JSON object per line on stdout,
// progress on stderr, timing, and the scratch directory on real disk with its cleanup.
//
// Each benchmark defines its short name once, at namespace scope in its own .cpp:
//   extern const char fp::bench::bench_name[] = "journal";
// It names the `bench` field of every JSON line and prefixes stderr ("journal_bench: ...").

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace fp::bench {

/// The benchmark's short name ("journal", "entity"); defined by each benchmark's .cpp.
extern const char bench_name[];

using clock_type = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

// -- output -----------------------------------------------------------------------------------

/// Set by emit_error: some metric of this run failed.
inline bool any_error = false;

inline double round_to(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

/// A JSON line with `bench` and `metric` set.
inline json line(const std::string& metric) {
  json j;
  j["bench"] = std::string(bench_name);
  j["metric"] = metric;
  return j;
}

/// The middle value of `v` (the upper middle of an even count); 0 when empty.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

/// A line over interleaved rounds of both sides: each side's best round (value, baseline,
/// ratio) and each side's median round (median_*).
inline json rounds_line(const std::string& metric, const std::vector<double>& ours,
                        const std::vector<double>& base, const std::string& unit, double target) {
  auto best = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  auto j = line(metric);
  j["value"] = round_to(best(ours), 0);
  j["unit"] = unit;
  j["baseline"] = round_to(best(base), 0);
  j["ratio"] = round_to(best(ours) / best(base), 3);
  j["target"] = target;
  j["rounds"] = ours.size();
  j["median_value"] = round_to(median(ours), 0);
  j["median_baseline"] = round_to(median(base), 0);
  j["median_ratio"] = round_to(median(ours) / median(base), 3);
  return j;
}

inline void emit(const json& j) {
  std::cout << j.dump() << '\n';
  std::cout.flush();
}

/// Reports `metric` as failed: a JSON line with `error`, and the same on stderr.
inline void emit_error(const std::string& metric, const std::string& what) {
  any_error = true;
  auto j = line(metric);
  j["error"] = what;
  emit(j);
  std::cerr << bench_name << "_bench: " << metric << ": " << what << '\n';
}

template <class... Ts>
void progress(const Ts&... xs) {
  std::cerr << bench_name << "_bench: ";
  (std::cerr << ... << xs);
  std::cerr << '\n';
}

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// -- disk -------------------------------------------------------------------------------------

/// Bytes this process has passed to write(2)/pwrite(2) so far (/proc/self/io `wchar`): LMDB
/// writes its dirty pages that way, so the delta over a run is what its commits wrote.
inline std::uint64_t written_bytes() {
  std::ifstream in{"/proc/self/io"};
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value)
    if (key == "wchar:")
      return value;
  return 0;
}

/// Flushes every dirty page of the filesystem holding `p` (syncfs), outside any timed window.
/// Called before each measurement slice so that writeback one side left behind (PostgreSQL,
/// for one, writes its heap and index pages to the page cache and fsyncs them only at
/// checkpoints) is not charged to the other side's slice; a sequential run would not charge it
/// either.
inline void settle_disk(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  (void)::syncfs(fd);
  ::close(fd);
}

inline void remove_dir(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::remove_all(p, ec);
}

inline void warn_if_not_real_disk(const std::filesystem::path& p) {
  struct statfs st {};
  if (::statfs(p.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC)
    progress("WARNING: ", p.string(), " is tmpfs; fsync is free there, use --dir on real disk");
}

/// Where scratch data goes without --dir: $TMPDIR, else /tmp.
inline std::filesystem::path default_parent_dir() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

/// A fresh `<bench_name>_bench.XXXXXX` directory, removed with everything in it on destruction.
class scratch_dir {
public:
  /// Creates `parent` if need be; throws std::runtime_error if mkdtemp fails.
  static scratch_dir make(const std::filesystem::path& parent) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    std::string tmpl = (parent / (std::string(bench_name) + "_bench.XXXXXX")).string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp in " + parent.string() + " failed");
    return scratch_dir{tmpl};
  }
  scratch_dir(scratch_dir&& o) noexcept
      : path_(std::exchange(o.path_, {})) {}
  scratch_dir& operator=(scratch_dir&&) = delete;
  ~scratch_dir() {
    if (!path_.empty())
      remove_dir(path_);
  }
  const std::filesystem::path& path() const { return path_; }

private:
  explicit scratch_dir(std::filesystem::path p)
      : path_(std::move(p)) {}
  std::filesystem::path path_;
};

/// Ctrl-C or a kill must not leave gigabytes of scratch data (or a server: `before_exit`)
/// behind: the signals are blocked in every thread and one thread waits for them, calls
/// `before_exit`, removes `root` and exits. Call before starting any other thread.
inline void install_interrupt_cleanup(const std::filesystem::path& root,
                                      std::function<void()> before_exit = {}) {
  std::signal(SIGPIPE, SIG_IGN); // a closed stderr pipe must not skip the cleanup
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP})
    sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, root, before_exit = std::move(before_exit)] {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
      return;
    if (before_exit)
      before_exit();
    remove_dir(root);
    std::_Exit(128 + sig);
  }).detach();
}

} // namespace fp::bench
