#include "actors/ingress/wsp/rules.hpp"
#include "actors/ingress/wsp/store.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

using namespace fp::wsp;
using namespace std::chrono_literals;

TEST_CASE("classify: IG's answers to outcomes") {
  CHECK(classify(200, R"({"decision":"ADMITTED"})") == outcome::admitted);
  CHECK(classify(200, R"({"decision":"DUPLICATE"})") == outcome::duplicate);
  CHECK(classify(422, R"({"decision":"QUARANTINE","reason":"x"})") == outcome::quarantined);
  CHECK(classify(409, R"({"decision":"QUARANTINE"})") == outcome::quarantined);
  CHECK(classify(422, R"({"error":{"code":"bad_format"}})") == outcome::reject);
  CHECK(classify(200, R"({"decision":"ADMIT"})") == outcome::reject); // not IG's vocabulary
  CHECK(classify(200, "ok") == outcome::reject);
  for (int s : {400, 401, 403, 404, 413})
    CHECK(classify(s, "{}") == outcome::reject);
  for (int s : {-1, 408, 429, 500, 502, 503, 504})
    CHECK(classify(s, "") == outcome::retry);
}

TEST_CASE("backoff doubles from min and stops at max") {
  CHECK(backoff_delay(0, 50ms, 5000ms) == 50ms);
  CHECK(backoff_delay(1, 50ms, 5000ms) == 100ms);
  CHECK(backoff_delay(3, 50ms, 5000ms) == 400ms);
  CHECK(backoff_delay(7, 50ms, 5000ms) == 5000ms);
  CHECK(backoff_delay(200, 50ms, 5000ms) == 5000ms);
}

TEST_CASE("resend_selected is a deterministic fraction of event ids") {
  int picked = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto id = std::to_string(i);
    bool a = resend_selected(id, 1000);
    CHECK(a == resend_selected(id, 1000));
    picked += a;
    CHECK_FALSE(resend_selected(id, 0));
    CHECK(resend_selected(id, 10'000));
  }
  CHECK(picked > 850);
  CHECK(picked < 1150);
}

TEST_CASE("pacing: ts_utc distances divided by the speedup, 0 is realistic time") {
  CHECK(due_after_us(1000, 61'000, 600) == 100'000);
  CHECK(due_after_us(1000, 61'000, 0) == 60'000'000);
  CHECK(due_after_us(1000, 61'000, 1) == 60'000'000);
  CHECK(due_after_us(5000, 1000, 10) == 0);
}

TEST_CASE("parse_ts_ms reads the world's ts_utc") {
  auto t = parse_ts_ms("2026-01-01T00:00:00.000Z");
  REQUIRE(t);
  CHECK(*t == 1767225600000);
  auto u = parse_ts_ms("2026-01-01T00:01:02.5Z");
  REQUIRE(u);
  CHECK(*u == 1767225662500);
  auto v = parse_ts_ms("2024-02-29T12:00:00Z");
  REQUIRE(v);
  CHECK(*v == 1709208000000);
  CHECK_FALSE(parse_ts_ms("2026-13-01T00:00:00Z"));
  CHECK_FALSE(parse_ts_ms("2026-01-01 00:00:00Z"));
  CHECK_FALSE(parse_ts_ms("2026-01-01T00:00:00"));
}

TEST_CASE("file_store: checkpoints and READY dedupe survive reopening") {
  char tmpl[] = "/tmp/fp-wsp-store-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  checkpoint c;
  c.next_row = 42;
  c.counts = {42, 50, 40, 2, 0, 8, 1};
  c.retry_since_ms = 1767225600000;
  {
    file_store s(dir);
    auto none = s.load("m1", "out_a");
    REQUIRE(none);
    CHECK_FALSE(*none);
    REQUIRE(s.save("m1", "out_a", c));
    auto r = s.ready_done("m1");
    REQUIRE(r);
    CHECK_FALSE(*r);
    REQUIRE(s.mark_ready_done("m1", R"({"ok":true})"));
    CHECK_FALSE(s.save("../m1", "out_a", c));
  }
  file_store s(dir);
  auto got = s.load("m1", "out_a");
  REQUIRE(got);
  REQUIRE(*got);
  CHECK(**got == c);
  auto r = s.ready_done("m1");
  REQUIRE(r);
  REQUIRE(*r);
  CHECK(**r == R"({"ok":true})");
  std::filesystem::remove_all(dir);
}
