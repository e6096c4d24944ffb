#include "metrics/kpi.h"

#include "metrics/expositionparser.h"

#include <QTest>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

using namespace canary;
using namespace canary::metrics;
using namespace std::chrono_literals;

namespace {

using Buckets = std::vector<std::pair<std::string, double>>; // le text -> cumulative count
using Observations = std::vector<std::pair<double, std::optional<double>>>; // _count, _sum

const SystemTime kT0 = SystemTime(1'700'000'000'000ms);
// The _created value of series that began long before the test's scrapes.
constexpr double kLongAgo = 1.6e9;

double unixSeconds(SystemTime time)
{
    return std::chrono::duration<double>(time.time_since_epoch()).count();
}

MetricFamily &familyOf(Exposition &exposition, const std::string &name, MetricType type)
{
    for (auto &family : exposition.families) {
        if (family.name == name) {
            return family;
        }
    }
    MetricFamily family;
    family.name = name;
    family.type = type;
    exposition.families.push_back(std::move(family));
    return exposition.families.back();
}

// Built field by field so that fields added to Sample later need no change here.
Sample sample(std::string name, std::vector<Label> labelSet, double value)
{
    Sample out;
    out.name = std::move(name);
    out.labels = std::move(labelSet);
    out.value = value;
    return out;
}

std::vector<Label> labels(const std::string &variant, const std::string &version)
{
    return {{"variant", variant}, {"version", version}};
}

// OpenMetrics shape: family `canary_requests`, samples `canary_requests_total` and `_created`.
// A `created` of NaN leaves the _created sample out (as text format 0.0.4 does).
void addCounter(Exposition &exposition, const std::string &base, const std::string &variant,
                const std::string &version, double value, double created = kLongAgo)
{
    auto &family = familyOf(exposition, base, MetricType::Counter);
    family.samples.push_back(sample(base + "_total", labels(variant, version), value));
    if (!std::isnan(created)) {
        family.samples.push_back(sample(base + "_created", labels(variant, version), created));
    }
}

// `sumSeconds` nullopt leaves the _sum sample out.
void addHistogram(Exposition &exposition, const std::string &variant, const std::string &version,
                  const Buckets &buckets, double created = kLongAgo,
                  std::optional<double> sumSeconds = 1.0)
{
    auto &family = familyOf(exposition, "canary_request_duration_seconds", MetricType::Histogram);
    for (const auto &[le, count] : buckets) {
        auto bucketLabels = labels(variant, version);
        bucketLabels.push_back({"le", le});
        family.samples.push_back(
            sample("canary_request_duration_seconds_bucket", bucketLabels, count));
    }
    family.samples.push_back(sample("canary_request_duration_seconds_count",
                                    labels(variant, version), buckets.back().second));
    if (sumSeconds) {
        family.samples.push_back(
            sample("canary_request_duration_seconds_sum", labels(variant, version), *sumSeconds));
    }
    if (!std::isnan(created)) {
        family.samples.push_back(
            sample("canary_request_duration_seconds_created", labels(variant, version), created));
    }
}

void addWeight(Exposition &exposition, const std::string &variant, const std::string &version,
               double percent)
{
    auto &family = familyOf(exposition, "canary_traffic_weight", MetricType::Gauge);
    family.samples.push_back(sample("canary_traffic_weight", labels(variant, version), percent));
}

struct VariantCounts
{
    double requests = 0;
    double errors = 0;
    double feedback = 0;
    double correct = 0;
};

void addVariant(Exposition &exposition, const std::string &variant, const std::string &version,
                VariantCounts counts, const Buckets &buckets, double weight,
                double created = kLongAgo)
{
    addCounter(exposition, "canary_requests", variant, version, counts.requests, created);
    addCounter(exposition, "canary_request_errors", variant, version, counts.errors, created);
    addCounter(exposition, "canary_feedback", variant, version, counts.feedback, created);
    addCounter(exposition, "canary_predictions_correct", variant, version, counts.correct, created);
    addHistogram(exposition, variant, version, buckets, created);
    addWeight(exposition, variant, version, weight);
}

Scrape scrapeAt(SystemTime time, Exposition exposition)
{
    return Scrape{time, std::move(exposition)};
}

// Two scrapes 10 s apart with known traffic on both variants.
std::pair<Scrape, Scrape> basicWindow()
{
    Exposition before;
    addVariant(before, "production", "1.0", {1000, 10, 100, 90},
               {{"0.1", 100}, {"0.5", 600}, {"1", 900}, {"+Inf", 1000}}, 90);
    addVariant(before, "canary", "2.0", {100, 5, 10, 8},
               {{"0.1", 10}, {"0.5", 50}, {"1", 90}, {"+Inf", 100}}, 10);
    Exposition after;
    addVariant(after, "production", "1.0", {2000, 20, 300, 270},
               {{"0.1", 300}, {"0.5", 1400}, {"1", 1900}, {"+Inf", 2000}}, 90);
    addVariant(after, "canary", "2.0", {150, 10, 20, 15},
               {{"0.1", 20}, {"0.5", 60}, {"1", 130}, {"+Inf", 150}}, 10);
    return {scrapeAt(kT0, std::move(before)), scrapeAt(kT0 + 10s, std::move(after))};
}

std::vector<std::string> strings(std::initializer_list<const char *> list)
{
    return {list.begin(), list.end()};
}

} // namespace

Q_DECLARE_METATYPE(Observations)

class TestKpi final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void basicWindow();
    void counterReset();
    void histogramResetWithUnchangedBucket();
    void newSeriesCreatedInWindowCountsFromZero();
    void versionSwitchAfterPromote();
    void histogramsSumAcrossVersionsByBound();
    void missingMetricIsUnknown_data();
    void missingMetricIsUnknown();
    void refusesBadWindow_data();
    void refusesBadWindow();
    void ambiguousWeight();
    void duplicateSeries();
    void sampleWithoutVariantIsIgnored();
    void prometheusTextNames();
    void firstSampleIsStartingPoint_data();
    void firstSampleIsStartingPoint();
    void resetsAreReported();
    void partialResetIsNoRestart();
    void neverInfinite_data();
    void neverInfinite();
    void longWindowSumsBuckets();
    void meanLatency_data();
    void meanLatency();
    void longWindowRefusesDisorder();
    void madeScrapeMatchesUnflattened();
    void parsedCreatedSamples();
};

void TestKpi::basicWindow()
{
    const auto [before, after] = ::basicWindow();
    const KpiResult result = computeKpis(before, after);
    QVERIFY2(result.ok(), result.error.c_str());
    QCOMPARE(result.elapsedSeconds, 10.0);
    QVERIFY(result.warnings.empty());

    const VariantKpis &prod = result.production;
    QCOMPARE(prod.requestsInWindow, 1000.0);
    QCOMPARE(prod.requestRate, 100.0); // 1000 / 10 s
    QCOMPARE(prod.errorRatio, 0.01);   // 10 / 1000
    QCOMPARE(prod.feedbackInWindow, 200.0);
    QCOMPARE(prod.accuracy.value(), 0.9); // 180 / 200
    // Bucket deltas: 0.1:200 0.5:800 1:1000 +Inf:1000.
    // p50: rank 500 -> le 0.5: 0.1 + 0.4 * (500-200)/600 = 0.3
    // p95: rank 950 -> le 1: 0.5 + 0.5 * (950-800)/200 = 0.875
    // p99: rank 990 -> le 1: 0.5 + 0.5 * (990-800)/200 = 0.975
    QCOMPARE(prod.p50Seconds, 0.3);
    QCOMPARE(prod.p95Seconds, 0.875);
    QCOMPARE(prod.p99Seconds, 0.975);
    QCOMPARE(prod.weightPercent, 90.0);
    QCOMPARE(prod.versions, strings({"1.0"}));
    QCOMPARE(prod.activeVersions, strings({"1.0"}));
    for (Kpi kpi : kAllKpis) {
        QVERIFY2(prod.known(kpi) && prod.reason(kpi).empty(), prod.reason(kpi).c_str());
    }

    const VariantKpis &canaryKpis = result.canary;
    QCOMPARE(canaryKpis.requestRate, 5.0);      // 50 / 10 s
    QCOMPARE(canaryKpis.errorRatio, 0.1);       // 5 / 50
    QCOMPARE(canaryKpis.accuracy.value(), 0.7); // 7 / 10
    // Bucket deltas: 0.1:10 0.5:10 1:40 +Inf:50.
    // p50: rank 25 -> le 1: 0.5 + 0.5 * (25-10)/30 = 0.75
    // p95: rank 47.5 is above every finite bucket -> highest finite bound, 1
    QCOMPARE(canaryKpis.p50Seconds, 0.75);
    QCOMPARE(canaryKpis.p95Seconds, 1.0);
    QCOMPARE(canaryKpis.p99Seconds, 1.0);
    QCOMPARE(canaryKpis.weightPercent, 10.0);
    QCOMPARE(canaryKpis.value(Kpi::ErrorRate), 0.1);
    QCOMPARE(&result.variant(VariantRole::Canary), &result.canary);
}

void TestKpi::counterReset()
{
    Exposition before;
    addVariant(before, "production", "1.0", {5000, 50, 500, 400},
               {{"0.1", 1000}, {"0.5", 4000}, {"1", 4900}, {"+Inf", 5000}}, 100);
    Exposition after; // the gateway restarted: every counter starts again
    addVariant(after, "production", "1.0", {300, 3, 40, 30},
               {{"0.1", 100}, {"0.5", 200}, {"1", 290}, {"+Inf", 300}}, 100);
    const auto result = computeKpis(scrapeAt(kT0, before), scrapeAt(kT0 + 10s, after));
    QVERIFY(result.ok());
    const auto &prod = result.production;
    QCOMPARE(prod.requestsInWindow, 300.0); // the new value, not -4700
    QCOMPARE(prod.requestRate, 30.0);
    QCOMPARE(prod.errorRatio, 0.01);       // 3 / 300
    QCOMPARE(prod.accuracy.value(), 0.75); // 30 / 40
    // Deltas are the new buckets: rank 150 -> le 0.5: 0.1 + 0.4 * (150-100)/100 = 0.3
    QCOMPARE(prod.p50Seconds, 0.3);
}

void TestKpi::histogramResetWithUnchangedBucket()
{
    // After a restart the le=0.1 bucket happens to be back at 100: only the other buckets show
    // the reset, but the whole histogram restarted.
    Exposition before;
    addVariant(before, "production", "1.0", {300, 0, 0, 0},
               {{"0.1", 100}, {"0.5", 200}, {"1", 300}, {"+Inf", 300}}, 100);
    Exposition after;
    addVariant(after, "production", "1.0", {150, 0, 0, 0},
               {{"0.1", 100}, {"0.5", 150}, {"1", 150}, {"+Inf", 150}}, 100);
    // Deltas are 100, 150, 150, 150: rank 75 -> le 0.1: 0.1 * 75/100 = 0.075.
    // (Per-bucket differencing would have given 0, 150, 150, 150 and a p50 of 0.1 + 0.4*75/150.)
    QCOMPARE(computeKpis(scrapeAt(kT0, before), scrapeAt(kT0 + 5s, after)).production.p50Seconds,
             0.075);
    // The falling buckets alone tell the reset when no _count is exposed.
    for (Exposition *exposition : {&before, &after}) {
        for (auto &family : exposition->families) {
            std::erase_if(family.samples,
                          [](const Sample &s) { return s.name.ends_with("_count"); });
        }
    }
    QCOMPARE(computeKpis(scrapeAt(kT0, before), scrapeAt(kT0 + 5s, after)).production.p50Seconds,
             0.075);
}

void TestKpi::newSeriesCreatedInWindowCountsFromZero()
{
    auto [before, after] = ::basicWindow();
    // A new canary version is staged between the scrapes; 2.0 stays exposed, frozen.
    after.exposition = {};
    addVariant(after.exposition, "production", "1.0", {2000, 20, 300, 270},
               {{"0.1", 300}, {"0.5", 1400}, {"1", 1900}, {"+Inf", 2000}}, 90);
    addVariant(after.exposition, "canary", "2.0", {100, 5, 10, 8},
               {{"0.1", 10}, {"0.5", 50}, {"1", 90}, {"+Inf", 100}}, 0);
    // 3.0's _created says it began inside the window, so all it counted is new.
    addVariant(after.exposition, "canary", "3.0", {40, 2, 4, 3},
               {{"0.1", 30}, {"0.5", 38}, {"1", 40}, {"+Inf", 40}}, 10, unixSeconds(kT0 + 2s));

    const auto result = computeKpis(before, after);
    QVERIFY(result.ok());
    const auto &canaryKpis = result.canary;
    QCOMPARE(canaryKpis.requestsInWindow, 40.0); // 3.0 counted from 0, 2.0 did not move
    QCOMPARE(canaryKpis.requestRate, 4.0);
    QCOMPARE(canaryKpis.errorRatio, 0.05);       // 2 / 40
    QCOMPARE(canaryKpis.accuracy.value(), 0.75); // 3 / 4
    // 3.0's buckets from 0 (2.0's deltas are 0): rank 20 -> le 0.1: 0.1 * 20/30
    QCOMPARE(canaryKpis.p50Seconds, 0.1 * (20.0 / 30.0));
    QCOMPARE(canaryKpis.weightPercent, 10.0);
    QCOMPARE(canaryKpis.versions, strings({"2.0", "3.0"}));
    QCOMPARE(canaryKpis.activeVersions, strings({"3.0"}));
}

void TestKpi::versionSwitchAfterPromote()
{
    auto [before, after] = ::basicWindow();
    // 2.0 was promoted: it now serves as production; the old series stay exposed, frozen.
    after.exposition = {};
    addVariant(after.exposition, "production", "1.0", {1000, 10, 100, 90},
               {{"0.1", 100}, {"0.5", 600}, {"1", 900}, {"+Inf", 1000}}, 0);
    addVariant(after.exposition, "production", "2.0", {200, 4, 50, 45},
               {{"0.1", 100}, {"0.5", 180}, {"1", 200}, {"+Inf", 200}}, 100, unixSeconds(kT0 + 1s));
    addVariant(after.exposition, "canary", "2.0", {100, 5, 10, 8},
               {{"0.1", 10}, {"0.5", 50}, {"1", 90}, {"+Inf", 100}}, 0);

    const auto result = computeKpis(before, after);
    QVERIFY(result.ok());
    const auto &prod = result.production;
    QCOMPARE(prod.requestsInWindow, 200.0);
    QCOMPARE(prod.errorRatio, 0.02);
    QCOMPARE(prod.accuracy.value(), 0.9);
    // Only 2.0's buckets moved: rank 100 -> le 0.1 (100 >= 100): 0.1
    QCOMPARE(prod.p50Seconds, 0.1);
    QCOMPARE(prod.weightPercent, 100.0);
    QCOMPARE(prod.versions, strings({"1.0", "2.0"}));
    QCOMPARE(prod.activeVersions, strings({"2.0"}));

    // The canary slot is idle: a rate of 0 is a fact, the ratios are unknown.
    const auto &canaryKpis = result.canary;
    QCOMPARE(canaryKpis.requestRate, 0.0);
    QVERIFY(canaryKpis.known(Kpi::RequestRate));
    QVERIFY(std::isnan(canaryKpis.errorRatio));
    QCOMPARE(canaryKpis.reason(Kpi::ErrorRate), std::string("no requests in the window"));
    QVERIFY(!canaryKpis.accuracy);
    QVERIFY(!canaryKpis.reason(Kpi::Accuracy).empty());
    QVERIFY(std::isnan(canaryKpis.p50Seconds));
    QVERIFY(std::isnan(canaryKpis.p99Seconds));
    QCOMPARE(canaryKpis.reason(Kpi::LatencyP95), std::string("no requests in the window"));
    QCOMPARE(canaryKpis.weightPercent, 0.0);
    QVERIFY(canaryKpis.activeVersions.empty());
}

void TestKpi::histogramsSumAcrossVersionsByBound()
{
    Exposition before;
    addVariant(before, "production", "1.0", {0, 0, 0, 0}, {{"0.1", 0}, {"1", 0}, {"+Inf", 0}}, 50);
    addVariant(before, "production", "1.1", {0, 0, 0, 0}, {{"0.1", 0}, {"1.0", 0}, {"+Inf", 0}}, 0);
    Exposition after;
    addVariant(after, "production", "1.0", {20, 0, 0, 0}, {{"0.1", 10}, {"1", 20}, {"+Inf", 20}},
               50);
    // The same bounds spelled differently ("1.0", "+Inf") still meet by value.
    addVariant(after, "production", "1.1", {20, 0, 0, 0}, {{"0.1", 0}, {"1.0", 20}, {"+Inf", 20}},
               0);
    const auto result = computeKpis(scrapeAt(kT0, before), scrapeAt(kT0 + 1s, after));
    // Summed: 0.1:10 1:40 +Inf:40.
    // p50: rank 20 -> le 1: 0.1 + 0.9 * (20-10)/30 = 0.4
    // p95: rank 38 -> le 1: 0.1 + 0.9 * (38-10)/30 = 0.94
    QCOMPARE(result.production.p50Seconds, 0.4);
    QCOMPARE(result.production.p95Seconds, 0.94);
    QCOMPARE(result.production.requestRate, 40.0);
    QCOMPARE(result.production.activeVersions, strings({"1.0", "1.1"}));
    // Nothing staged in the canary slot: everything unknown, nothing zero.
    for (Kpi kpi : kAllKpis) {
        QVERIFY(!result.canary.known(kpi));
        QVERIFY(!result.canary.reason(kpi).empty());
    }
    QVERIFY(result.canary.versions.empty());
}

void TestKpi::missingMetricIsUnknown_data()
{
    QTest::addColumn<QString>("dropped");
    QTest::addColumn<QList<int>>("unknown");
    const auto i = [](Kpi kpi) {
        return static_cast<int>(kpi);
    };

    QTest::newRow("requests") << QStringLiteral("canary_requests_total")
                              << QList<int>{i(Kpi::RequestRate), i(Kpi::ErrorRate)};
    QTest::newRow("errors") << QStringLiteral("canary_request_errors_total")
                            << QList<int>{i(Kpi::ErrorRate)};
    QTest::newRow("feedback") << QStringLiteral("canary_feedback_total")
                              << QList<int>{i(Kpi::Accuracy)};
    QTest::newRow("correct") << QStringLiteral("canary_predictions_correct_total")
                             << QList<int>{i(Kpi::Accuracy)};
    QTest::newRow("buckets") << QStringLiteral("canary_request_duration_seconds_bucket")
                             << QList<int>{i(Kpi::LatencyP50), i(Kpi::LatencyP95),
                                           i(Kpi::LatencyP99)};
    QTest::newRow("weight") << QStringLiteral("canary_traffic_weight")
                            << QList<int>{i(Kpi::Weight)};
}

void TestKpi::missingMetricIsUnknown()
{
    QFETCH(QString, dropped);
    QFETCH(QList<int>, unknown);

    auto [before, after] = ::basicWindow();
    for (auto &family : after.exposition.families) {
        std::erase_if(family.samples,
                      [&](const Sample &s) { return s.name == dropped.toStdString(); });
    }
    const auto result = computeKpis(before, after);
    QVERIFY(result.ok());
    for (const VariantKpis *kpis : {&result.production, &result.canary}) {
        for (Kpi kpi : kAllKpis) {
            const bool expectUnknown = unknown.contains(static_cast<int>(kpi));
            QCOMPARE(kpis->known(kpi), !expectUnknown);
            QCOMPARE(kpis->reason(kpi).empty(), !expectUnknown);
        }
    }
    if (unknown.contains(static_cast<int>(Kpi::ErrorRate)) &&
        !unknown.contains(static_cast<int>(Kpi::RequestRate))) {
        QVERIFY(std::isnan(result.production.errorsInWindow));
        QVERIFY(result.production.reason(Kpi::ErrorRate).find(dropped.toStdString()) !=
                std::string::npos);
    }
}

void TestKpi::refusesBadWindow_data()
{
    QTest::addColumn<qint64>("elapsedMs");
    QTest::addColumn<bool>("parseError");

    QTest::newRow("same-time") << qint64(0) << false;
    QTest::newRow("backwards") << qint64(-1000) << false;
    QTest::newRow("parse-error") << qint64(1000) << true;
}

void TestKpi::refusesBadWindow()
{
    QFETCH(qint64, elapsedMs);
    QFETCH(bool, parseError);

    auto [before, after] = ::basicWindow();
    after.time = before.time + std::chrono::milliseconds(elapsedMs);
    if (parseError) {
        after.exposition.errors.push_back({3, 1, "unexpected character"});
    }
    const auto result = computeKpis(before, after);
    QVERIFY(!result.ok());
    for (const VariantKpis *kpis : {&result.production, &result.canary}) {
        for (Kpi kpi : kAllKpis) {
            QVERIFY(!kpis->known(kpi));
            QCOMPARE(kpis->reason(kpi), result.error);
        }
    }
}

void TestKpi::ambiguousWeight()
{
    auto [before, after] = ::basicWindow();
    addWeight(after.exposition, "canary", "1.9", 5); // a stale version still claims traffic
    const auto result = computeKpis(before, after);
    QVERIFY(std::isnan(result.canary.weightPercent));
    QVERIFY(result.canary.reason(Kpi::Weight).find("1.9") != std::string::npos);
    QCOMPARE(result.production.weightPercent, 90.0);

    addWeight(after.exposition, "production", "0.9", 250);
    QVERIFY(std::isnan(computeKpis(before, after).production.weightPercent));
}

void TestKpi::duplicateSeries()
{
    auto [before, after] = ::basicWindow();
    addCounter(after.exposition, "canary_requests", "canary", "2.0", 150);
    const auto result = computeKpis(before, after);
    QVERIFY(std::isnan(result.canary.requestRate));
    QVERIFY(result.canary.reason(Kpi::RequestRate).find("duplicate") != std::string::npos);
    QCOMPARE(result.production.requestRate, 100.0);
}

void TestKpi::sampleWithoutVariantIsIgnored()
{
    auto [before, after] = ::basicWindow();
    auto &family = familyOf(after.exposition, "canary_requests", MetricType::Counter);
    family.samples.push_back(sample("canary_requests_total", {{"variant", "shadow"}}, 1e6));
    family.samples.push_back(sample("canary_requests_total", {{"version", "2.0"}}, 1e6));
    const auto result = computeKpis(before, after);
    QCOMPARE(result.production.requestRate, 100.0);
    QCOMPARE(result.canary.requestRate, 5.0);
    QCOMPARE(result.warnings.size(), std::size_t(1));
}

void TestKpi::prometheusTextNames()
{
    // In text format 0.0.4 the family carries the full counter name and no _created samples.
    auto [before, after] = ::basicWindow();
    for (Scrape *scrape : {&before, &after}) {
        for (auto &family : scrape->exposition.families) {
            if (family.type == MetricType::Counter) {
                family.name += "_total";
                std::erase_if(family.samples,
                              [](const Sample &s) { return s.name.ends_with("_created"); });
            }
        }
    }
    const auto result = computeKpis(before, after);
    QCOMPARE(result.production.requestRate, 100.0);
    QCOMPARE(result.canary.accuracy.value(), 0.7);
}

void TestKpi::firstSampleIsStartingPoint_data()
{
    QTest::addColumn<double>("createdOffsetSeconds"); // NaN: no _created sample
    QTest::addColumn<double>("expectedRequests");
    QTest::addColumn<double>("expectedErrors");
    QTest::addColumn<bool>("latencyKnown");

    const double none = std::numeric_limits<double>::quiet_NaN();
    // The backend's counters carry on from 1.0 to 1.1 (10000 -> 10010): only 10 are new, and a
    // series never seen before cannot say which, so the window counts none of them.
    QTest::newRow("relabel, no _created") << none << 0.0 << 0.0 << false;
    QTest::newRow("_created before the previous scrape") << -3600.0 << 0.0 << 0.0 << false;
    QTest::newRow("_created at the previous scrape") << 0.0 << 0.0 << 0.0 << false;
    QTest::newRow("_created after the previous scrape") << 4.0 << 10010.0 << 110.0 << true;
}

void TestKpi::firstSampleIsStartingPoint()
{
    QFETCH(double, createdOffsetSeconds);
    QFETCH(double, expectedRequests);
    QFETCH(double, expectedErrors);
    QFETCH(bool, latencyKnown);

    const double created = unixSeconds(kT0) + createdOffsetSeconds;
    Exposition before;
    addVariant(before, "production", "1.0", {50000, 10, 0, 0}, {{"0.1", 50000}, {"+Inf", 50000}},
               100);
    addVariant(before, "canary", "1.0", {10000, 100, 0, 0}, {{"0.1", 9000}, {"+Inf", 10000}}, 0);
    Exposition after;
    addVariant(after, "production", "1.0", {50500, 10, 0, 0}, {{"0.1", 50500}, {"+Inf", 50500}},
               100);
    addVariant(after, "canary", "1.1", {10010, 110, 0, 0}, {{"0.1", 9010}, {"+Inf", 10010}}, 0,
               created);
    const auto result = computeKpis(scrapeAt(kT0, before), scrapeAt(kT0 + 10s, after));
    QVERIFY2(result.ok(), result.error.c_str());
    const auto &canaryKpis = result.canary;
    QCOMPARE(canaryKpis.requestsInWindow, expectedRequests);
    QCOMPARE(canaryKpis.requestRate, expectedRequests / 10);
    QCOMPARE(canaryKpis.errorsInWindow, expectedErrors);
    QCOMPARE(canaryKpis.known(Kpi::LatencyP50), latencyKnown);
    if (latencyKnown) {
        QCOMPARE(canaryKpis.errorRatio, 110.0 / 10010.0);
        // Buckets from 0: 0.1:9010 +Inf:10010; rank 5005 -> 0.1 * 5005/9010.
        QCOMPARE(canaryKpis.p50Seconds, 0.1 * 5005.0 / 9010.0);
    } else {
        QCOMPARE(canaryKpis.reason(Kpi::ErrorRate), std::string("no requests in the window"));
        QCOMPARE(canaryKpis.reason(Kpi::LatencyP50), std::string("no requests in the window"));
    }
    QVERIFY(canaryKpis.resets.empty());
    QCOMPARE(result.production.requestsInWindow, 500.0);
}

void TestKpi::resetsAreReported()
{
    Exposition before;
    addVariant(before, "production", "1.0", {5000, 50, 500, 400}, {{"0.1", 1000}, {"+Inf", 5000}},
               100);
    addVariant(before, "canary", "2.0", {100, 0, 0, 0}, {{"0.1", 100}, {"+Inf", 100}}, 0);
    Exposition after; // production's process restarted; the canary carried on
    addVariant(after, "production", "1.0", {300, 3, 40, 30}, {{"0.1", 100}, {"+Inf", 300}}, 100);
    addVariant(after, "canary", "2.0", {110, 0, 0, 0}, {{"0.1", 110}, {"+Inf", 110}}, 0);
    const auto result = computeKpis(scrapeAt(kT0, before), scrapeAt(kT0 + 10s, after));
    QVERIFY(result.ok());

    const auto &prod = result.production;
    QCOMPARE(prod.restartedAt, std::optional<SystemTime>(kT0 + 10s));
    std::vector<std::string> metrics;
    for (const auto &reset : prod.resets) {
        QCOMPARE(reset.version, std::string("1.0"));
        QCOMPARE(reset.seenAt, kT0 + 10s);
        metrics.push_back(reset.metric);
    }
    std::sort(metrics.begin(), metrics.end());
    QCOMPARE(metrics, strings({"canary_feedback_total", "canary_predictions_correct_total",
                               "canary_request_duration_seconds", "canary_request_errors_total",
                               "canary_requests_total"}));
    QVERIFY(result.canary.resets.empty());
    QVERIFY(!result.canary.restartedAt);
}

void TestKpi::partialResetIsNoRestart()
{
    // Only the error counter fell (e.g. an exporter that recreates one metric): reported, but
    // the backend did not restart. A counter at 0 before cannot fall and does not count.
    Exposition before;
    addVariant(before, "production", "1.0", {5000, 50, 0, 0}, {{"0.1", 1000}, {"+Inf", 5000}}, 100);
    Exposition after;
    addVariant(after, "production", "1.0", {5100, 2, 0, 0}, {{"0.1", 1010}, {"+Inf", 5100}}, 100);
    const auto result = computeKpis(scrapeAt(kT0, before), scrapeAt(kT0 + 10s, after));
    const auto &prod = result.production;
    QCOMPARE(prod.resets.size(), std::size_t(1));
    QCOMPARE(prod.resets.front().metric, std::string("canary_request_errors_total"));
    QVERIFY(!prod.restartedAt);
    QCOMPARE(prod.errorsInWindow, 2.0);
    QCOMPARE(prod.requestsInWindow, 100.0);
}

void TestKpi::neverInfinite_data()
{
    QTest::addColumn<double>("requestsEach"); // the canary's two versions' request counters
    QTest::addColumn<QString>("lowBound");    // the lowest bucket's le
    QTest::addColumn<QString>("highBound");   // the highest finite bucket's le
    QTest::addColumn<QList<int>>("unknown");  // canary KPIs that must be unknown
    QTest::addColumn<QString>("reasonContains");

    const auto i = [](Kpi kpi) {
        return static_cast<int>(kpi);
    };
    const QList<int> latency{i(Kpi::LatencyP50), i(Kpi::LatencyP95), i(Kpi::LatencyP99)};
    QTest::newRow("finite") << 1e6 << QStringLiteral("0.1") << QStringLiteral("1") << QList<int>{}
                            << QString();
    // Each version's counter is finite; their sum is not.
    QTest::newRow("request sum overflows")
        << 1.7e308 << QStringLiteral("0.1") << QStringLiteral("1")
        << QList<int>{i(Kpi::RequestRate), i(Kpi::ErrorRate)} << QStringLiteral("more than");
    QTest::newRow("-Inf bucket") << 1e6 << QStringLiteral("-Inf") << QStringLiteral("1") << latency
                                 << QStringLiteral("-Inf");
    // Interpolating between -1e308 and 1e308 overflows: p50 would be +Inf, above p99.
    QTest::newRow("bounds too far apart")
        << 1e6 << QStringLiteral("-1e308") << QStringLiteral("1e308") << latency
        << QStringLiteral("interpolate");
    QTest::newRow("negative bounds") << 1e6 << QStringLiteral("-5") << QStringLiteral("-1")
                                     << latency << QStringLiteral("negative");
}

void TestKpi::neverInfinite()
{
    QFETCH(double, requestsEach);
    QFETCH(QString, lowBound);
    QFETCH(QString, highBound);
    QFETCH(QList<int>, unknown);
    QFETCH(QString, reasonContains);

    Exposition before;
    Exposition after;
    for (const char *version : {"2.0", "2.1"}) {
        addVariant(before, "canary", version, {0, 0, 0, 0},
                   {{lowBound.toStdString(), 0}, {highBound.toStdString(), 0}, {"+Inf", 0}}, 5);
        // Observations in the lowest bucket (rank 1/100 of them) and in the highest finite one.
        addVariant(after, "canary", version, {requestsEach, 10, 0, 0},
                   {{lowBound.toStdString(), 1}, {highBound.toStdString(), 100}, {"+Inf", 100}},
                   std::string(version) == "2.0" ? 5 : 0);
    }
    const auto result = computeKpis(scrapeAt(kT0, before), scrapeAt(kT0 + 10s, after));
    QVERIFY(result.ok());
    const auto &canaryKpis = result.canary;
    for (Kpi kpi : {Kpi::RequestRate, Kpi::ErrorRate, Kpi::LatencyP50, Kpi::LatencyP95,
                    Kpi::LatencyP99, Kpi::Weight}) {
        const double value = canaryKpis.value(kpi);
        QVERIFY2(std::isnan(value) || std::isfinite(value), std::string(toString(kpi)).c_str());
        const bool expectUnknown = unknown.contains(static_cast<int>(kpi));
        QCOMPARE(canaryKpis.known(kpi), !expectUnknown);
        if (expectUnknown) {
            QVERIFY2(canaryKpis.reason(kpi).find(reasonContains.toStdString()) != std::string::npos,
                     canaryKpis.reason(kpi).c_str());
        }
    }
    if (canaryKpis.known(Kpi::LatencyP50)) {
        QVERIFY(canaryKpis.p50Seconds <= canaryKpis.p95Seconds);
        QVERIFY(canaryKpis.p95Seconds <= canaryKpis.p99Seconds);
    }
}

void TestKpi::longWindowSumsBuckets()
{
    // 31 scrapes a second apart: production serves 100 requests a second, all under 0.1 s,
    // except seconds 10..19 where 10 of each 100 take 0.5..1 s. The gateway restarts at second
    // 20: every counter starts again from that second's traffic.
    std::vector<Scrape> scrapes;
    double requests = 0;
    double fast = 0;
    double slow = 0;
    for (int second = 0; second <= 30; ++second) {
        if (second == 20) {
            requests = fast = slow = 0;
        }
        if (second > 0) {
            const bool slowStretch = second > 10 && second <= 20;
            requests += 100;
            fast += slowStretch ? 90 : 100;
            slow += slowStretch ? 10 : 0;
        }
        Exposition exposition;
        addVariant(exposition, "production", "1.0", {requests, 0, 0, 0},
                   {{"0.1", fast}, {"0.5", fast}, {"1", fast + slow}, {"+Inf", fast + slow}}, 100,
                   unixSeconds(kT0 + (second >= 20 ? 19500ms : -1h)));
        scrapes.push_back(makeScrape(kT0 + std::chrono::seconds(second), std::move(exposition)));
    }
    const KpiResult result = computeKpisOver(scrapes);
    QVERIFY2(result.ok(), result.error.c_str());
    QCOMPARE(result.elapsedSeconds, 30.0);
    QCOMPARE(result.time, kT0 + 30s);
    const auto &prod = result.production;
    QCOMPARE(prod.requestsInWindow, 3000.0); // the reset loses nothing
    QCOMPARE(prod.requestRate, 100.0);
    // Summed bucket deltas: 0.1:2900 0.5:2900 1:3000 +Inf:3000.
    // p99: rank 2970 -> le 1: 0.5 + 0.5 * (2970-2900)/100 = 0.85. (The mean of the three 10-s
    // windows' p99s would be (0.099 + 0.95 + 0.099) / 3 = 0.383.)
    QCOMPARE(prod.p99Seconds, 0.85);
    // p50: rank 1500 -> le 0.1: 0.1 * 1500/2900
    QCOMPARE(prod.p50Seconds, 0.1 * 1500.0 / 2900.0);
    QCOMPARE(prod.restartedAt, std::optional<SystemTime>(kT0 + 20s));
    QVERIFY(!prod.resets.empty());

    // The pairwise windows agree with the long one where they overlap.
    const KpiResult slowTen = computeKpisOver(std::span(scrapes).subspan(10, 11));
    QCOMPARE(slowTen.production.p99Seconds, 0.95);
    QCOMPARE(computeKpis(scrapes[0], scrapes[30]).ok(), true);
    QVERIFY(std::isnan(result.canary.requestRate));
}

void TestKpi::meanLatency_data()
{
    // Three scrapes 10 s apart of the canary's histogram: (_count, _sum) each, nullopt for no
    // _sum. `mean` NaN: unknown, with `reason` in meanReason.
    QTest::addColumn<Observations>("observations");
    QTest::addColumn<double>("mean");
    QTest::addColumn<QString>("reason");
    const double unknown = std::numeric_limits<double>::quiet_NaN();
    // 300 requests that took 30 s in all.
    QTest::newRow("steady") << Observations{{0, 0.0}, {100, 10.0}, {300, 30.0}} << 0.1 << QString();
    // A restart between the second and third scrape: 100 requests for 20 s, then 50 for 2.5 s.
    QTest::newRow("reset inside the window")
        << Observations{{100, 10.0}, {200, 30.0}, {50, 2.5}} << 22.5 / 150 << QString();
    // The count caught up before the scrape, but the seconds observed fell: a restart all the
    // same (latencies are never negative), so the last interval counts from 0: 250 for 5 s.
    QTest::newRow("reset seen only in _sum")
        << Observations{{100, 10.0}, {200, 30.0}, {250, 5.0}} << 25.0 / 350 << QString();
    QTest::newRow("no _sum") << Observations{{0, {}}, {100, {}}, {300, {}}} << unknown
                             << QStringLiteral("has no _sum for the canary variant");
    QTest::newRow("_sum only at the end")
        << Observations{{0, {}}, {100, {}}, {300, 30.0}} << unknown
        << QStringLiteral("has no _sum for the canary variant");
    QTest::newRow("no requests") << Observations{{100, 10.0}, {100, 10.0}, {100, 10.0}} << unknown
                                 << QStringLiteral("no requests in the window");
    QTest::newRow("negative _sum") << Observations{{0, 0.0}, {100, -5.0}, {300, 30.0}} << unknown
                                   << QStringLiteral("_sum has a negative or non-finite value");
}

void TestKpi::meanLatency()
{
    QFETCH(Observations, observations);
    QFETCH(double, mean);
    QFETCH(QString, reason);
    std::vector<Scrape> scrapes;
    for (std::size_t i = 0; i < observations.size(); ++i) {
        const auto [count, sum] = observations[i];
        Exposition exposition;
        addCounter(exposition, "canary_requests", "canary", "2.0", count);
        addHistogram(exposition, "canary", "2.0", {{"0.1", count / 2}, {"+Inf", count}}, kLongAgo,
                     sum);
        scrapes.push_back(
            makeScrape(kT0 + std::chrono::seconds(10 * static_cast<int>(i)), exposition));
    }
    const KpiResult result = computeKpisOver(scrapes);
    QVERIFY2(result.ok(), result.error.c_str());
    const VariantKpis &canaryKpis = result.canary;
    if (std::isnan(mean)) {
        QVERIFY(std::isnan(canaryKpis.meanSeconds));
        QVERIFY2(canaryKpis.meanReason.find(reason.toStdString()) != std::string::npos,
                 canaryKpis.meanReason.c_str());
    } else {
        QCOMPARE(canaryKpis.meanSeconds, mean);
        QVERIFY2(canaryKpis.meanReason.empty(), canaryKpis.meanReason.c_str());
    }
    // The variant without a histogram says so.
    QVERIFY(std::isnan(result.production.meanSeconds));
    QVERIFY(!result.production.meanReason.empty());
}

void TestKpi::longWindowRefusesDisorder()
{
    auto [a, b] = ::basicWindow();
    const std::vector<Scrape> backwards{b, a, b};
    const KpiResult result = computeKpisOver(backwards);
    QVERIFY(!result.ok());
    QVERIFY(!result.production.known(Kpi::RequestRate));
    QCOMPARE(result.production.meanReason, result.error);
    QVERIFY(!computeKpisOver(std::span<const Scrape>(&a, 1)).ok());
    std::vector<Scrape> badMiddle{a, b, b};
    badMiddle[1].time = a.time + 1s;
    badMiddle[1].exposition.errors.push_back({1, 1, "bad"});
    QCOMPARE(computeKpisOver(badMiddle).error,
             std::string("a scrape inside the window did not parse"));
}

void TestKpi::madeScrapeMatchesUnflattened()
{
    const auto [before, after] = ::basicWindow();
    const Scrape madeBefore = makeScrape(before.time, before.exposition);
    const Scrape madeAfter = makeScrape(after.time, after.exposition);
    QVERIFY(madeBefore.kpiSeries && madeAfter.kpiSeries);
    QVERIFY(!before.kpiSeries);
    const auto plain = computeKpis(before, after);
    const auto made = computeKpis(madeBefore, madeAfter);
    for (Kpi kpi : kAllKpis) {
        QCOMPARE(made.production.value(kpi), plain.production.value(kpi));
        QCOMPARE(made.canary.value(kpi), plain.canary.value(kpi));
    }
}

void TestKpi::parsedCreatedSamples()
{
    // The OpenMetrics text the parser reads: _created samples belong to the counter's family.
    const auto exposition = [](const char *canaryVersion, int canaryRequests, double created) {
        std::string text =
            "# TYPE canary_requests counter\n"
            "canary_requests_total{variant=\"production\",version=\"1.0\"} 500\n"
            "canary_requests_created{variant=\"production\",version=\"1.0\"} 1.6e9\n";
        text += "canary_requests_total{variant=\"canary\",version=\"" + std::string(canaryVersion) +
                "\"} " + std::to_string(canaryRequests) + "\n";
        text += "canary_requests_created{variant=\"canary\",version=\"" +
                std::string(canaryVersion) + "\"} " + std::to_string(created) + "\n# EOF\n";
        const Exposition parsed = parseExposition(text, ExpositionFormat::OpenMetrics);
        if (!parsed.ok()) {
            qWarning("%s", parsed.errors.front().message.c_str());
        }
        return parsed;
    };
    const double t0 = unixSeconds(kT0);
    const Scrape before = makeScrape(kT0, exposition("1.0", 10000, t0 - 100));
    // Relabelled, counters carried on: a starting point.
    const Scrape carried = makeScrape(kT0 + 10s, exposition("1.1", 10010, t0 - 100));
    QCOMPARE(computeKpis(before, carried).canary.requestsInWindow, 0.0);
    // A new series born after the previous scrape: everything it counted is new.
    const Scrape born = makeScrape(kT0 + 10s, exposition("1.1", 30, t0 + 5));
    QCOMPARE(computeKpis(before, born).canary.requestsInWindow, 30.0);
    QCOMPARE(computeKpis(before, born).canary.activeVersions, strings({"1.1"}));
}

QTEST_APPLESS_MAIN(TestKpi)
#include "tst_kpi.moc"
