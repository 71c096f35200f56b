#include "actors/ingress/ig/tuple_entity.hpp"

#include <doctest/doctest.h>

using namespace fp::ig;

namespace {

decision dec(std::string attempt, std::string hash) {
  decision d;
  d.attempt = std::move(attempt);
  d.received_at_utc = "2026-01-01T00:00:00.000000000Z";
  d.payload_hash = std::move(hash);
  d.policy_rev = "rev";
  d.service_release_id = "rel";
  return d;
}

tuple_command op(tuple_op o) {
  tuple_command c;
  c.op = o;
  return c;
}

tuple_state run(tuple_state s, const tuple_command& c, tuple_outcome want) {
  auto evs = tuple_def::handle(s, c);
  REQUIRE(evs.has_value());
  for (auto& e : *evs) {
    fp::journal::record_view r;
    auto data = tuple_def::encode(e);
    r.event_type = data.event_type;
    r.schema_version = data.schema_version;
    r.payload = data.payload;
    auto back = tuple_def::decode(r);
    REQUIRE(back.has_value());
    CHECK(*back == e); // codec round trip
    tuple_def::apply(s, *back);
  }
  CHECK(tuple_def::reply_for(s, c).outcome == want);
  fp::journal::record_view snap;
  auto bytes = tuple_def::encode_state(s);
  snap.schema_version = tuple_def::state_version();
  snap.payload = bytes;
  auto restored = tuple_def::decode_state(snap);
  REQUIRE(restored.has_value());
  CHECK(*restored == s); // snapshot round trip
  return s;
}

} // namespace

TEST_CASE("the publish state machine and the decisions") {
  tuple_id t{"platform_20260101T000000Z", "traffic_fraud", "e1"};
  auto receive = op(tuple_op::receive);
  receive.tuple = t;
  receive.d = dec("a1", "h1");
  receive.route = {"topic", 3, "k", 10, "bytes"};
  auto s = run({}, receive, tuple_outcome::publish);
  CHECK(s.status == publish_status::in_flight);
  CHECK(s.route.end_offset == 10);
  CHECK(s.admission.ordinal == 0);
  // Another attempt while in flight: nothing journaled, reconcile.
  auto again = receive;
  again.d.attempt = "a2";
  CHECK(tuple_def::handle(s, again).value().empty());
  s = run(s, again, tuple_outcome::in_flight);
  auto amb = op(tuple_op::mark_ambiguous);
  s = run(s, amb, tuple_outcome::noop);
  CHECK(s.status == publish_status::ambiguous);
  auto admit = op(tuple_op::admit);
  admit.eb_ref = {"topic", 3, 12};
  admit.receipt = receipt_status::failed;
  s = run(s, admit, tuple_outcome::admitted);
  CHECK(s.status == publish_status::admitted);
  CHECK(s.route.record.empty());
  CHECK(s.admission_receipt == receipt_status::failed);
  // Admitting at another offset is refused; at the same one it is a no-op.
  auto other = admit;
  other.eb_ref.offset = 13;
  CHECK(!tuple_def::handle(s, other).has_value());
  CHECK(tuple_def::handle(s, admit).value().empty());
  // Backfilled receipt.
  auto written = op(tuple_op::receipt_written);
  written.ordinal = 0;
  s = run(s, written, tuple_outcome::noop);
  CHECK(s.admission_receipt == receipt_status::written);
  // Same hash: duplicate; other hash: quarantined; never replaced.
  auto dup = receive;
  dup.d.attempt = "a3";
  s = run(s, dup, tuple_outcome::duplicate);
  CHECK(s.pending.size() == 1);
  CHECK(s.pending[0].d.ordinal == 1);
  auto bad = receive;
  bad.d = dec("a4", "h2");
  // The mismatch is answered, not journaled: the gate journals it after its evidence.
  CHECK(tuple_def::handle(s, bad).value().empty());
  auto answer = tuple_def::reply_for(s, bad);
  CHECK(answer.outcome == tuple_outcome::hash_mismatch);
  CHECK(answer.d.reason == "PAYLOAD_HASH_MISMATCH");
  CHECK(answer.d.ordinal == 2);
  CHECK(s.pending.size() == 1);
  auto journal_it = op(tuple_op::quarantine);
  journal_it.tuple = bad.tuple;
  journal_it.d = answer.d;
  s = run(s, journal_it, tuple_outcome::hash_mismatch);
  CHECK(s.pending.size() == 2);
  CHECK(s.pending[1].d.reason == "PAYLOAD_HASH_MISMATCH");
  CHECK(s.admission.payload_hash == "h1");
  CHECK(s.eb_ref->offset == 12);
  auto failed = op(tuple_op::receipt_failed);
  failed.ordinal = 2;
  s = run(s, failed, tuple_outcome::noop);
  CHECK(s.pending[1].status == receipt_status::failed);
  written.ordinal = 1;
  s = run(s, written, tuple_outcome::noop);
  CHECK(s.pending.size() == 1);
  CHECK(s.decisions == 3);
  CHECK(s.duplicates == 1);
  CHECK(s.quarantines == 1);
  // Another tuple's command on this entity is refused.
  auto wrong = receive;
  wrong.tuple.event_id = "e2";
  CHECK(!tuple_def::handle(s, wrong).has_value());
}

TEST_CASE("a decoder refuses other bytes") {
  fp::journal::record_view r;
  r.event_type = "ig.received";
  r.schema_version = 1;
  r.payload = "\x93\x01\x02\x03";
  CHECK(!tuple_def::decode(r).has_value());
  r.schema_version = 2;
  CHECK(!tuple_def::decode(r).has_value());
}
