#pragma once

// Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` once a family, then one
// sample a line. Names follow DESIGN.md section 6: `fp_<plane>_<counter>_total`.

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fp::cluster {

enum class metric_type { counter, gauge, histogram };

struct metric_sample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  /// Appended to the family's name: a histogram's `_bucket` (with an `le` label), `_sum`
  /// and `_count` samples.
  std::string suffix = {};
};

struct metric_family {
  std::string name; ///< counters end in `_total`
  std::string help;
  metric_type type = metric_type::counter;
  std::vector<metric_sample> samples;
};

/// Whether `name` is a valid metric or label name (`[a-zA-Z_:][a-zA-Z0-9_:]*`; labels
/// without `:`).
bool is_metric_name(std::string_view name, bool label = false);

/// A histogram family from cumulative bucket counts (`cumulative[i]` observations at most
/// `bounds[i]`; one more count than bounds, the last being +Inf and the total) and their sum.
metric_family histogram_family(std::string name, std::string help, std::span<const double> bounds,
                               std::span<const std::uint64_t> cumulative, double sum);

/// Appends one labelled series of a histogram family: its buckets (the labels, then `le`),
/// `_sum` and `_count`.
void append_histogram(metric_family& family,
                      const std::vector<std::pair<std::string, std::string>>& labels,
                      std::span<const double> bounds, std::span<const std::uint64_t> cumulative,
                      double sum);

/// The families as exposition text. Label values are escaped (`\\`, `\"`, `\n`); HELP text
/// escapes `\\` and `\n`. Families without samples still get their HELP and TYPE lines.
std::string exposition(const std::vector<metric_family>& families);

} // namespace fp::cluster
