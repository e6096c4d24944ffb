// Timers on virtual time (ManualScheduler) and on the Qt event loop (QtScheduler).
#include "util/clock.h"
#include "util/scheduler.h"

#include <QCoreApplication>
#include <QTest>

#include <map>
#include <memory>
#include <string>

using namespace canary;
using namespace std::chrono_literals;

namespace {

// Four named timers on one manual scheduler; each shot is written down as "A@300", the clock's
// offset from the start read inside the callback.
struct Bench
{
    ManualClock clock;
    ManualScheduler scheduler{clock};
    const SystemTime start = clock.now();
    QStringList fired;
    std::map<QChar, std::unique_ptr<Timer>> timers;

    Bench()
    {
        for (const QChar name : {u'A', u'B', u'C', u'D'})
            timers[name] = scheduler.createTimer([this, name] { fired << shot(name); });
    }

    QString shot(QChar name) const
    {
        const auto offset =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - start);
        return QStringLiteral("%1@%2").arg(name).arg(offset.count());
    }

    // "A 300" starts A with 300 ms from now; "A stop" stops it.
    void run(const QString &step)
    {
        const QStringList words = step.split(u' ');
        Timer &timer = *timers.at(words.at(0).at(0));
        if (words.at(1) == QLatin1String("stop"))
            timer.stop();
        else
            timer.start(std::chrono::milliseconds(words.at(1).toInt()));
    }
};

} // namespace

class TestScheduler final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void shotsFireInDueOrder_data();
    void shotsFireInDueOrder();
    void pollLoopRestartsItselfInsideAdvance();
    void timersStartedOrStoppedByACallbackCountInTheSameAdvance();
    void fireNextMovesTheClockToTheShot();
    void destroyingATimerCancelsIt();
    void timerDestroyedInsideItsOwnCallback();
    void timerOutlivesItsScheduler();
    void clockNeverGoesBack();
    void qtTimerFiresThroughTheEventLoop();
    void qtRestartReplacesThePendingShot();
    void qtTimerDestroyedBeforeItsShot();
    void qtTimerDestroyedInsideItsOwnCallback();
};

void TestScheduler::shotsFireInDueOrder_data()
{
    QTest::addColumn<QStringList>("steps");
    QTest::addColumn<int>("advanceMs");
    QTest::addColumn<QStringList>("fired");
    QTest::addColumn<int>("activeAfter");

    const auto L = [](std::initializer_list<const char *> items) {
        QStringList list;
        for (const char *item : items)
            list << QString::fromLatin1(item);
        return list;
    };
    QTest::newRow("due order") << L({"A 300", "B 100", "C 200"}) << 1000
                               << L({"B@100", "C@200", "A@300"}) << 0;
    QTest::newRow("ties in start order")
        << L({"B 100", "A 100", "C 100"}) << 1000 << L({"B@100", "A@100", "C@100"}) << 0;
    QTest::newRow("restart sooner replaces the pending shot")
        << L({"A 500", "A 200"}) << 1000 << L({"A@200"}) << 0;
    QTest::newRow("restart later replaces the pending shot")
        << L({"A 200", "A 500"}) << 1000 << L({"A@500"}) << 0;
    QTest::newRow("restart moves a tie to the back")
        << L({"A 100", "B 100", "A 100"}) << 1000 << L({"B@100", "A@100"}) << 0;
    QTest::newRow("stop") << L({"A 100", "B 200", "A stop"}) << 1000 << L({"B@200"}) << 0;
    QTest::newRow("stop of an idle timer") << L({"A stop", "B 200"}) << 1000 << L({"B@200"}) << 0;
    QTest::newRow("not yet due stays pending") << L({"A 100", "B 900"}) << 500 << L({"A@100"}) << 1;
    QTest::newRow("due exactly at the end fires") << L({"A 500"}) << 500 << L({"A@500"}) << 0;
    QTest::newRow("zero delay fires in advance(0)") << L({"A 0"}) << 0 << L({"A@0"}) << 0;
    QTest::newRow("negative delay means now") << L({"A -50"}) << 0 << L({"A@0"}) << 0;
    QTest::newRow("nothing started") << QStringList() << 1000 << QStringList() << 0;
}

void TestScheduler::shotsFireInDueOrder()
{
    QFETCH(QStringList, steps);
    QFETCH(int, advanceMs);
    QFETCH(QStringList, fired);
    QFETCH(int, activeAfter);

    Bench bench;
    for (const QString &step : steps)
        bench.run(step);
    QVERIFY(bench.fired.isEmpty()); // nothing fires outside advance()
    bench.scheduler.advance(std::chrono::milliseconds(advanceMs));
    QCOMPARE(bench.fired, fired);
    QCOMPARE(bench.scheduler.activeTimers(), activeAfter);
    QCOMPARE(bench.clock.now(), bench.start + std::chrono::milliseconds(advanceMs));
}

void TestScheduler::pollLoopRestartsItselfInsideAdvance()
{
    ManualClock clock;
    ManualScheduler scheduler(clock);
    const SystemTime start = clock.now();
    QList<SystemTime> seen;
    std::unique_ptr<Timer> poll;
    poll = scheduler.createTimer([&] {
        seen << clock.now();
        poll->start(1s);
    });
    poll->start(1s);

    scheduler.advance(10s);

    QCOMPARE(seen.size(), 10);
    for (int i = 0; i < seen.size(); ++i)
        QCOMPARE(seen.at(i), start + std::chrono::seconds(i + 1));
    QCOMPARE(clock.now(), start + 10s);
    QVERIFY(poll->isActive());
    QCOMPARE(scheduler.nextDue(), std::optional(start + 11s));
}

void TestScheduler::timersStartedOrStoppedByACallbackCountInTheSameAdvance()
{
    Bench bench;
    // A starts C 50 ms after itself and stops D, which was due before C.
    bench.timers[u'A'] = bench.scheduler.createTimer([&] {
        bench.fired << bench.shot(u'A');
        bench.timers.at(u'C')->start(50ms);
        bench.timers.at(u'D')->stop();
    });
    bench.run(QStringLiteral("A 100"));
    bench.run(QStringLiteral("D 120"));
    bench.run(QStringLiteral("B 200"));
    bench.scheduler.advance(1s);
    QCOMPARE(bench.fired, QStringList({QStringLiteral("A@100"), QStringLiteral("C@150"),
                                       QStringLiteral("B@200")}));
}

void TestScheduler::fireNextMovesTheClockToTheShot()
{
    Bench bench;
    QVERIFY(!bench.scheduler.fireNext());
    QCOMPARE(bench.scheduler.nextDue(), std::nullopt);
    bench.run(QStringLiteral("A 700"));
    bench.run(QStringLiteral("B 300"));
    QCOMPARE(bench.scheduler.nextDue(), std::optional(bench.start + 300ms));
    QCOMPARE(bench.scheduler.activeTimers(), 2);

    QVERIFY(bench.scheduler.fireNext());
    QCOMPARE(bench.fired, QStringList{QStringLiteral("B@300")});
    QCOMPARE(bench.clock.now(), bench.start + 300ms);
    QVERIFY(bench.scheduler.fireNext());
    QCOMPARE(bench.clock.now(), bench.start + 700ms);
    QVERIFY(!bench.scheduler.fireNext());
    QCOMPARE(bench.fired.size(), 2);
}

void TestScheduler::destroyingATimerCancelsIt()
{
    Bench bench;
    bench.run(QStringLiteral("A 100"));
    bench.run(QStringLiteral("B 200"));
    bench.timers.at(u'A').reset();
    QCOMPARE(bench.scheduler.activeTimers(), 1);
    bench.scheduler.advance(1s);
    QCOMPARE(bench.fired, QStringList{QStringLiteral("B@200")});

    // A callback that destroys another pending timer cancels that one too.
    bench.timers[u'C'] = bench.scheduler.createTimer([&] { bench.timers.at(u'D').reset(); });
    bench.run(QStringLiteral("C 100"));
    bench.run(QStringLiteral("D 100"));
    bench.scheduler.advance(1s);
    QCOMPARE(bench.fired, QStringList{QStringLiteral("B@200")});
    QCOMPARE(bench.scheduler.activeTimers(), 0);
}

void TestScheduler::timerDestroyedInsideItsOwnCallback()
{
    ManualClock clock;
    ManualScheduler scheduler(clock);
    std::unique_ptr<Timer> timer;
    QString said;
    // The capture outlives the reset: under ASan a freed callback would be caught here.
    const QString word = QStringLiteral("still here");
    timer = scheduler.createTimer([&timer, &said, word] {
        timer.reset();
        said = word;
    });
    timer->start(10ms);
    scheduler.advance(1s);
    QVERIFY(!timer);
    QCOMPARE(said, word);
    QCOMPARE(scheduler.activeTimers(), 0);
}

void TestScheduler::timerOutlivesItsScheduler()
{
    ManualClock clock;
    int fired = 0;
    std::unique_ptr<Timer> timer;
    {
        ManualScheduler scheduler(clock);
        timer = scheduler.createTimer([&fired] { ++fired; });
        timer->start(10ms);
        QVERIFY(timer->isActive());
    }
    QVERIFY(!timer->isActive());
    timer->start(10ms); // harmless: there is nothing left to fire it
    QVERIFY(!timer->isActive());
    timer->stop();
    timer.reset();
    QCOMPARE(fired, 0);
}

void TestScheduler::clockNeverGoesBack()
{
    Bench bench;
    bench.run(QStringLiteral("A 100"));
    bench.clock.advance(500ms); // moved by hand past A's due time
    bench.scheduler.advance(0ms);
    QCOMPARE(bench.fired, QStringList{QStringLiteral("A@500")});
    QCOMPARE(bench.clock.now(), bench.start + 500ms);
}

void TestScheduler::qtTimerFiresThroughTheEventLoop()
{
    QtScheduler &scheduler = QtScheduler::instance();
    QCOMPARE(&scheduler.clock(), static_cast<const Clock *>(&SystemClock::instance()));
    int fired = 0;
    const auto timer = scheduler.createTimer([&fired] { ++fired; });
    QVERIFY(!timer->isActive());
    timer->start(20ms);
    QVERIFY(timer->isActive());
    QCOMPARE(fired, 0); // never synchronously, only from the event loop
    QTRY_COMPARE(fired, 1);
    QVERIFY(!timer->isActive()); // single shot

    timer->start(0ms);
    QCOMPARE(fired, 1);
    QTRY_COMPARE(fired, 2);
}

void TestScheduler::qtRestartReplacesThePendingShot()
{
    QtScheduler &scheduler = QtScheduler::instance();
    int fired = 0;
    bool sentinel = false;
    const auto timer = scheduler.createTimer([&fired] { ++fired; });
    const auto after = scheduler.createTimer([&sentinel] { sentinel = true; });
    timer->start(30ms);
    timer->start(30ms);
    after->start(150ms); // fires after every shot of `timer` would have
    QTRY_VERIFY(sentinel);
    QCOMPARE(fired, 1);

    timer->start(30ms);
    timer->stop();
    sentinel = false;
    after->start(150ms);
    QTRY_VERIFY(sentinel);
    QCOMPARE(fired, 1);
}

void TestScheduler::qtTimerDestroyedBeforeItsShot()
{
    QtScheduler &scheduler = QtScheduler::instance();
    int fired = 0;
    bool sentinel = false;
    auto timer = scheduler.createTimer([&fired] { ++fired; });
    const auto after = scheduler.createTimer([&sentinel] { sentinel = true; });
    timer->start(20ms);
    after->start(150ms);
    timer.reset();
    QTRY_VERIFY(sentinel);
    QCOMPARE(fired, 0);
}

void TestScheduler::qtTimerDestroyedInsideItsOwnCallback()
{
    QtScheduler &scheduler = QtScheduler::instance();
    std::unique_ptr<Timer> timer;
    QString said;
    const QString word = QStringLiteral("still here");
    timer = scheduler.createTimer([&timer, &said, word] {
        timer.reset();
        said = word;
    });
    timer->start(10ms);
    QTRY_COMPARE(said, word);
    QVERIFY(!timer);
    // The QTimer itself goes on the next turn of the loop; a leak shows under ASan.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

QTEST_GUILESS_MAIN(TestScheduler)
#include "tst_scheduler.moc"
