#include "metrics/timeseries.h"
#include "metrics/timeseriesstore.h"

#include <QTest>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

using namespace canary;
using namespace canary::metrics;
using namespace std::chrono_literals;

namespace {

const SystemTime kT0 = SystemTime(1'700'000'000'000ms);
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

SystemTime at(std::chrono::milliseconds offset)
{
    return kT0 + offset;
}

} // namespace

class TestTimeSeriesStore final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void appendKeepsOrder();
    void gapsAreExplicit();
    void retentionTrims();
    void rangeQuery_data();
    void rangeQuery();
    void decimationKeepsExtremesAndGaps();
    void decimationOfSmallRangeIsExact();
    void storeAppendsKpiResults();
    void storeRetentionAgesIdleLines();
    void dayAtOneSecondFitsInMemory();
};

void TestTimeSeriesStore::appendKeepsOrder()
{
    TimeSeries series;
    QVERIFY(series.append(at(0s), 1.0));
    QVERIFY(series.append(at(1s), 2.0));
    QVERIFY(series.append(at(1s), 3.0)); // same instant: kept in arrival order
    QVERIFY(!series.append(at(500ms), 4.0));
    QCOMPARE(series.size(), std::size_t(3));
    QCOMPARE(series.at(2).value, 3.0);
    QCOMPARE(series.back().time, at(1s));
}

void TestTimeSeriesStore::gapsAreExplicit()
{
    TimeSeries series;
    series.append(at(0s), 1.0);
    QVERIFY(series.appendGap(at(1s)));
    series.append(at(2s), kNaN);                                    // collapses
    series.append(at(3s), std::numeric_limits<double>::infinity()); // not drawable: gap
    series.append(at(4s), 5.0);
    QCOMPARE(series.size(), std::size_t(3));
    QVERIFY(!series.at(0).isGap());
    QVERIFY(series.at(1).isGap());
    QCOMPARE(series.at(1).time, at(1s));
    QCOMPARE(series.at(2).value, 5.0);
    QVERIFY(!series.appendGap(at(3s))); // gaps obey time order too
}

void TestTimeSeriesStore::retentionTrims()
{
    TimeSeries series(10s);
    for (int s = 0; s <= 20; ++s) {
        series.append(at(std::chrono::seconds(s)), s);
    }
    // Newest is 20 s; everything before 20 - 10 = 10 s is gone, 10 s itself stays.
    QCOMPARE(series.size(), std::size_t(11));
    QCOMPARE(series.front().time, at(10s));

    series.setRetention(5s);
    QCOMPARE(series.front().time, at(15s));
    series.trimBefore(at(18s));
    QCOMPARE(series.size(), std::size_t(3));
    series.trimBefore(at(100s));
    QVERIFY(series.empty());
}

void TestTimeSeriesStore::rangeQuery_data()
{
    QTest::addColumn<int>("fromMs");
    QTest::addColumn<int>("toMs");
    QTest::addColumn<QList<double>>("values");

    // Points at 0, 1000, ..., 9000 ms with value = seconds.
    QTest::newRow("inclusive-bounds") << 2000 << 4000 << QList<double>{2, 3, 4};
    QTest::newRow("between-points") << 2500 << 4500 << QList<double>{3, 4};
    QTest::newRow("all") << -5000 << 50000 << QList<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    QTest::newRow("single") << 7000 << 7000 << QList<double>{7};
    QTest::newRow("before-all") << -5000 << -1 << QList<double>{};
    QTest::newRow("after-all") << 9001 << 20000 << QList<double>{};
    QTest::newRow("reversed") << 4000 << 2000 << QList<double>{};
}

void TestTimeSeriesStore::rangeQuery()
{
    QFETCH(int, fromMs);
    QFETCH(int, toMs);
    QFETCH(QList<double>, values);

    TimeSeries series;
    for (int s = 0; s < 10; ++s) {
        series.append(at(std::chrono::seconds(s)), s);
    }
    const auto points =
        series.range(at(std::chrono::milliseconds(fromMs)), at(std::chrono::milliseconds(toMs)));
    QList<double> got;
    for (const auto &point : points) {
        got.append(point.value);
    }
    QCOMPARE(got, values);
}

void TestTimeSeriesStore::decimationKeepsExtremesAndGaps()
{
    TimeSeries series;
    const int count = 10'000;
    for (int i = 0; i < count; ++i) {
        const auto time = at(std::chrono::milliseconds(i * 100));
        if (i == 7'000) {
            series.appendGap(time);
            continue;
        }
        double value = std::sin(i / 50.0);
        if (i == 5'173) {
            value = 1000; // one-sample spike
        }
        if (i == 2'501) {
            value = -50; // one-sample dip
        }
        series.append(time, value);
    }
    const std::size_t buckets = 100;
    const auto from = series.front().time;
    const auto to = series.back().time;
    const auto points = series.decimated(from, to, buckets);

    QVERIFY(points.size() <= 3 * buckets);
    QVERIFY(points.size() < series.size() / 10);
    QVERIFY(std::is_sorted(points.begin(), points.end(),
                           [](const TimePoint &a, const TimePoint &b) { return a.time < b.time; }));
    const auto has = [&](const TimePoint &wanted) {
        return std::find(points.begin(), points.end(), wanted) != points.end();
    };
    QVERIFY(has({at(517'300ms), 1000}));
    QVERIFY(has({at(250'100ms), -50}));
    QVERIFY(has({at(700'000ms), kNaN}));
    QCOMPARE(std::count_if(points.begin(), points.end(), [](auto &p) { return p.isGap(); }), 1);
    // Every output point is an input point: nothing is invented or interpolated.
    for (const auto &point : points) {
        const auto index = series.lowerIndex(point.time);
        QVERIFY(index < series.size());
        QVERIFY(series.at(index) == point);
    }
    // Each bucket of 100 samples contributes its own min and max.
    const auto maxValue = std::max_element(points.begin(), points.end(), [](auto &a, auto &b) {
        return a.isGap() || (!b.isGap() && a.value < b.value);
    });
    QCOMPARE(maxValue->value, 1000.0);
}

void TestTimeSeriesStore::decimationOfSmallRangeIsExact()
{
    TimeSeries series;
    for (int s = 0; s < 10; ++s) {
        series.append(at(std::chrono::seconds(s)), s);
    }
    const auto points = series.decimated(at(2s), at(6s), 3); // 5 points <= 2 * 3
    QCOMPARE(points.size(), std::size_t(5));
    QCOMPARE(points.front().value, 2.0);
    QVERIFY(series.decimated(at(6s), at(2s), 3).empty());
    QVERIFY(series.decimated(at(2s), at(6s), 0).empty());

    // 10 points into 2 buckets of 5 s: [0..4] keeps 0 and 4, [5..9] keeps 5 and 9.
    const auto halves = series.decimated(at(0s), at(9s), 2);
    QCOMPARE(halves.size(), std::size_t(4));
    QCOMPARE(halves[0].value, 0.0);
    QCOMPARE(halves[1].value, 4.0);
    QCOMPARE(halves[2].value, 5.0);
    QCOMPARE(halves[3].value, 9.0);
}

void TestTimeSeriesStore::storeAppendsKpiResults()
{
    TimeSeriesStore store;
    KpiResult result;
    result.time = at(1s);
    result.production.requestRate = 100;
    result.production.errorRatio = 0.01;
    result.production.accuracy = 0.9;
    result.production.p50Seconds = 0.3;
    result.production.p95Seconds = 0.8;
    result.production.p99Seconds = 0.9;
    result.production.weightPercent = 90;
    result.canary.requestRate = 0; // known zero; the rest of the canary is unknown
    store.append(result);

    QCOMPARE(store.series(VariantRole::Production, Kpi::LatencyP95).back().value, 0.8);
    QCOMPARE(store.series(VariantRole::Production, Kpi::Accuracy).back().value, 0.9);
    QCOMPARE(store.series(VariantRole::Canary, Kpi::RequestRate).back().value, 0.0);
    QVERIFY(store.series(VariantRole::Canary, Kpi::Accuracy).back().isGap());
    QCOMPARE(store.pointCount(), std::size_t(14));

    store.appendGap(at(2s)); // a missed poll breaks every line
    for (Kpi kpi : kAllKpis) {
        QVERIFY(store.series(VariantRole::Production, kpi).back().isGap());
    }
    QVERIFY(store.series(VariantRole::Production, Kpi::Weight).back().time == at(2s));

    result.time = at(3s);
    result.error = "the current scrape did not parse";
    store.append(result); // a refused window is a gap, not old numbers
    QVERIFY(store.series(VariantRole::Production, Kpi::RequestRate).back().isGap());
    QCOMPARE(store.series(VariantRole::Production, Kpi::RequestRate).size(), std::size_t(2));
}

void TestTimeSeriesStore::storeRetentionAgesIdleLines()
{
    TimeSeriesStore store(1min);
    store.append(VariantRole::Canary, Kpi::Weight, at(0s), 10);
    KpiResult result;
    result.time = at(2min);
    result.production.requestRate = 5;
    store.append(result);
    // The canary weight line got a gap at 2 min and its point at 0 s aged out.
    QCOMPARE(store.series(VariantRole::Canary, Kpi::Weight).size(), std::size_t(1));
    QVERIFY(store.series(VariantRole::Canary, Kpi::Weight).front().isGap());

    store.append(VariantRole::Canary, Kpi::Weight, at(3min), 20);
    store.trimBefore(at(10min));
    QCOMPARE(store.pointCount(), std::size_t(0));
}

void TestTimeSeriesStore::dayAtOneSecondFitsInMemory()
{
    TimeSeriesStore store(24h);
    const int seconds = 24 * 3600;
    for (int s = 0; s < seconds + 600; ++s) { // past a day: the start trims away
        for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            for (Kpi kpi : kAllKpis) {
                store.append(role, kpi, at(std::chrono::seconds(s)), s % 97);
            }
        }
    }
    QCOMPARE(store.series(VariantRole::Canary, Kpi::LatencyP99).size(), std::size_t(seconds + 1));
    QCOMPARE(store.series(VariantRole::Canary, Kpi::LatencyP99).front().time,
             at(599s)); // 86 999 s - 24 h
    const std::size_t bytes = store.memoryBytes();
    qInfo("24 h at 1 s, 14 lines: %zu points, %.1f MB", store.pointCount(), bytes / 1e6);
    QVERIFY(bytes < 25'000'000); // 14 * 86401 * 16 B = 19.4 MB plus block overhead
}

QTEST_APPLESS_MAIN(TestTimeSeriesStore)
#include "tst_timeseriesstore.moc"
