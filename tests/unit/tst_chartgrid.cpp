#include "chartgrid.h"
#include "kpichart.h"
#include "lodcache.h"
#include "metrics/timeseriesstore.h"
#include "stalebanner.h"

#include <QApplication>
#include <QDir>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <QToolTip>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <tuple>

using namespace canary;
using namespace std::chrono_literals;
using metrics::Kpi;
using metrics::TimeSeriesStore;

namespace {

const SystemTime kStart{std::chrono::milliseconds(1'700'000'000'000)};

// Production is a healthy model; the canary is slower and a little less accurate, so the two
// columns differ and a shared value axis matters.
double sampleValue(VariantRole role, Kpi kpi, int second, std::mt19937 &random)
{
    std::normal_distribution<double> noise(0.0, 1.0);
    const bool canary = role == VariantRole::Canary;
    const double wave = std::sin(second / 300.0);
    switch (kpi) {
    case Kpi::RequestRate:
        return (canary ? 40.0 : 360.0) * (1.0 + 0.1 * wave) + 4.0 * noise(random);
    case Kpi::ErrorRate:
        return std::max(0.0, (canary ? 0.012 : 0.004) + 0.002 * noise(random));
    case Kpi::Accuracy:
        return std::min(1.0, (canary ? 0.935 : 0.948) + 0.004 * noise(random));
    case Kpi::LatencyP50:
        return (canary ? 0.058 : 0.042) + 0.002 * noise(random);
    case Kpi::LatencyP95:
        return (canary ? 0.140 : 0.090) + 0.006 * noise(random);
    case Kpi::LatencyP99:
        return (canary ? 0.260 : 0.150) + 0.015 * std::abs(noise(random));
    case Kpi::Weight:
        return canary ? 10.0 : 90.0;
    }
    return 0.0;
}

void fill(TimeSeriesStore &store, int seconds, int gapAt = -1, int gapLength = 0)
{
    std::mt19937 random(42);
    for (int s = 0; s < seconds; ++s) {
        const SystemTime time = kStart + std::chrono::seconds(s);
        if (gapAt >= 0 && s >= gapAt && s < gapAt + gapLength) {
            store.appendGap(time);
            continue;
        }
        for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            for (const Kpi kpi : metrics::kAllKpis) {
                store.append(role, kpi, time, sampleValue(role, kpi, s, random));
            }
        }
    }
}

QString screenshotPath(const QString &name)
{
    const QString dir = qEnvironmentVariableIsSet("CANARY_SCREENSHOT_DIR")
                            ? qEnvironmentVariable("CANARY_SCREENSHOT_DIR")
                            : QDir::currentPath();
    return QDir(dir).filePath(name);
}

struct Fixture
{
    std::unique_ptr<TimeSeriesStore> store = std::make_unique<TimeSeriesStore>();
    std::unique_ptr<ChartGrid> grid;
    SystemTime now;

    explicit Fixture(int seconds, int gapAt = -1, int gapLength = 0)
    {
        fill(*store, seconds, gapAt, gapLength);
        now = kStart + std::chrono::seconds(seconds - 1);
        grid = std::make_unique<ChartGrid>(*store);
        grid->resize(1280, 800);
        grid->setNow(now);
        grid->setTimeWindow(5min);
        grid->show();
    }
    bool exposed() { return QTest::qWaitForWindowExposed(grid.get()); }
};

std::vector<double> finiteValues(const QCPGraph *graph)
{
    std::vector<double> values;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
        if (!std::isnan(it->value)) {
            values.push_back(it->value);
        }
    }
    return values;
}

TimelineEvent timelineEvent(SystemTime time, TimelineEvent::Kind kind,
                            std::optional<VariantRole> role, std::string label, std::string detail)
{
    TimelineEvent e;
    e.time = time;
    e.kind = kind;
    e.role = role;
    e.label = std::move(label);
    e.detail = std::move(detail);
    return e;
}

QPalette darkPalette()
{
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x20, 0x22, 0x25));
    dark.setColor(QPalette::Base, QColor(0x16, 0x18, 0x1b));
    dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    return dark;
}

// The events an operator would see in the quarter hour around the fixture's outage (which runs
// from 10 to 9 minutes before the end).
void addSampleEvents(ChartGrid &grid, SystemTime now)
{
    using Kind = TimelineEvent::Kind;
    grid.addEvent(timelineEvent(now - 14min, Kind::Action, std::nullopt, "stage",
                                "Staged sentiment v2.1 as the canary at 0 % weight."));
    grid.addEvent(timelineEvent(now - 13min, Kind::Action, std::nullopt, "5 %",
                                "Canary weight set from 0 % to 5 % by this console."));
    grid.addEvent(timelineEvent(now - 12min - 30s, Kind::VersionChange, VariantRole::Canary, "v2.1",
                                "The canary now serves sentiment v2.1 (was v2.0)."));
    grid.addEvent(timelineEvent(now - 12min, Kind::Action, std::nullopt, "25 %",
                                "Canary weight set from 5 % to 25 % by this console."));
    grid.addEvent(timelineEvent(now - 8min - 50s, Kind::Restart, std::nullopt, "restart",
                                "Counters went backwards: the backend restarted."));
    grid.addEvent(timelineEvent(now - 3min, Kind::Action, std::nullopt, "50 %",
                                "Canary weight set from 25 % to 50 % by this console."));
}

} // namespace

class TestChartGrid final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void graphsFollowTheStore_data();
    void graphsFollowTheStore();
    void gapBreaksTheLine();
    void unknownKpiIsAbsentNotZero();
    void rowsShareOneValueRange_data();
    void rowsShareOneValueRange();
    void overlayChangesTheLayout();
    void pausedDoesNotScroll();
    void wheelZoomPausesAndSyncsAllCharts();
    void hoverShowsExactValues();
    void markDirtyAloneDoesNotReplot();
    void refreshReplotsOnlyChangedCharts();
    void timeWindow_data();
    void timeWindow();
    void longWindowIsDecimated();
    void lodCacheMatchesFreshDecimation();
    void followsPaletteChange();
    void staleBannerTexts_data();
    void staleBannerTexts();
    void staleBannerHidesAndKeepsReasonPlain();
    void staleBannerWrapsLongReason();
    void eventMarkersOnTheirCharts_data();
    void eventMarkersOnTheirCharts();
    void markersFollowPanAndZoom();
    void markerToolTipAtTheLine();
    void markerKindsLookDistinct();
    void markerLabelsDoNotOverlap();
    void addEventOnlyMarksForTheNextRefresh();
    void eventsFollowTheRetention();
    void gapIsShadedAsNoData();
    void zeroLineRunsAboveTheAxis();
    void overlayTellsVariantsApartByColour();
    void screenshot();
};

void TestChartGrid::graphsFollowTheStore_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<int>("kpi");
    QTest::addColumn<double>("scale");

    QTest::newRow("latency-p50") << 0 << int(Kpi::LatencyP50) << 1000.0;
    QTest::newRow("latency-p95") << 0 << int(Kpi::LatencyP95) << 1000.0;
    QTest::newRow("latency-p99") << 0 << int(Kpi::LatencyP99) << 1000.0;
    QTest::newRow("errors") << 1 << int(Kpi::ErrorRate) << 100.0;
    QTest::newRow("accuracy") << 2 << int(Kpi::Accuracy) << 100.0;
    QTest::newRow("throughput") << 3 << int(Kpi::RequestRate) << 1.0;
}

void TestChartGrid::graphsFollowTheStore()
{
    QFETCH(int, row);
    QFETCH(int, kpi);
    QFETCH(double, scale);

    Fixture f(1200);
    QVERIFY(f.exposed());
    f.grid->refresh();

    const SystemTime from = f.now - 5min;
    for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        KpiChart *chart = f.grid->chart(static_cast<std::size_t>(row), role);
        QVERIFY(chart);
        QCPGraph *graph = chart->graphFor(role, static_cast<Kpi>(kpi));
        QVERIFY(graph);
        const VariantRole other =
            role == VariantRole::Production ? VariantRole::Canary : VariantRole::Production;
        QVERIFY(!chart->graphFor(other, static_cast<Kpi>(kpi)));

        // 5 minutes at 1 s is fewer points than pixels: every stored point is drawn as is.
        const auto expected = f.store->series(role, static_cast<Kpi>(kpi)).range(from, f.now);
        QVERIFY(expected.size() > 250);
        std::size_t matched = 0;
        for (const auto &point : expected) {
            const double key = KpiChart::toKey(point.time);
            auto it = graph->data()->findBegin(key, false);
            QVERIFY(it != graph->data()->constEnd());
            QCOMPARE(it->key, key);
            QCOMPARE(it->value, point.value * scale);
            ++matched;
        }
        QCOMPARE(matched, expected.size());
        QCOMPARE(chart->xAxis->range().upper, KpiChart::toKey(f.now));
        QCOMPARE(chart->xAxis->range().lower, KpiChart::toKey(from));
    }
}

void TestChartGrid::gapBreaksTheLine()
{
    // Ten missed polls two minutes before the end.
    Fixture f(600, 480, 10);
    QVERIFY(f.exposed());
    f.grid->refresh();

    const double gapKey = KpiChart::toKey(kStart + 480s);
    for (KpiChart *chart : f.grid->visibleCharts()) {
        for (int i = 0; i < chart->graphCount(); ++i) {
            const QCPGraph *graph = chart->graph(i);
            auto it = graph->data()->findBegin(gapKey, false);
            QVERIFY(it != graph->data()->constEnd());
            QCOMPARE(it->key, gapKey);
            QVERIFY2(std::isnan(it->value), qPrintable(graph->name()));
            // Repeated gaps collapse into one point; the line resumes after the outage, and
            // nothing in between is drawn as a value.
            ++it;
            QVERIFY(it != graph->data()->constEnd());
            QVERIFY(it->key >= KpiChart::toKey(kStart + 490s));
            QVERIFY(!std::isnan(it->value));
        }
    }
}

void TestChartGrid::unknownKpiIsAbsentNotZero()
{
    TimeSeriesStore store;
    for (int s = 0; s < 120; ++s) {
        const SystemTime time = kStart + std::chrono::seconds(s);
        store.append(VariantRole::Production, Kpi::Accuracy, time, 0.95);
        // The canary has no labelled feedback: the KPI is unknown every time.
        store.append(VariantRole::Canary, Kpi::Accuracy, time,
                     std::numeric_limits<double>::quiet_NaN());
    }
    ChartGrid grid(store);
    grid.resize(1280, 800);
    grid.setNow(kStart + 119s);
    grid.setTimeWindow(5min);
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));
    grid.refresh();

    KpiChart *canaryChart = grid.chart(2, VariantRole::Canary);
    KpiChart *productionChart = grid.chart(2, VariantRole::Production);
    QVERIFY(finiteValues(canaryChart->graphFor(VariantRole::Canary, Kpi::Accuracy)).empty());
    QVERIFY(!canaryChart->hasVisibleData());
    QVERIFY(productionChart->hasVisibleData());
    // The shared axis is scaled to production's 95 %, not stretched down to a zero.
    QVERIFY(canaryChart->yAxis->range().lower > 80.0);
    QCOMPARE(canaryChart->yAxis->range(), productionChart->yAxis->range());
}

void TestChartGrid::rowsShareOneValueRange_data()
{
    QTest::addColumn<int>("row");
    QTest::newRow("latency") << 0;
    QTest::newRow("errors") << 1;
    QTest::newRow("accuracy") << 2;
    QTest::newRow("throughput") << 3;
}

void TestChartGrid::rowsShareOneValueRange()
{
    QFETCH(int, row);
    Fixture f(900);
    QVERIFY(f.exposed());
    f.grid->refresh();

    KpiChart *left = f.grid->chart(static_cast<std::size_t>(row), VariantRole::Production);
    KpiChart *right = f.grid->chart(static_cast<std::size_t>(row), VariantRole::Canary);
    QCOMPARE(left->yAxis->range(), right->yAxis->range());
    // The shared range holds both variants' visible data.
    const QCPRange range = left->yAxis->range();
    for (KpiChart *chart : {left, right}) {
        QVERIFY(chart->valueExtent());
        QVERIFY2(range.contains(chart->valueExtent()->lower) &&
                     range.contains(chart->valueExtent()->upper),
                 qPrintable(chart->row().title));
    }
    QVERIFY(left->yAxis->label().contains(left->row().unit));
    QVERIFY(right->yAxis->label().contains(right->row().unit));
}

void TestChartGrid::overlayChangesTheLayout()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    f.grid->refresh();
    QCOMPARE(f.grid->visibleCharts().size(), 8);
    QVERIFY(!f.grid->chart(0, std::nullopt));

    f.grid->setOverlay(true);
    f.grid->refresh();
    const QList<KpiChart *> overlay = f.grid->visibleCharts();
    QCOMPARE(overlay.size(), 4);
    for (KpiChart *chart : overlay) {
        QVERIFY(chart->isVisible());
        QCOMPARE(chart->graphCount(), static_cast<int>(2 * chart->row().lines.size()));
        QVERIFY(chart->legend->visible());
        for (const auto &line : chart->row().lines) {
            QCPGraph *production = chart->graphFor(VariantRole::Production, line.kpi);
            QCPGraph *canary = chart->graphFor(VariantRole::Canary, line.kpi);
            QVERIFY(production && canary);
            QVERIFY(!finiteValues(production).empty());
            QVERIFY(!finiteValues(canary).empty());
            QCOMPARE(production->pen().style(), Qt::SolidLine);
            QCOMPARE(canary->pen().style(), Qt::DashLine);
        }
    }
    for (VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        QVERIFY(!f.grid->chart(0, role)->isVisible());
    }
    for (QLabel *label : f.grid->findChildren<QLabel *>(QStringLiteral("columnTitle"))) {
        QVERIFY(!label->isVisible());
    }

    f.grid->setOverlay(false);
    f.grid->refresh();
    QCOMPARE(f.grid->visibleCharts().size(), 8);
    QVERIFY(!f.grid->chart(0, std::nullopt)->isVisible());
    QStringList titles;
    for (QLabel *label : f.grid->findChildren<QLabel *>(QStringLiteral("columnTitle"))) {
        QVERIFY(label->isVisible());
        titles << label->text();
    }
    titles.sort();
    QCOMPARE(titles, (QStringList{QStringLiteral("canary"), QStringLiteral("production")}));
}

void TestChartGrid::pausedDoesNotScroll()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    f.grid->refresh();
    QSignalSpy paused(f.grid.get(), &ChartGrid::pausedChanged);
    KpiChart *chart = f.grid->chart(3, VariantRole::Canary);
    const QCPRange before = chart->xAxis->range();

    f.grid->setPaused(true);
    QCOMPARE(paused.size(), 1);
    QCOMPARE(paused.at(0).at(0).toBool(), true);
    f.grid->setNow(f.now + 60s);
    f.grid->markDirty();
    f.grid->refresh();
    QCOMPARE(chart->xAxis->range(), before);

    f.grid->setPaused(false);
    QCOMPARE(paused.size(), 2);
    f.grid->refresh();
    QCOMPARE(chart->xAxis->range().upper, KpiChart::toKey(f.now + 60s));
}

void TestChartGrid::wheelZoomPausesAndSyncsAllCharts()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    f.grid->refresh();
    QSignalSpy paused(f.grid.get(), &ChartGrid::pausedChanged);
    KpiChart *chart = f.grid->chart(1, VariantRole::Production);
    const double spanBefore = chart->xAxis->range().size();

    const QPointF centre = chart->axisRect()->rect().center();
    QWheelEvent wheel(centre, chart->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(chart, &wheel);

    QCOMPARE(paused.size(), 1);
    QVERIFY(f.grid->paused());
    QVERIFY(chart->xAxis->range().size() < spanBefore);
    // The other charts follow on the next turn of the event loop.
    KpiChart *other = f.grid->chart(3, VariantRole::Canary);
    QTRY_COMPARE(other->xAxis->range(), chart->xAxis->range());

    // A new tick does not scroll a zoomed view away.
    const QCPRange zoomed = chart->xAxis->range();
    f.grid->setNow(f.now + 30s);
    f.grid->refresh();
    QCOMPARE(chart->xAxis->range(), zoomed);
}

void TestChartGrid::hoverShowsExactValues()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    f.grid->refresh();
    KpiChart *chart = f.grid->chart(0, VariantRole::Canary);
    const SystemTime at = f.now - 100s;
    const QPoint pos(qRound(chart->xAxis->coordToPixel(KpiChart::toKey(at))),
                     chart->axisRect()->rect().center().y());
    QTest::mouseMove(chart, pos);

    QTRY_VERIFY(QToolTip::isVisible());
    const QString text = QToolTip::text();
    const auto expected = [&](VariantRole role, Kpi kpi) {
        const auto &series = f.store->series(role, kpi);
        return chart->row().formatValue(series.at(series.lowerIndex(at)).value * 1000.0);
    };
    QVERIFY2(text.contains(expected(VariantRole::Production, Kpi::LatencyP95)), qPrintable(text));
    QVERIFY2(text.contains(expected(VariantRole::Canary, Kpi::LatencyP99)), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral(" ms")));
    QVERIFY(text.contains(QStringLiteral("canary")) && text.contains(QStringLiteral("production")));
    for (QWidget *top : QApplication::topLevelWidgets()) {
        if (top->inherits("QTipLabel")) {
            QVERIFY(top->grab().save(screenshotPath(QStringLiteral("chartgrid-tooltip.png"))));
        }
    }
    // One cursor across the whole grid, at the hovered time (within a pixel).
    const double pixelSeconds = chart->xAxis->range().size() / chart->axisRect()->width();
    for (KpiChart *other : f.grid->visibleCharts()) {
        QVERIFY(std::abs(other->cursorKey() - KpiChart::toKey(at)) <= pixelSeconds);
    }
}

void TestChartGrid::markDirtyAloneDoesNotReplot()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    f.grid->refresh();
    QApplication::processEvents();

    std::vector<std::unique_ptr<QSignalSpy>> spies;
    for (KpiChart *chart : f.grid->visibleCharts()) {
        spies.push_back(std::make_unique<QSignalSpy>(chart, &QCustomPlot::afterReplot));
    }
    for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        f.store->append(role, Kpi::RequestRate, f.now + 1s, 100.0);
    }
    f.grid->markDirty();
    QApplication::processEvents();
    for (const auto &spy : spies) {
        QCOMPARE(spy->size(), 0);
    }

    f.grid->refresh();
    // Only the throughput row got a point, and the range did not move: only it is redrawn.
    const QList<KpiChart *> charts = f.grid->visibleCharts();
    for (qsizetype i = 0; i < charts.size(); ++i) {
        const bool throughput = charts[i]->row().id == ChartRowSpec::Id::Throughput;
        QCOMPARE(spies[static_cast<std::size_t>(i)]->size(), throughput ? 1 : 0);
    }
}

void TestChartGrid::refreshReplotsOnlyChangedCharts()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    f.grid->refresh();
    QApplication::processEvents();
    std::vector<std::unique_ptr<QSignalSpy>> spies;
    for (KpiChart *chart : f.grid->visibleCharts()) {
        spies.push_back(std::make_unique<QSignalSpy>(chart, &QCustomPlot::afterReplot));
    }

    f.grid->refresh(); // nothing changed
    for (const auto &spy : spies) {
        QCOMPARE(spy->size(), 0);
    }

    f.grid->setNow(f.now + 1s); // live: every chart scrolls
    f.grid->refresh();
    for (const auto &spy : spies) {
        QCOMPARE(spy->size(), 1);
    }
}

void TestChartGrid::timeWindow_data()
{
    QTest::addColumn<int>("seconds");
    QTest::newRow("5 min") << 300;
    QTest::newRow("15 min") << 900;
    QTest::newRow("1 h") << 3600;
    QTest::newRow("6 h") << 6 * 3600;
    QTest::newRow("24 h") << 24 * 3600;
}

void TestChartGrid::timeWindow()
{
    QFETCH(int, seconds);
    Fixture f(1800);
    QVERIFY(f.exposed());
    f.grid->setTimeWindow(std::chrono::seconds(seconds));
    QCOMPARE(f.grid->timeWindow(), std::chrono::seconds(seconds));
    f.grid->refresh();
    for (KpiChart *chart : f.grid->visibleCharts()) {
        QCOMPARE(chart->xAxis->range().size(), double(seconds));
        QCOMPARE(chart->xAxis->range().upper, KpiChart::toKey(f.now));
    }
    // Paused, a new window keeps the right edge where the user left it.
    f.grid->setPaused(true);
    f.grid->setNow(f.now + 10min);
    f.grid->setTimeWindow(std::chrono::seconds(seconds * 2));
    f.grid->refresh();
    for (KpiChart *chart : f.grid->visibleCharts()) {
        QCOMPARE(chart->xAxis->range().size(), double(seconds * 2));
        QCOMPARE(chart->xAxis->range().upper, KpiChart::toKey(f.now));
    }
}

void TestChartGrid::longWindowIsDecimated()
{
    Fixture f(6 * 3600);
    QVERIFY(f.exposed());
    f.grid->setTimeWindow(6h);
    f.grid->refresh();
    KpiChart *chart = f.grid->chart(0, VariantRole::Canary);
    const QCPGraph *p99 = chart->graphFor(VariantRole::Canary, Kpi::LatencyP99);
    // About two points per pixel (plus a gap per bucket at most), not 21,600.
    QVERIFY(p99->data()->size() <= static_cast<int>(3 * chart->bucketCount() + 64));
    QVERIFY(p99->data()->size() >= static_cast<int>(chart->bucketCount()));
    // Spikes survive: the drawn maximum is the stored maximum.
    const auto values = finiteValues(p99);
    const auto stored =
        f.store->series(VariantRole::Canary, Kpi::LatencyP99).range(f.now - 6h, f.now);
    double storedMax = 0;
    for (const auto &point : stored) {
        storedMax = std::max(storedMax, point.value * 1000.0);
    }
    QCOMPARE(*std::max_element(values.begin(), values.end()), storedMax);
}

void TestChartGrid::lodCacheMatchesFreshDecimation()
{
    // Live scrolling over a series that grows, gets trimmed and has outages: the incrementally
    // kept buckets must equal buckets computed from scratch at every step.
    metrics::TimeSeries series(std::chrono::minutes(40));
    std::mt19937 random(3);
    std::uniform_real_distribution<double> value(0.0, 100.0);
    LodCache incremental;
    SystemTime time = kStart;
    auto width = std::chrono::milliseconds(7'000);
    for (int step = 0; step < 4000; ++step) {
        time += std::chrono::milliseconds(step % 3 == 0 ? 400 : 1000);
        if (step % 500 > 480) {
            series.appendGap(time);
        } else {
            series.append(time, value(random));
        }
        if (step == 2500) {
            width = std::chrono::milliseconds(3'000); // a zoom
        }
        const std::int64_t first = LodCache::bucketOf(time - std::chrono::minutes(30), width);
        const std::int64_t last = LodCache::bucketOf(time, width);
        if (step % 7 != 0) {
            continue; // refreshes are rarer than appends
        }
        LodCache fresh;
        const auto &expected = fresh.points(series, first, last, width);
        const auto &actual = incremental.points(series, first, last, width);
        QVERIFY2(actual == expected, qPrintable(QStringLiteral("step %1").arg(step)));
        QVERIFY(!actual.empty());
        QVERIFY(actual.size() <= 3 * static_cast<std::size_t>(last - first + 1));
    }
}

void TestChartGrid::followsPaletteChange()
{
    Fixture f(300);
    QVERIFY(f.exposed());
    f.grid->refresh();
    KpiChart *chart = f.grid->chart(0, VariantRole::Production);
    const QColor lightBase = chart->axisRect()->backgroundBrush().color();

    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x20, 0x22, 0x25));
    dark.setColor(QPalette::Base, QColor(0x16, 0x18, 0x1b));
    dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    f.grid->setPalette(dark);
    QCOMPARE(chart->axisRect()->backgroundBrush().color(), QColor(0x16, 0x18, 0x1b));
    QVERIFY(chart->axisRect()->backgroundBrush().color() != lightBase);
    QCOMPARE(chart->yAxis->labelColor(), QColor(0xe6, 0xe6, 0xe6));
    // The production line switches to the lighter blue that reads on a dark base.
    QCOMPARE(f.grid->chart(1, VariantRole::Production)
                 ->graphFor(VariantRole::Production, Kpi::ErrorRate)
                 ->pen()
                 .color(),
             QColor::fromRgb(okabeIto::kSkyBlue));
    QTRY_VERIFY(!chart->needsReplot());
}

void TestChartGrid::staleBannerTexts_data()
{
    QTest::addColumn<bool>("lost");
    QTest::addColumn<qint64>("ageMs");
    QTest::addColumn<int>("missed");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("expected");

    QTest::newRow("stale") << false << qint64(12'400) << 3
                           << QStringLiteral("timeout after 1000 ms")
                           << QStringLiteral("No fresh data for 12 s (3 polls missed): timeout "
                                             "after 1000 ms \u2014 charts show a gap");
    QTest::newRow("stale-one-no-reason")
        << false << qint64(2'000) << 1 << QString()
        << QStringLiteral("No fresh data for 2 s (1 poll missed) \u2014 charts show a gap");
    QTest::newRow("lost")
        << true << qint64(65'000) << 0 << QString()
        << QStringLiteral("Connection lost \u2014 last update 1 min 5 s ago. Reconnecting\u2026");
    QTest::newRow("lost-hours-reason")
        << true << qint64((2 * 3600 + 3 * 60 + 9) * 1000) << 0
        << QStringLiteral("connection refused")
        << QStringLiteral("Connection lost \u2014 last update 2 h 3 min ago. Reconnecting\u2026 "
                          "(connection refused)");
    QTest::newRow("lost-never") << true << qint64(-1) << 0 << QString()
                                << QStringLiteral("Connection lost \u2014 no update received yet. "
                                                  "Reconnecting\u2026");
    QTest::newRow("lost-days") << true << qint64(26LL * 3600 * 1000) << 0 << QString()
                               << QStringLiteral("Connection lost \u2014 last update 1 d 2 h ago. "
                                                 "Reconnecting\u2026");
}

void TestChartGrid::staleBannerTexts()
{
    QFETCH(bool, lost);
    QFETCH(qint64, ageMs);
    QFETCH(int, missed);
    QFETCH(QString, reason);
    QFETCH(QString, expected);

    QWidget window;
    auto &banner = *new StaleBanner(&window);
    window.show();
    QVERIFY(!banner.isVisible());
    if (lost) {
        banner.showLost(std::chrono::milliseconds(ageMs), reason);
        QCOMPARE(banner.level(), StaleBanner::Level::Lost);
    } else {
        banner.showStale(std::chrono::milliseconds(ageMs), missed, reason);
        QCOMPARE(banner.level(), StaleBanner::Level::Stale);
    }
    QCOMPARE(banner.text(), expected);
    QVERIFY(banner.isVisible());
    banner.clear();
    QVERIFY(!banner.isVisible());
    QCOMPARE(banner.level(), StaleBanner::Level::Hidden);
}

void TestChartGrid::staleBannerHidesAndKeepsReasonPlain()
{
    QWidget window;
    auto &banner = *new StaleBanner(&window);
    window.show();
    const QString hostile =
        QStringLiteral("<b>bad</b>\n\nline two ") + QString(500, QLatin1Char('x'));
    banner.showStale(5s, 2, hostile);
    QVERIFY(banner.isVisible());
    // All of a long reason is there, on one line of its own words (the label wraps it).
    QVERIFY(banner.text().contains(QStringLiteral("<b>bad</b> line two ") +
                                   QString(500, QLatin1Char('x'))));
    QVERIFY(!banner.text().contains(QLatin1Char('\n')));
    QVERIFY(!banner.text().contains(QChar(0x2026)));
    const auto *label = banner.findChild<QLabel *>(QStringLiteral("staleBannerText"));
    QVERIFY(label);
    QCOMPARE(label->textFormat(), Qt::PlainText);
    QVERIFY(label->wordWrap());
    // The tooltip is rich text (so it wraps) with the reason escaped, never interpreted.
    QVERIFY(banner.toolTip().contains(QStringLiteral("&lt;b&gt;bad&lt;/b&gt; line two")));
    QVERIFY(!banner.toolTip().contains(QStringLiteral("<b>")));
    QVERIFY(banner.palette().color(QPalette::Window) == QColor::fromRgb(okabeIto::kOrange));
    banner.showLost(70s, QString());
    QVERIFY(banner.palette().color(QPalette::Window) == QColor::fromRgb(okabeIto::kVermillion));
    QVERIFY(banner.toolTip().isEmpty());
}

void TestChartGrid::staleBannerWrapsLongReason()
{
    // A real reason that runs long: the whole of it shows, wrapped over more lines.
    const QString reason = QStringLiteral(
        "The request was sent, but canary-gateway.prod.internal.example.com:8443 did not answer "
        "within 1000 ms; the last three polls of /metrics and /v1/rollout timed out the same way "
        "while the gateway's load balancer kept accepting connections.");
    QWidget window;
    auto *layout = new QVBoxLayout(&window);
    auto *banner = new StaleBanner(&window);
    layout->addWidget(banner);
    layout->addStretch(1);
    window.resize(480, 400);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    banner->showStale(12s, 3, reason);
    QVERIFY(banner->text().contains(reason));
    QTRY_VERIFY(banner->height() >= 3 * banner->fontMetrics().height());
    const auto *label = banner->findChild<QLabel *>(QStringLiteral("staleBannerText"));
    QVERIFY(label->height() >= label->heightForWidth(label->width()));

    // Past the limit it is cut at a word, and the tooltip holds all of it.
    QString endless;
    for (int i = 0; i < 400; ++i) {
        endless += QStringLiteral("word%1 ").arg(i);
    }
    banner->showLost(70s, endless);
    QVERIFY(banner->text().size() < StaleBanner::kMaxReasonLength + 120);
    QVERIFY(banner->text().contains(QStringLiteral("\u2026)")));
    const qsizetype cut = banner->text().lastIndexOf(QChar(0x2026));
    // Cut between two words, not inside one.
    const qsizetype start = banner->text().indexOf(QStringLiteral(" (")) + 2;
    const QString shown = banner->text().mid(start, cut - start);
    QVERIFY(endless.startsWith(shown));
    QCOMPARE(endless.at(shown.size()), QLatin1Char(' '));
    QVERIFY(banner->toolTip().contains(QStringLiteral("word399")));
}

void TestChartGrid::eventMarkersOnTheirCharts_data()
{
    QTest::addColumn<int>("role"); // -1: both variants
    QTest::newRow("both") << -1;
    QTest::newRow("production") << int(VariantRole::Production);
    QTest::newRow("canary") << int(VariantRole::Canary);
}

void TestChartGrid::eventMarkersOnTheirCharts()
{
    QFETCH(int, role);
    const std::optional<VariantRole> eventRole =
        role < 0 ? std::nullopt : std::optional<VariantRole>(VariantRole(role));
    Fixture f(600);
    QVERIFY(f.exposed());
    const SystemTime at = f.now - 120s;
    f.grid->addEvent(timelineEvent(at, TimelineEvent::Kind::Action, eventRole, "promote",
                                   "Promoted the canary."));
    f.grid->refresh();

    for (std::size_t row = 0; row < kChartRowCount; ++row) {
        for (const VariantRole column : {VariantRole::Production, VariantRole::Canary}) {
            KpiChart *chart = f.grid->chart(row, column);
            const bool expected = !eventRole || *eventRole == column;
            QCOMPARE(chart->eventMarkers().size(), expected ? 1u : 0u);
            if (!expected) {
                continue;
            }
            const KpiChart::EventMarker &marker = chart->eventMarkers().front();
            QCOMPARE(marker.line->point1->key(), KpiChart::toKey(at));
            QCOMPARE(marker.line->point2->key(), KpiChart::toKey(at));
            // Drawn where the time axis puts that moment, inside the plot.
            const double x = chart->xAxis->coordToPixel(KpiChart::toKey(at));
            QCOMPARE(marker.line->point1->pixelPosition().x(), x);
            QVERIFY(chart->axisRect()->rect().contains(
                QPoint(qRound(x), chart->axisRect()->rect().center().y())));
            QCOMPARE(marker.label->text(), QStringLiteral("promote"));
            QVERIFY(marker.label->visible());
            QVERIFY(marker.label->position->pixelPosition().x() >= x);
        }
    }
    // The overlay shows both variants, so every event.
    f.grid->setOverlay(true);
    f.grid->refresh();
    for (KpiChart *chart : f.grid->visibleCharts()) {
        QCOMPARE(chart->eventMarkers().size(), 1u);
        QCOMPARE(chart->eventMarkers().front().line->point1->key(), KpiChart::toKey(at));
    }
}

void TestChartGrid::markersFollowPanAndZoom()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    const SystemTime at = f.now - 100s;
    f.grid->addEvent(timelineEvent(at, TimelineEvent::Kind::Restart, std::nullopt, "restart", "x"));
    f.grid->refresh();
    KpiChart *chart = f.grid->chart(1, VariantRole::Canary);
    const double before = chart->eventMarkers().front().line->point1->pixelPosition().x();

    // Zoom in on one chart: every chart follows, and the marker stays at its moment.
    const QPointF centre = chart->axisRect()->rect().center();
    QWheelEvent wheel(centre, chart->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(chart, &wheel);
    KpiChart *other = f.grid->chart(3, VariantRole::Production);
    QTRY_COMPARE(other->xAxis->range(), chart->xAxis->range());
    for (KpiChart *c : {chart, other}) {
        const double x = c->eventMarkers().front().line->point1->pixelPosition().x();
        QCOMPARE(x, c->xAxis->coordToPixel(KpiChart::toKey(at)));
    }
    QVERIFY(std::abs(chart->eventMarkers().front().line->point1->pixelPosition().x() - before) >
            1.0);
}

void TestChartGrid::markerToolTipAtTheLine()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    const SystemTime at = f.now - 150s;
    f.grid->addEvent(timelineEvent(at, TimelineEvent::Kind::VersionChange, VariantRole::Canary,
                                   "v2.1", "The canary now serves sentiment v2.1 <was v2.0>."));
    f.grid->refresh();
    KpiChart *chart = f.grid->chart(2, VariantRole::Canary);
    const int x = qRound(chart->xAxis->coordToPixel(KpiChart::toKey(at)));
    const int y = chart->axisRect()->rect().center().y();

    for (const int offset : {0, 2, -3}) {
        const QString tip = chart->toolTipAt(QPointF(x + offset, y));
        QVERIFY2(tip.contains(QStringLiteral("now v2.1")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("sentiment v2.1 &lt;was v2.0&gt;.")), qPrintable(tip));
    }
    // Away from the line the values are read out as before.
    const QString values = chart->toolTipAt(QPointF(x + 30, y));
    QVERIFY(!values.contains(QStringLiteral("v2.1")));
    QVERIFY(values.contains(QStringLiteral("production")));

    QTest::mouseMove(chart, QPoint(x + 1, y));
    QTRY_VERIFY(QToolTip::isVisible());
    QTRY_VERIFY2(QToolTip::text().contains(QStringLiteral("sentiment v2.1")),
                 qPrintable(QToolTip::text()));
}

void TestChartGrid::markerKindsLookDistinct()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    using Kind = TimelineEvent::Kind;
    f.grid->addEvent(timelineEvent(f.now - 200s, Kind::Action, std::nullopt, "25 %", "a"));
    f.grid->addEvent(timelineEvent(f.now - 150s, Kind::VersionChange, std::nullopt, "v2.1", "b"));
    f.grid->addEvent(timelineEvent(f.now - 100s, Kind::Restart, std::nullopt, "", "c"));
    f.grid->refresh();

    const auto looks = [](const KpiChart::EventMarker &m) {
        return std::make_tuple(int(m.line->pen().style()), m.label->brush().color().rgba(),
                               int(m.label->pen().style()));
    };
    for (const bool dark : {false, true}) {
        if (dark) {
            f.grid->setPalette(darkPalette());
            f.grid->refresh();
        }
        KpiChart *chart = f.grid->chart(0, VariantRole::Production);
        const auto &markers = chart->eventMarkers();
        QCOMPARE(markers.size(), 3u);
        QCOMPARE(markers[0].label->text(), QStringLiteral("25 %"));
        QCOMPARE(markers[1].label->text(), QStringLiteral("now v2.1"));
        QCOMPARE(markers[2].label->text(), QStringLiteral("\u21bb restart"));
        QCOMPARE(markers[0].line->pen().style(), Qt::SolidLine);
        QCOMPARE(markers[1].line->pen().style(), Qt::DashLine);
        QCOMPARE(markers[2].line->pen().style(), Qt::DotLine);
        QVERIFY(looks(markers[0]) != looks(markers[1]));
        QVERIFY(looks(markers[1]) != looks(markers[2]));
        QVERIFY(looks(markers[0]) != looks(markers[2]));
        // Readable on the plot: the marker colour stands off the background, and is not the
        // colour of a data line.
        const QColor background = chart->axisRect()->backgroundBrush().color();
        const QColor line = markers[0].line->pen().color();
        QVERIFY(std::abs(line.lightnessF() - background.lightnessF()) > 0.5);
        for (int i = 0; i < chart->graphCount(); ++i) {
            QVERIFY(chart->graph(i)->pen().color() != line);
        }
        QCOMPARE(markers[1].label->color(), background); // filled tag: text in the base colour
    }
}

void TestChartGrid::markerLabelsDoNotOverlap()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    // Three events within a few seconds: the labels stagger instead of piling up.
    for (int i = 0; i < 3; ++i) {
        f.grid->addEvent(timelineEvent(f.now - 200s + std::chrono::seconds(i),
                                       TimelineEvent::Kind::Action, std::nullopt, "weight 10 %",
                                       "step"));
    }
    // One at the right edge hangs to the left of its line, inside the plot.
    f.grid->addEvent(
        timelineEvent(f.now, TimelineEvent::Kind::Action, std::nullopt, "rollback", "r"));
    f.grid->refresh();
    KpiChart *chart = f.grid->chart(0, VariantRole::Canary);
    QList<QRectF> boxes;
    for (const auto &marker : chart->eventMarkers()) {
        QVERIFY(marker.label->visible());
        const QRectF box(marker.label->topLeft->pixelPosition(),
                         marker.label->bottomRight->pixelPosition());
        for (const QRectF &other : boxes) {
            QVERIFY(!box.intersects(other));
        }
        boxes.append(box);
    }
    QVERIFY(boxes.back().right() <= chart->axisRect()->rect().right() + 1);
    // Labels sit above every marker line: no line is drawn across a label.
    for (const auto &marker : chart->eventMarkers()) {
        QVERIFY(marker.label->layer()->index() > marker.line->layer()->index());
    }
}

void TestChartGrid::addEventOnlyMarksForTheNextRefresh()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    f.grid->refresh();
    QApplication::processEvents();
    std::vector<std::unique_ptr<QSignalSpy>> spies;
    const QList<KpiChart *> charts = f.grid->visibleCharts();
    for (KpiChart *chart : charts) {
        spies.push_back(std::make_unique<QSignalSpy>(chart, &QCustomPlot::afterReplot));
    }
    f.grid->addEvent(
        timelineEvent(f.now - 10s, TimelineEvent::Kind::Action, VariantRole::Canary, "10 %", "w"));
    QApplication::processEvents();
    for (const auto &spy : spies) {
        QCOMPARE(spy->size(), 0);
    }
    f.grid->refresh();
    // Only the canary column got a marker; nothing else moved, so only it is redrawn.
    for (qsizetype i = 0; i < charts.size(); ++i) {
        const bool canary = charts[i]->variants().front() == VariantRole::Canary;
        QCOMPARE(spies[static_cast<std::size_t>(i)]->size(), canary ? 1 : 0);
    }
}

void TestChartGrid::eventsFollowTheRetention()
{
    Fixture f(600);
    f.store->setRetention(10min);
    f.grid->addEvent(
        timelineEvent(f.now - 20min, TimelineEvent::Kind::Action, std::nullopt, "old", "o"));
    QVERIFY(f.grid->events().empty()); // older than the data it would annotate
    f.grid->addEvent(
        timelineEvent(f.now - 5min, TimelineEvent::Kind::Action, std::nullopt, "a", "a"));
    f.grid->addEvent(
        timelineEvent(f.now - 1min, TimelineEvent::Kind::Restart, std::nullopt, "b", "b"));
    QCOMPARE(f.grid->events().size(), 2u);
    QCOMPARE(f.grid->chart(0, VariantRole::Production)->eventMarkers().size(), 2u);

    f.grid->setNow(f.now + 6min);
    QCOMPARE(f.grid->events().size(), 1u);
    QCOMPARE(f.grid->events().front().label, std::string("b"));
    for (std::size_t row = 0; row < kChartRowCount; ++row) {
        for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            const auto &markers = f.grid->chart(row, role)->eventMarkers();
            QCOMPARE(markers.size(), 1u);
            QCOMPARE(markers.front().event.label, std::string("b"));
        }
    }
    // Items are gone from the plot, not just hidden.
    KpiChart *chart = f.grid->chart(0, VariantRole::Canary);
    int lines = 0;
    for (int i = 0; i < chart->itemCount(); ++i) {
        lines += qobject_cast<QCPItemStraightLine *>(chart->item(i)) ? 1 : 0;
    }
    QCOMPARE(lines, 2); // the hover cursor and the one marker left

    f.grid->clearEvents();
    QVERIFY(f.grid->events().empty());
    QVERIFY(chart->eventMarkers().empty());
}

void TestChartGrid::gapIsShadedAsNoData()
{
    // Ten missed polls two minutes before the end.
    Fixture f(600, 480, 10);
    QVERIFY(f.exposed());
    f.grid->refresh();
    for (KpiChart *chart : f.grid->visibleCharts()) {
        const QList<QCPItemRect *> bands = chart->gapBands();
        QCOMPARE(bands.size(), 1);
        QCOMPARE(chart->gaps().size(), 1u);
        // From the first missed poll to the first value after the outage.
        QCOMPARE(chart->gaps().front().first, kStart + 480s);
        QCOMPARE(chart->gaps().front().second, kStart + 490s);
        QCOMPARE(bands.front()->topLeft->key(), KpiChart::toKey(kStart + 480s));
        QCOMPARE(bands.front()->bottomRight->key(), KpiChart::toKey(kStart + 490s));
        QVERIFY(bands.front()->brush().style() != Qt::NoBrush);
        // Under the lines, over the whole height.
        QCOMPARE(bands.front()->layer()->name(), QStringLiteral("grid"));
        QCOMPARE(bands.front()->topLeft->value(), 0.0);
        QCOMPARE(bands.front()->bottomRight->value(), 1.0);
    }
    // Scrolled past the outage, the band goes with it.
    f.grid->setTimeWindow(1min);
    f.grid->refresh();
    for (KpiChart *chart : f.grid->visibleCharts()) {
        QVERIFY(chart->gapBands().isEmpty());
    }

    // An outage still going on is shaded to the right edge.
    TimeSeriesStore store;
    fill(store, 300);
    store.appendGap(kStart + 300s);
    ChartGrid grid(store);
    grid.resize(1280, 800);
    grid.setNow(kStart + 330s);
    grid.setTimeWindow(5min);
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));
    grid.refresh();
    KpiChart *chart = grid.chart(1, VariantRole::Canary);
    QCOMPARE(chart->gapBands().size(), 1);
    QCOMPARE(chart->gaps().front().first, kStart + 300s);
    QVERIFY(chart->gaps().front().second >= kStart + 330s);
}

void TestChartGrid::zeroLineRunsAboveTheAxis()
{
    // No errors at all: the error line sits at 0 and must not look like the axis or a gap.
    TimeSeriesStore store;
    for (int s = 0; s < 300; ++s) {
        for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            store.append(role, Kpi::ErrorRate, kStart + std::chrono::seconds(s), 0.0);
        }
    }
    ChartGrid grid(store);
    grid.resize(1280, 800);
    grid.setNow(kStart + 299s);
    grid.setTimeWindow(5min);
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));
    grid.refresh();
    KpiChart *chart = grid.chart(1, VariantRole::Production);
    QVERIFY(chart->yAxis->range().lower < 0.0);
    const double zeroPixel = chart->yAxis->coordToPixel(0.0);
    QVERIFY2(
        zeroPixel <= chart->axisRect()->bottom() - 3,
        qPrintable(QStringLiteral("%1 vs %2").arg(zeroPixel).arg(chart->axisRect()->bottom())));
    QVERIFY(chart->gapBands().isEmpty()); // a zero is data
    // No negative tick label: the lift is less than one tick step.
    QVector<double> ticks;
    QVector<QString> labels;
    chart->yAxis->ticker()->generate(chart->yAxis->range(), chart->locale(), QLatin1Char('g'), 6,
                                     ticks, nullptr, &labels);
    for (qsizetype i = 0; i < ticks.size(); ++i) {
        if (chart->yAxis->range().contains(ticks[i])) {
            QVERIFY2(ticks[i] >= 0.0, qPrintable(labels[i]));
        }
    }
    QVERIFY(ticks.contains(0.0));

    // The rule itself, for every row that starts at zero.
    for (const ChartRowSpec &row : ChartRowSpec::all()) {
        if (!row.includeZero) {
            continue;
        }
        const auto range = row.valueRange(ChartRowSpec::Span{0.0, 0.0}, std::nullopt);
        QVERIFY(range.first < 0.0);
        QVERIFY(-range.first <= 0.05 * (range.second - range.first));
        QVERIFY(row.valueRange(std::nullopt, std::nullopt).first < 0.0);
    }
}

void TestChartGrid::overlayTellsVariantsApartByColour()
{
    Fixture f(600);
    QVERIFY(f.exposed());
    f.grid->setOverlay(true);
    f.grid->refresh();
    const ChartPalette light = ChartPalette::fromPalette(f.grid->palette());
    for (KpiChart *chart : f.grid->visibleCharts()) {
        for (const ChartLineSpec &spec : chart->row().lines) {
            const QPen production = chart->graphFor(VariantRole::Production, spec.kpi)->pen();
            const QPen canary = chart->graphFor(VariantRole::Canary, spec.kpi)->pen();
            QCOMPARE(production.style(), Qt::SolidLine);
            QCOMPARE(canary.style(), Qt::DashLine);
            // Colour says which model: each line is its variant's hue, whatever the quantile.
            QCOMPARE(production.color().hue(), light.production.hue());
            QCOMPARE(canary.color().hue(), light.canary.hue());
            QVERIFY(production.color() != canary.color());
        }
    }
    // Quantiles of one variant differ by shade, the highest in full colour.
    KpiChart *latency = f.grid->chart(0, std::nullopt);
    const QColor p50 = latency->graphFor(VariantRole::Canary, Kpi::LatencyP50)->pen().color();
    const QColor p99 = latency->graphFor(VariantRole::Canary, Kpi::LatencyP99)->pen().color();
    QVERIFY(p50 != p99);
    QCOMPARE(p99, light.canary);
    // Side by side each column keeps the quantile colours.
    f.grid->setOverlay(false);
    f.grid->refresh();
    QCOMPARE(f.grid->chart(0, VariantRole::Canary)
                 ->graphFor(VariantRole::Canary, Kpi::LatencyP50)
                 ->pen()
                 .color(),
             light.quantiles[0]);
}

void TestChartGrid::screenshot()
{
    // An hour of history with a one-minute outage, as an operator would see it.
    Fixture f(3600, 3000, 60);
    QVERIFY(f.exposed());
    f.grid->setTimeWindow(1h);
    f.grid->refresh();
    const QString sideBySide = screenshotPath(QStringLiteral("chartgrid.png"));
    QVERIFY(f.grid->grab().save(sideBySide));
    // Events and the outage at 15 minutes, as docs/images/chart-markers.png shows them.
    addSampleEvents(*f.grid, f.now);
    f.grid->setTimeWindow(15min);
    f.grid->refresh();
    QVERIFY(f.grid->grab().save(screenshotPath(QStringLiteral("chart-markers.png"))));

    f.grid->setOverlay(true);
    f.grid->setTimeWindow(15min);
    f.grid->refresh();
    QVERIFY(f.grid->grab().save(screenshotPath(QStringLiteral("chartgrid-overlay.png"))));

    f.grid->setPalette(darkPalette());
    f.grid->setOverlay(false);
    f.grid->refresh();
    QVERIFY(f.grid->grab().save(screenshotPath(QStringLiteral("chartgrid-dark.png"))));

    StaleBanner banner;
    banner.resize(1280, 40);
    banner.showStale(12s, 3, QStringLiteral("timeout after 1000 ms"));
    QVERIFY(banner.text().endsWith(QStringLiteral("charts show a gap")));
    QVERIFY(banner.grab().save(screenshotPath(QStringLiteral("stalebanner.png"))));
    // Only the rollout is stale: the charts go on, so no gap is claimed.
    banner.showStale(12s, 3, QStringLiteral("Rollout unreadable: timed out."), false);
    QVERIFY2(!banner.text().contains(QStringLiteral("gap")), qPrintable(banner.text()));
    QVERIFY(QFileInfo(sideBySide).size() > 10'000);
}

QTEST_MAIN(TestChartGrid)
#include "tst_chartgrid.moc"
