#include "feedbackstore.h"

#include "util/clock.h"

#include <QTest>

using namespace canary;
using namespace canary::gateway;
using namespace std::chrono_literals;

class TestFeedbackStore final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scoresOnce();
    void expiresAfterTtl();
    void forgetsOldestBeyondCapacity();
    void comparesNumbersByValue();
};

void TestFeedbackStore::scoresOnce()
{
    ManualClock clock;
    FeedbackStore store(10, 60s);
    store.remember("a", {VariantRole::Canary, "2.4.0", 1}, clock.now());
    auto result = store.label("a", 1, clock.now());
    QVERIFY(result.status == FeedbackStore::Status::Recorded);
    QVERIFY(result.correct);
    QVERIFY(result.served.variant == VariantRole::Canary);
    QCOMPARE(result.served.version, std::string("2.4.0"));
    QVERIFY(store.label("a", 1, clock.now()).status == FeedbackStore::Status::AlreadyLabelled);
    QVERIFY(store.label("b", 1, clock.now()).status == FeedbackStore::Status::Unknown);

    store.remember("c", {VariantRole::Production, "2.3.0", "fraud"}, clock.now());
    result = store.label("c", "legit", clock.now());
    QVERIFY(result.status == FeedbackStore::Status::Recorded);
    QVERIFY(!result.correct);
}

void TestFeedbackStore::expiresAfterTtl()
{
    ManualClock clock;
    FeedbackStore store(10, 60s);
    store.remember("old", {VariantRole::Production, "1", 0}, clock.now());
    clock.advance(30s);
    store.remember("new", {VariantRole::Production, "1", 0}, clock.now());
    clock.advance(30s);
    QVERIFY(store.label("old", 0, clock.now()).status == FeedbackStore::Status::Unknown);
    QVERIFY(store.label("new", 0, clock.now()).status == FeedbackStore::Status::Recorded);
    clock.advance(30s);
    QCOMPARE(store.size(), std::size_t(1));
    QVERIFY(store.label("new", 0, clock.now()).status == FeedbackStore::Status::Unknown);
    QCOMPARE(store.size(), std::size_t(0));
}

void TestFeedbackStore::forgetsOldestBeyondCapacity()
{
    ManualClock clock;
    FeedbackStore store(3, 600s);
    for (int i = 0; i < 5; ++i) {
        store.remember(std::to_string(i), {VariantRole::Production, "1", i}, clock.now());
        clock.advance(1ms);
    }
    QCOMPARE(store.size(), std::size_t(3));
    QVERIFY(store.label("0", 0, clock.now()).status == FeedbackStore::Status::Unknown);
    QVERIFY(store.label("1", 1, clock.now()).status == FeedbackStore::Status::Unknown);
    for (int i = 2; i < 5; ++i)
        QVERIFY(store.label(std::to_string(i), i, clock.now()).correct);
}

void TestFeedbackStore::comparesNumbersByValue()
{
    ManualClock clock;
    FeedbackStore store(3, 600s);
    store.remember("x", {VariantRole::Production, "1", 1}, clock.now());
    QVERIFY(store.label("x", 1.0, clock.now()).correct);
}

QTEST_APPLESS_MAIN(TestFeedbackStore)
#include "tst_feedbackstore.moc"
