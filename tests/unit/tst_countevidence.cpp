// The always-valid count test: its false-alarm rate in seeded A/A simulations, its detection time
// against Wald's SPRT that knows both rates, and its arithmetic.
#include "analysis/countevidence.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace canary::analysis;

namespace {

struct Canary
{
    double canaryShare = 0.1; // of requestsPerSecond; see shareSwings
    bool shareSwings = false; // the share jumps between 1 % and 50 % every minute
    int requestsPerSecond = 100;
    double productionErrorRate = 0.01;
    double canaryErrorRate = 0.01;
    double tolerance = 0;
    int seconds = 30 * 60;
};

struct Outcome
{
    int evidenceSecond = -1; // first second the evidence reached 1/alpha, -1 never
    int oracleSecond = -1;   // the same for Wald's SPRT with both rates known
};

// One simulated canary, checked every second.
Outcome simulate(const Canary &c, std::mt19937_64 &random, double alpha = 0.05)
{
    CountEvidence evidence(alpha, c.tolerance);
    Outcome out;
    // Wald's SPRT on the canary's requests alone, knowing p0 = production's rate and
    // p1 = the canary's: the log likelihood ratio of each request, summed.
    const double p0 = c.productionErrorRate;
    const double p1 = c.canaryErrorRate;
    const double oracleEvent = std::log(p1 / p0);
    const double oracleClean = std::log((1 - p1) / (1 - p0));
    double oracle = 0;
    const double logThreshold = std::log(1 / alpha);
    std::bernoulli_distribution coin(0.5);
    double share = c.canaryShare;
    for (int second = 0; second < c.seconds; ++second) {
        if (c.shareSwings && second % 60 == 0)
            share = coin(random) ? 0.01 : 0.5;
        const auto canaryRequests = std::int64_t(std::lround(c.requestsPerSecond * share));
        const std::int64_t productionRequests = c.requestsPerSecond - canaryRequests;
        std::binomial_distribution<std::int64_t> canaryErrors(canaryRequests, p1);
        std::binomial_distribution<std::int64_t> productionErrors(productionRequests, p0);
        const std::int64_t ce = canaryErrors(random);
        const std::int64_t pe = productionErrors(random);
        evidence.add({canaryRequests, ce, productionRequests, pe});
        if (out.evidenceSecond < 0 && evidence.logEvidence() >= logThreshold)
            out.evidenceSecond = second + 1;
        oracle += double(ce) * oracleEvent + double(canaryRequests - ce) * oracleClean;
        if (out.oracleSecond < 0 && oracle >= logThreshold)
            out.oracleSecond = second + 1;
        if (out.evidenceSecond >= 0 && (p1 <= p0 || out.oracleSecond >= 0))
            break; // nothing more to learn from this run
    }
    return out;
}

// Three standard errors of a binomial proportion at alpha over `runs` runs.
double slack(double alpha, int runs)
{
    return 3 * std::sqrt(alpha * (1 - alpha) / runs);
}

double median(std::vector<int> v)
{
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2.0;
}

} // namespace

class TestCountEvidence final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void falseAlarmRate_data();
    void falseAlarmRate();
    void detectsDoubledErrorRate();
    void evidenceGrowsWithCanaryEvents();
    void toleranceLowersEvidence();
    void floorKeepsAGateFromFailing();
    void uninformativeIntervalsAreSkipped();
    void rejectsImpossibleCounts();
    void estimateAndInterval();
    void intervalCoversTheTrueRatio();
};

void TestCountEvidence::falseAlarmRate_data()
{
    QTest::addColumn<int>("runs");
    QTest::addColumn<double>("canaryErrorRate");
    QTest::addColumn<double>("tolerance");
    QTest::addColumn<bool>("shareSwings");
    // 30-minute canaries at 10 % of 100 req/s, 1 % errors in both arms, checked every second.
    QTest::newRow("A/A 10 % share") << 2000 << 0.01 << 0.0 << false;
    // The same events under shares that jump between 1 % and 50 %.
    QTest::newRow("A/A share swings") << 1000 << 0.01 << 0.0 << true;
    // At the edge of the tolerance: the canary exactly 50 % worse, tolerance 50 %.
    QTest::newRow("edge of tolerance") << 1000 << 0.015 << 0.5 << false;
}

void TestCountEvidence::falseAlarmRate()
{
    QFETCH(int, runs);
    QFETCH(double, canaryErrorRate);
    QFETCH(double, tolerance);
    QFETCH(bool, shareSwings);
    std::mt19937_64 random(20261202);
    Canary c;
    c.canaryErrorRate = canaryErrorRate;
    c.tolerance = tolerance;
    c.shareSwings = shareSwings;
    int alarms = 0;
    for (int run = 0; run < runs; ++run)
        alarms += simulate(c, random).evidenceSecond >= 0 ? 1 : 0;
    const double rate = double(alarms) / runs;
    qInfo("false alarms: %d of %d runs = %.4f (bound 0.05 + %.4f)", alarms, runs, rate,
          slack(0.05, runs));
    QVERIFY(rate <= 0.05 + slack(0.05, runs));
}

void TestCountEvidence::detectsDoubledErrorRate()
{
    // 1 % -> 2 % errors in the canary, otherwise as the A/A case; up to 30 minutes.
    std::mt19937_64 random(7);
    Canary c;
    c.canaryErrorRate = 0.02;
    const int runs = 400;
    std::vector<int> evidenceTimes;
    std::vector<int> oracleTimes;
    for (int run = 0; run < runs; ++run) {
        const Outcome o = simulate(c, random);
        evidenceTimes.push_back(o.evidenceSecond < 0 ? c.seconds + 1 : o.evidenceSecond);
        oracleTimes.push_back(o.oracleSecond < 0 ? c.seconds + 1 : o.oracleSecond);
    }
    const auto detected = std::count_if(evidenceTimes.begin(), evidenceTimes.end(),
                                        [&](int t) { return t <= c.seconds; });
    const double evidenceMedian = median(evidenceTimes);
    const double oracleMedian = median(oracleTimes);
    qInfo("1 %% -> 2 %%: detected in %lld of %d runs within 30 min; median %.0f s "
          "(Wald's SPRT knowing both rates: %.0f s)",
          static_cast<long long>(detected), runs, evidenceMedian, oracleMedian);
    QVERIFY(detected >= runs * 9 / 10);
    // Not knowing either rate costs time, but not an order of magnitude.
    QVERIFY(evidenceMedian >= oracleMedian);
    QVERIFY(evidenceMedian <= 6 * oracleMedian);
}

void TestCountEvidence::evidenceGrowsWithCanaryEvents()
{
    // Ten events at a 10 % share: the more of them the canary's, the more evidence.
    double previous = -1;
    for (int canaryEvents = 0; canaryEvents <= 10; ++canaryEvents) {
        CountEvidence e;
        QVERIFY(e.add({100, canaryEvents, 900, 10 - canaryEvents}));
        QVERIFY2(e.evidence() > previous, qPrintable(QString::number(canaryEvents)));
        previous = e.evidence();
    }
    // One event at the canary's own share is the expected count: evidence below 1.
    CountEvidence expected;
    expected.add({100, 1, 900, 9});
    QVERIFY(expected.evidence() < 1);
}

void TestCountEvidence::toleranceLowersEvidence()
{
    double previous = std::numeric_limits<double>::infinity();
    for (double tolerance : {0.0, 0.1, 0.5, 1.0, 3.0}) {
        CountEvidence e(0.05, tolerance);
        e.add({100, 5, 900, 10});
        QVERIFY(e.evidence() < previous);
        previous = e.evidence();
    }
}

void TestCountEvidence::floorKeepsAGateFromFailing()
{
    // The canary has every event, at 0.1 % of its requests: overwhelming evidence of a worse
    // rate, but below a 0.2 % floor the gate does not fail; without the floor it does.
    CountEvidence floored(0.05, 0, 0.002);
    CountEvidence plain(0.05, 0, 0);
    for (int i = 0; i < 20; ++i) {
        floored.add({1000, 1, 1000, 0});
        plain.add({1000, 1, 1000, 0});
    }
    QVERIFY(floored.evidence() >= floored.threshold());
    QCOMPARE(floored.verdict(), CountVerdict::Inconclusive);
    QCOMPARE(plain.verdict(), CountVerdict::Fail);
    // Once the canary's own rate reaches the floor, the same evidence fails it.
    for (int i = 0; i < 20; ++i)
        floored.add({1000, 3, 1000, 0});
    QCOMPARE(floored.verdict(), CountVerdict::Fail);
}

void TestCountEvidence::uninformativeIntervalsAreSkipped()
{
    CountEvidence e;
    QCOMPARE(e.verdict(), CountVerdict::NoData);
    QVERIFY(e.add({0, 0, 100, 5}));   // no canary traffic: every event is production's
    QVERIFY(e.add({100, 5, 0, 0}));   // no production traffic
    QVERIFY(e.add({100, 0, 100, 0})); // no events
    QCOMPARE(e.evidence(), 1.0);
    QCOMPARE(e.verdict(), CountVerdict::NoData);
    QCOMPARE(e.canaryRequests(), 100);
    QCOMPARE(e.canaryEvents(), 0);
    QVERIFY(!e.estimate());
}

void TestCountEvidence::rejectsImpossibleCounts()
{
    CountEvidence e;
    QVERIFY(!e.add({10, 11, 10, 0}));
    QVERIFY(!e.add({-1, 0, 10, 0}));
    QVERIFY(!e.add({10, 0, 10, -2}));
    QCOMPARE(e.evidence(), 1.0);
    QCOMPARE(e.canaryRequests(), 0);
}

void TestCountEvidence::estimateAndInterval()
{
    // A constant 10 % share, canary 2 % against production 1 %: the estimate is the ratio of the
    // rates, (20 / 1000) / (90 / 9000) = 2, and the interval holds it.
    CountEvidence e;
    e.add({1000, 20, 9000, 90});
    const auto r = e.estimate();
    QVERIFY(r);
    QVERIFY(std::abs(r->ratio - 2) < 1e-6);
    QVERIFY(r->low > 0 && r->low < 2);
    QVERIFY(r->high > 2 && std::isfinite(r->high));
    // Ten times the data: a narrower interval, still around 2.
    CountEvidence more;
    more.add({10000, 200, 90000, 900});
    const auto m = more.estimate();
    QVERIFY(m);
    QVERIFY(m->low > r->low && m->high < r->high);
    QVERIFY(m->low < 2 && m->high > 2);
    // Every event the canary's: the ratio is unbounded above.
    CountEvidence all;
    all.add({100, 3, 900, 0});
    QVERIFY(std::isinf(all.estimate()->ratio));
    QVERIFY(std::isinf(all.estimate()->high));
}

void TestCountEvidence::intervalCoversTheTrueRatio()
{
    // 40 seeded 10-minute canaries with a true ratio of 2 (2 % against 1 %), shares swinging:
    // the always-valid interval must hold 2 at the end in at least 95 % of them (it is built to
    // hold it at every second at once, so misses should be rarer still).
    std::mt19937_64 random(99);
    std::bernoulli_distribution coin(0.5);
    int misses = 0;
    const int runs = 40;
    for (int run = 0; run < runs; ++run) {
        CountEvidence e;
        double share = 0.1;
        for (int second = 0; second < 600; ++second) {
            if (second % 60 == 0)
                share = coin(random) ? 0.05 : 0.3;
            const auto canaryRequests = std::int64_t(std::lround(100 * share));
            const std::int64_t productionRequests = 100 - canaryRequests;
            std::binomial_distribution<std::int64_t> canaryErrors(canaryRequests, 0.02);
            std::binomial_distribution<std::int64_t> productionErrors(productionRequests, 0.01);
            e.add({canaryRequests, canaryErrors(random), productionRequests,
                   productionErrors(random)});
        }
        const auto r = e.estimate();
        QVERIFY(r);
        if (!(r->low < 2 && r->high > 2))
            ++misses;
    }
    qInfo("interval missed the true ratio in %d of %d runs", misses, runs);
    QVERIFY(misses <= runs / 20);
}

QTEST_APPLESS_MAIN(TestCountEvidence)
#include "tst_countevidence.moc"
