// Notification suppression in both directions: the device's kick
// suppression (used->flags / avail_event) and the driver's interrupt
// suppression (avail->flags / used_event), with and without EVENT_IDX.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/unit/ring_fixture.hpp"
#include "virtio/ring_layout.hpp"

namespace unit {
namespace {

using virtio::need_event;
using virtio::PopStatus;

// --- need_event ----------------------------------------------------------------

// need_event(event, new, old): the driver wants an interrupt once the used
// index moves past `event`, i.e. for event in [old, new).
static_assert(need_event(0, 1, 0));
static_assert(!need_event(1, 1, 0));
static_assert(!need_event(0, 0, 0));

struct NeedEventCase {
  uint16_t event, new_idx, old_idx;
  bool expected;
};

TEST(NeedEventTest, EdgeCases) {
  const NeedEventCase cases[] = {
      {5, 10, 5, true},           // event == old: the first new entry crosses it
      {9, 10, 5, true},           // event == new - 1
      {10, 10, 5, false},         // event == new: not yet
      {4, 10, 5, false},          // already behind old: signalled before
      {7, 7, 7, false},           // nothing new
      {65535, 0, 65535, true},    // wrap: 65535 -> 0 crosses 65535
      {65534, 2, 65534, true},    // wrap, event == old
      {0, 2, 65534, true},        // wrap, event past the wrap
      {1, 2, 65534, true},        // wrap, event == new - 1
      {2, 2, 65534, false},       // wrap, event == new
      {65533, 2, 65534, false},   // wrap, event behind old
      {30000, 40000, 20000, true},
      {50000, 40000, 20000, false},
      {0, 32768, 0, true},        // half the index space in one publish
      {32768, 32768, 0, false},
  };
  for (const NeedEventCase& c : cases)
    EXPECT_EQ(need_event(c.event, c.new_idx, c.old_idx), c.expected)
        << "event " << c.event << " new " << c.new_idx << " old " << c.old_idx;
}

TEST(NeedEventTest, ExactlyOneStepCrossesEachEvent) {
  // Publishing one entry at a time, exactly one step crosses any event.
  for (uint32_t event : {0u, 1u, 100u, 65534u, 65535u}) {
    int hits = 0;
    for (uint32_t i = 0; i < 65536; ++i)
      hits += need_event(static_cast<uint16_t>(event), static_cast<uint16_t>(i + 1), static_cast<uint16_t>(i));
    EXPECT_EQ(hits, 1) << event;
  }
}

// --- without EVENT_IDX -------------------------------------------------------------

using FlagsTest = RingTest;

TEST_F(FlagsTest, DisableAndEnableToggleNoNotify) {
  start();
  EXPECT_EQ(ring().used_flags(), 0);
  queue().disable_notifications();
  EXPECT_EQ(ring().used_flags(), virtio::kUsedFlagNoNotify);
  EXPECT_FALSE(queue().enable_notifications());
  EXPECT_EQ(ring().used_flags(), 0);
  EXPECT_EQ(ring().avail_event(), 0);  // untouched without EVENT_IDX
}

TEST_F(FlagsTest, EnableReportsChainsAddedWhileDisabled) {
  start();
  queue().disable_notifications();
  const uint16_t head = ring().post({{put(pattern(4)), 4}});
  EXPECT_TRUE(queue().enable_notifications());  // lost-wakeup check
  expect_chain(head);
  EXPECT_FALSE(queue().enable_notifications());
}

TEST_F(FlagsTest, EnableReportsChainsPoppedButNotAllOfThem) {
  start();
  ring().post({{put(pattern(4)), 4}});
  ring().post({{put(pattern(4)), 4}});
  ASSERT_EQ(pop().status, PopStatus::kChain);
  EXPECT_TRUE(queue().enable_notifications());
  ASSERT_EQ(pop().status, PopStatus::kChain);
  EXPECT_FALSE(queue().enable_notifications());
  EXPECT_EQ(pop().status, PopStatus::kEmpty);
}

TEST_F(FlagsTest, FirstPublishAlwaysInterrupts) {
  start();
  ring().set_avail_flags(virtio::kAvailFlagNoInterrupt);
  queue().add_used(0, 0);
  EXPECT_TRUE(queue().publish_used());
}

TEST_F(FlagsTest, NoInterruptFlagSuppressesLaterPublishes) {
  start();
  queue().add_used(0, 0);
  ASSERT_TRUE(queue().publish_used());
  ring().set_avail_flags(virtio::kAvailFlagNoInterrupt);
  queue().add_used(1, 0);
  EXPECT_FALSE(queue().publish_used());
  EXPECT_EQ(ring().used_idx(), 2);  // published all the same
  ring().set_avail_flags(0);
  queue().add_used(2, 0);
  EXPECT_TRUE(queue().publish_used());
  EXPECT_EQ(ring().used_idx(), 3);
}

TEST_F(FlagsTest, UsedEventIsIgnoredWithoutEventIdx) {
  start();
  queue().add_used(0, 0);
  ASSERT_TRUE(queue().publish_used());
  ring().set_used_event(100);  // far ahead: would suppress with EVENT_IDX
  queue().add_used(1, 0);
  EXPECT_TRUE(queue().publish_used());
}

// --- with EVENT_IDX ------------------------------------------------------------------

class EventIdxTest : public RingTest {
 protected:
  // Adds `n` used entries and publishes them; returns whether to interrupt.
  bool publish(int n) {
    for (int i = 0; i < n; ++i) queue().add_used(0, 0);
    return queue().publish_used();
  }
};

TEST_F(EventIdxTest, EnableWritesNextAvailIntoAvailEvent) {
  start({.event_idx = true});
  for (int i = 0; i < 3; ++i) ring().post({{put(pattern(1)), 1}});
  for (int i = 0; i < 3; ++i) ASSERT_EQ(pop().status, PopStatus::kChain);
  EXPECT_FALSE(queue().enable_notifications());
  EXPECT_EQ(ring().avail_event(), 3);
  EXPECT_EQ(ring().used_flags(), 0);
}

TEST_F(EventIdxTest, DisableLeavesFlagsAndAvailEventAlone) {
  start({.event_idx = true});
  ring().post({{put(pattern(1)), 1}});
  ASSERT_EQ(pop().status, PopStatus::kChain);
  ASSERT_FALSE(queue().enable_notifications());
  ASSERT_EQ(ring().avail_event(), 1);
  queue().disable_notifications();
  EXPECT_EQ(ring().used_flags(), 0);
  EXPECT_EQ(ring().avail_event(), 1);
}

TEST_F(EventIdxTest, EnableReportsChainsAddedBeforeIt) {
  start({.event_idx = true});
  queue().disable_notifications();
  const uint16_t head = ring().post({{put(pattern(4)), 4}});
  EXPECT_TRUE(queue().enable_notifications());
  EXPECT_EQ(ring().avail_event(), 0);  // the chain is not popped yet
  expect_chain(head);
  EXPECT_FALSE(queue().enable_notifications());
  EXPECT_EQ(ring().avail_event(), 1);
}

TEST_F(EventIdxTest, AvailEventWrapsWithTheIndex) {
  ring().set_avail_idx(65535);
  start({.event_idx = true, .next_avail = 65535});
  ring().post({{put(pattern(1)), 1}});
  ring().post({{put(pattern(1)), 1}});
  ASSERT_EQ(pop().status, PopStatus::kChain);
  EXPECT_TRUE(queue().enable_notifications());
  EXPECT_EQ(ring().avail_event(), 0);
  ASSERT_EQ(pop().status, PopStatus::kChain);
  EXPECT_FALSE(queue().enable_notifications());
  EXPECT_EQ(ring().avail_event(), 1);
}

TEST_F(EventIdxTest, PublishInterruptsExactlyWhenUsedEventIsCrossed) {
  start({.event_idx = true});
  ring().set_used_event(100);
  ASSERT_TRUE(publish(1));  // the first publish always interrupts; idx 1
  ring().set_used_event(3);
  EXPECT_FALSE(publish(1));  // 1 -> 2
  EXPECT_FALSE(publish(1));  // 2 -> 3: entry 3 not written yet
  EXPECT_TRUE(publish(1));   // 3 -> 4 crosses 3
  EXPECT_FALSE(publish(1));  // 4 -> 5: event already behind
  ring().set_used_event(7);
  EXPECT_TRUE(publish(4));   // 5 -> 9 crosses 7 inside the batch
  ring().set_used_event(9);
  EXPECT_TRUE(publish(1));   // event == old
  EXPECT_EQ(ring().used_idx(), 10);
}

TEST_F(EventIdxTest, NoInterruptFlagIsIgnoredWithEventIdx) {
  start({.event_idx = true});
  ASSERT_TRUE(publish(1));
  ring().set_avail_flags(virtio::kAvailFlagNoInterrupt);
  ring().set_used_event(1);
  EXPECT_TRUE(publish(1));
  EXPECT_FALSE(publish(1));
}

TEST_F(EventIdxTest, UsedEventAcross16BitWrap) {
  // Resume both rings just below the wrap, as after SET_VRING_BASE.
  ring().set_avail_idx(65533);
  ring().set_used_idx(65533);
  start({.event_idx = true, .next_avail = 65533});
  ring().set_used_event(0);
  ASSERT_TRUE(publish(1));    // first publish; used idx 65534
  ring().set_used_event(65535);
  EXPECT_FALSE(publish(1));   // 65534 -> 65535
  EXPECT_TRUE(publish(1));    // 65535 -> 0 crosses 65535
  ring().set_used_event(1);
  EXPECT_TRUE(publish(3));    // 0 -> 3 crosses 1
  ring().set_used_event(65534);
  EXPECT_FALSE(publish(2));   // far behind: no interrupt
  EXPECT_EQ(ring().used_idx(), 5);
}

TEST_F(EventIdxTest, ChainsFlowAcrossTheWrapWithEventIdx) {
  ring().set_avail_idx(65534);
  ring().set_used_idx(65534);
  start({.event_idx = true, .next_avail = 65534});
  std::vector<uint16_t> heads;
  for (int i = 0; i < 4; ++i) heads.push_back(ring().post({{put(pattern(2, i)), 2}}));
  for (uint16_t head : heads) {
    expect_chain(head);
    queue().add_used(head, 2);
    if (head == heads[0]) {
      ASSERT_TRUE(queue().publish_used());  // the first always interrupts
    }
  }
  ring().set_used_event(0);
  EXPECT_TRUE(queue().publish_used());  // 65535 -> 2 crosses 0
  EXPECT_EQ(ring().used_idx(), 2);
  for (uint16_t head : heads) {
    const auto e = ring().pop_used();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->id, head);
  }
  EXPECT_FALSE(queue().enable_notifications());
  EXPECT_EQ(ring().avail_event(), 2);
}

}  // namespace
}  // namespace unit
