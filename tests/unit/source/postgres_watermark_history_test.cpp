// The resumed snapshot's visibility check: a transaction the stream carried before a chunk's
// low watermark, but which the chunk's SELECT did not see yet (its commit record was written,
// it was not visible yet), must have its keys dropped from the chunk.
#include <catch2/catch.hpp>

#include "source/postgres/watermark_history.hpp"

namespace tributary::source::postgres {
namespace {

XidSnapshot snapshot(std::string_view text) {
  auto parsed = XidSnapshot::parse(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

TEST_CASE("pg_current_snapshot text is parsed, epochs dropped") {
  auto s = snapshot("100:105:101,103");
  CHECK(s.xmin == 100);
  CHECK(s.xmax == 105);
  CHECK(s.in_progress == std::vector<uint32_t>{101, 103});
  CHECK(snapshot("7:7:").in_progress.empty());
  // xid8 with epoch 1: the low 32 bits are the xid pgoutput sends.
  CHECK(snapshot("4294967396:4294967400:").xmin == 100);
  CHECK_FALSE(XidSnapshot::parse("100").has_value());
  CHECK_FALSE(XidSnapshot::parse("a:105:").has_value());
  CHECK_FALSE(XidSnapshot::parse("100:105:1,x").has_value());
}

TEST_CASE("a snapshot sees what finished before it, not what was running or began after") {
  auto s = snapshot("100:105:101,103");
  CHECK(s.sees(99));
  CHECK(s.sees(100));
  CHECK_FALSE(s.sees(101));
  CHECK(s.sees(102));
  CHECK_FALSE(s.sees(103));
  CHECK(s.sees(104));
  CHECK_FALSE(s.sees(105));
  CHECK_FALSE(s.sees(200));
  // Across wraparound: 2^32 - 2 precedes 3.
  auto w = snapshot("4294967294:3:1");
  CHECK(w.sees(4294967290u));
  CHECK(w.sees(4294967295u));
  CHECK_FALSE(w.sees(1));
  CHECK(w.sees(2));
  CHECK_FALSE(w.sees(3));
}

TEST_CASE("keys of transactions a chunk did not see are stale until a chunk sees them") {
  ChangeHistory history;
  history.note(101, "public.t", {"1"});
  history.note(101, "public.t", {"2"});
  history.note(101, "public.u", {"9"});
  history.note(102, "public.t", {"3"});

  auto first = snapshot("100:105:101");
  auto stale = history.unseen("public.t", first);
  CHECK(stale.keys == std::set<std::vector<std::string>>{{"1"}, {"2"}});
  CHECK_FALSE(stale.truncated);
  CHECK(history.unseen("public.u", first).keys.size() == 1);

  history.forget_seen(first);  // 102 seen: forgotten
  CHECK(history.transactions() == 1);
  auto second = snapshot("106:106:");
  CHECK(history.unseen("public.t", second).keys.empty());
  history.forget_seen(second);
  CHECK(history.transactions() == 0);
}

TEST_CASE("a truncate by an unseen transaction drops the whole chunk") {
  ChangeHistory history;
  history.note_truncate(50, "public.t");
  CHECK(history.unseen("public.t", snapshot("49:52:50")).truncated);
  CHECK_FALSE(history.unseen("public.t", snapshot("51:52:")).truncated);
  CHECK_FALSE(history.unseen("public.other", snapshot("49:52:50")).truncated);
}

}  // namespace
}  // namespace tributary::source::postgres
