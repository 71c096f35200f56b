#include "cluster/metrics_text.hpp"

#include <doctest/doctest.h>

using namespace fp::cluster;

TEST_CASE("exposition: HELP and TYPE once a family, labels escaped, integers exact") {
  std::vector<metric_family> f{
      {"fp_core_commands_total",
       "Commands\nreceived \\ by entities",
       metric_type::counter,
       {{{{"type", "counter"}}, 12}, {{{"type", "a\"b\\c\nd"}}, 0}}},
      {"fp_journal_map_bytes", "Map size", metric_type::gauge, {{{}, 67108864}}},
      {"fp_http_requests_total", "Requests", metric_type::counter, {}},
      {"fp_x_ratio", "A ratio", metric_type::gauge, {{{}, 0.25}}},
  };
  CHECK(exposition(f) == "# HELP fp_core_commands_total Commands\\nreceived \\\\ by entities\n"
                         "# TYPE fp_core_commands_total counter\n"
                         "fp_core_commands_total{type=\"counter\"} 12\n"
                         "fp_core_commands_total{type=\"a\\\"b\\\\c\\nd\"} 0\n"
                         "# HELP fp_journal_map_bytes Map size\n"
                         "# TYPE fp_journal_map_bytes gauge\n"
                         "fp_journal_map_bytes 67108864\n"
                         "# HELP fp_http_requests_total Requests\n"
                         "# TYPE fp_http_requests_total counter\n"
                         "# HELP fp_x_ratio A ratio\n"
                         "# TYPE fp_x_ratio gauge\n"
                         "fp_x_ratio 0.25\n");
}

TEST_CASE("metric and label names") {
  CHECK(is_metric_name("fp_core_commands_total"));
  CHECK(is_metric_name("fp:rule"));
  CHECK_FALSE(is_metric_name("fp:rule", true));
  CHECK_FALSE(is_metric_name("1fp"));
  CHECK_FALSE(is_metric_name("fp-core"));
  CHECK_FALSE(is_metric_name(""));
}

TEST_CASE("exposition: a histogram gives cumulative buckets with le, then _sum and _count") {
  const double bounds[] = {0.00025, 0.001, 1};
  const std::uint64_t cumulative[] = {2, 5, 5, 7};
  std::vector<metric_family> f{histogram_family("fp_journal_commit_seconds", "Commits by duration",
                                                bounds, cumulative, 0.5)};
  CHECK(exposition(f) == "# HELP fp_journal_commit_seconds Commits by duration\n"
                         "# TYPE fp_journal_commit_seconds histogram\n"
                         "fp_journal_commit_seconds_bucket{le=\"0.00025\"} 2\n"
                         "fp_journal_commit_seconds_bucket{le=\"0.001\"} 5\n"
                         "fp_journal_commit_seconds_bucket{le=\"1\"} 5\n"
                         "fp_journal_commit_seconds_bucket{le=\"+Inf\"} 7\n"
                         "fp_journal_commit_seconds_sum 0.5\n"
                         "fp_journal_commit_seconds_count 7\n");
}

TEST_CASE("exposition: a labelled histogram series puts le after its own labels") {
  const double bounds[] = {0.001, 0.01};
  const std::uint64_t cumulative[] = {1, 3, 4};
  metric_family f{"fp_http_request_seconds", "Handler durations", metric_type::histogram, {}};
  append_histogram(f, {{"server", "admin"}, {"route", "/admin/entities/*"}}, bounds, cumulative,
                   0.25);
  CHECK(
      exposition({f}) ==
      "# HELP fp_http_request_seconds Handler durations\n"
      "# TYPE fp_http_request_seconds histogram\n"
      "fp_http_request_seconds_bucket{server=\"admin\",route=\"/admin/entities/*\",le=\"0.001\"} "
      "1\n"
      "fp_http_request_seconds_bucket{server=\"admin\",route=\"/admin/entities/*\",le=\"0.01\"} 3\n"
      "fp_http_request_seconds_bucket{server=\"admin\",route=\"/admin/entities/*\",le=\"+Inf\"} 4\n"
      "fp_http_request_seconds_sum{server=\"admin\",route=\"/admin/entities/*\"} 0.25\n"
      "fp_http_request_seconds_count{server=\"admin\",route=\"/admin/entities/*\"} 4\n");
}
