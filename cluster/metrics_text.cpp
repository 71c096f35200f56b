#include "cluster/metrics_text.hpp"

#include <cmath>
#include <cstdio>
#include <string_view>

namespace fp::cluster {

namespace {

void append_escaped(std::string& out, std::string_view s, bool quotes) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out.push_back(c);
  }
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15) {
    out += std::to_string(static_cast<long long>(v));
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out += buf;
  }
}

} // namespace

bool is_metric_name(std::string_view name, bool label) {
  if (name.empty())
    return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (c == ':' && !label) || (i > 0 && c >= '0' && c <= '9');
    if (!ok)
      return false;
  }
  return true;
}

metric_family histogram_family(std::string name, std::string help, std::span<const double> bounds,
                               std::span<const std::uint64_t> cumulative, double sum) {
  metric_family f{std::move(name), std::move(help), metric_type::histogram, {}};
  append_histogram(f, {}, bounds, cumulative, sum);
  return f;
}

void append_histogram(metric_family& f,
                      const std::vector<std::pair<std::string, std::string>>& labels,
                      std::span<const double> bounds, std::span<const std::uint64_t> cumulative,
                      double sum) {
  for (std::size_t i = 0; i < cumulative.size(); ++i) {
    std::string le = "+Inf";
    if (i < bounds.size()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", bounds[i]); // the shortest form: le="0.00025"
      le = buf;
    }
    auto with_le = labels;
    with_le.emplace_back("le", std::move(le));
    f.samples.push_back({std::move(with_le), static_cast<double>(cumulative[i]), "_bucket"});
  }
  f.samples.push_back({labels, sum, "_sum"});
  f.samples.push_back(
      {labels, cumulative.empty() ? 0.0 : static_cast<double>(cumulative.back()), "_count"});
}

std::string exposition(const std::vector<metric_family>& families) {
  std::string out;
  for (auto& f : families) {
    out += "# HELP " + f.name + " ";
    append_escaped(out, f.help, false);
    out += "\n# TYPE " + f.name;
    out += f.type == metric_type::counter ? " counter\n"
           : f.type == metric_type::gauge ? " gauge\n"
                                          : " histogram\n";
    for (auto& s : f.samples) {
      out += f.name;
      out += s.suffix;
      if (!s.labels.empty()) {
        out.push_back('{');
        for (std::size_t i = 0; i < s.labels.size(); ++i) {
          if (i > 0)
            out.push_back(',');
          out += s.labels[i].first + "=\"";
          append_escaped(out, s.labels[i].second, true);
          out.push_back('"');
        }
        out.push_back('}');
      }
      out.push_back(' ');
      append_value(out, s.value);
      out.push_back('\n');
    }
  }
  return out;
}

} // namespace fp::cluster
