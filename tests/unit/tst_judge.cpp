// The live judge: gate verdicts and their sentences, the α split, the latency tail and body
// thresholds, delayed labels, and the family-wise false-rollback rate of the default gate set in
// a seeded A/A simulation.
#include "analysis/judge.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace canary;
using namespace canary::analysis;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

GateSpec errorGate(double tolerance = 0.2, double floor = 0.0, std::string name = "errors")
{
    GateSpec g;
    g.name = std::move(name);
    g.metric = GateMetric::ErrorRate;
    g.tolerance = tolerance;
    g.floor = floor;
    return g;
}

JudgeSettings only(GateSpec gate, double alpha = 0.05)
{
    JudgeSettings s;
    s.gates = {std::move(gate)};
    s.alpha = alpha;
    return s;
}

// Interval i of one second each, so they never overlap.
JudgeInterval counts(int i, std::int64_t canaryRequests, std::int64_t canaryErrors,
                     std::int64_t productionRequests, std::int64_t productionErrors)
{
    JudgeInterval in;
    in.from = SystemTime(seconds(i));
    in.to = SystemTime(seconds(i + 1));
    in.canary.requests = canaryRequests;
    in.canary.errors = canaryErrors;
    in.production.requests = productionRequests;
    in.production.errors = productionErrors;
    return in;
}

bool contains(const std::string &text, const char *part)
{
    return text.find(part) != std::string::npos;
}

// A small latency histogram: bounds in seconds, +Inf last.
const std::vector<double> kBounds = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28};

// Requests drawn over the buckets (probabilities per bucket, +Inf included), as cumulative counts.
std::vector<metrics::Bucket> histogram(std::int64_t requests, const std::vector<double> &weights,
                                       std::mt19937_64 &random)
{
    std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
    std::vector<double> per(weights.size());
    for (std::int64_t r = 0; r < requests; ++r)
        per[pick(random)] += 1;
    std::vector<metrics::Bucket> out;
    double cumulative = 0;
    for (std::size_t i = 0; i < per.size(); ++i) {
        cumulative += per[i];
        out.push_back({i < kBounds.size() ? kBounds[i] : std::numeric_limits<double>::infinity(),
                       cumulative});
    }
    return out;
}

// Production: most requests 20-80 ms, 1 % above 160 ms, 0.1 % above 640 ms.
const std::vector<double> kHealthy = {0.05, 0.30, 0.45, 0.159, 0.03, 0.007, 0.003, 0.0009, 0.0001};
// The same with 3 % of requests moved four buckets up (16x slower): the median does not move.
std::vector<double> slowTail()
{
    std::vector<double> w = kHealthy;
    std::vector<double> moved(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) {
        const double m = w[i] * 0.03;
        w[i] -= m;
        moved[std::min(i + 4, w.size() - 1)] += m;
    }
    for (std::size_t i = 0; i < w.size(); ++i)
        w[i] += moved[i];
    return w;
}

} // namespace

class TestJudge final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void failingErrorsSayWhyInOneLine()
    {
        // 3,812 canary requests with 80 errors (2.1 %), 34,090 production ones with 341 (1.0 %).
        Judge judge(only(errorGate(0.2, 0.002)));
        std::int64_t ce = 0, pe = 0, cr = 0, pr = 0;
        for (int i = 0; i < 38; ++i) {
            const std::int64_t c = i < 37 ? 100 : 112;
            const std::int64_t p = i < 37 ? 897 : 901;
            const std::int64_t e = i < 4 ? 3 : 2;
            const std::int64_t f = i < 37 ? 9 : 8;
            QVERIFY(judge.add(counts(i, c, e, p, f)));
            cr += c, ce += e, pr += p, pe += f;
        }
        QCOMPARE(cr, 3812);
        QCOMPARE(ce, 80);
        QCOMPARE(pr, 34090);
        QCOMPARE(pe, 341);
        const Judgement j = judge.evaluate(1000);
        QCOMPARE(j.gates.size(), std::size_t(1));
        const GateResult &g = j.gates.front();
        qInfo("%s", g.sentence.c_str());
        QCOMPARE(int(g.verdict), int(Verdict::Fail));
        QVERIFY(judge.criticalFailure());
        QCOMPARE(int(j.overall), int(Verdict::Fail));
        QVERIFY2(contains(g.sentence, "canary errors 2.1 % vs 1.0 % (+110 %, tolerance +20 %)"),
                 g.sentence.c_str());
        QVERIFY2(contains(g.sentence, "against no regression (rollback at 1:20)"),
                 g.sentence.c_str());
        QVERIFY2(contains(g.sentence, "3,812 vs 34,090 requests"), g.sentence.c_str());
        QVERIFY(g.evidence >= 20);
        QVERIFY2(contains(j.sentence, "the critical gate errors fails"), j.sentence.c_str());
        QCOMPARE(g.canarySamples, 3812);
        QCOMPARE(g.productionSamples, 34090);
        QVERIFY(g.ratioLow > 1 && g.ratioHigh > g.ratioLow);
        QVERIFY(std::abs(g.delta - (80.0 / 3812) / (341.0 / 34090) + 1) < 1e-9);
    }

    void verdicts_data()
    {
        QTest::addColumn<int>("duration");
        QTest::addColumn<int>("canaryErrorsPerHundredSeconds");
        QTest::addColumn<int>("productionErrorsPerHundredSeconds");
        QTest::addColumn<double>("floor");
        QTest::addColumn<int>("minimum");
        QTest::addColumn<int>("expected");
        QTest::addColumn<QString>("phrase");
        // 10 canary and 90 production requests a second; errors spread evenly.
        QTest::newRow("healthy, enough requests")
            << 600 << 10 << 90 << 0.0 << 1000 << int(Verdict::Pass)
            << QStringLiteral("6,000 vs 54,000 requests");
        QTest::newRow("healthy, too few requests")
            << 60 << 10 << 90 << 0.0 << 1000 << int(Verdict::Inconclusive)
            << QStringLiteral("not enough requests yet in this step: 600 of 1,000 per variant");
        QTest::newRow("canary far better")
            << 900 << 1 << 180 << 0.0 << 1000 << int(Verdict::Better)
            << QStringLiteral("better: the canary/production ratio is at most");
        QTest::newRow("worse but under the floor")
            << 900 << 1 << 1 << 0.002 << 1000 << int(Verdict::Pass)
            << QStringLiteral("is under the 0.20 % floor");
        QTest::newRow("worse above the floor")
            << 900 << 40 << 90 << 0.002 << 1000 << int(Verdict::Fail)
            << QStringLiteral("against no regression");
    }
    void verdicts()
    {
        QFETCH(int, duration);
        QFETCH(int, canaryErrorsPerHundredSeconds);
        QFETCH(int, productionErrorsPerHundredSeconds);
        QFETCH(double, floor);
        QFETCH(int, minimum);
        QFETCH(int, expected);
        QFETCH(QString, phrase);
        Judge judge(only(errorGate(0.2, floor)));
        for (int i = 0; i < duration; ++i) {
            // Bresenham-spread errors: exact totals without randomness.
            const auto spread = [i](int perHundred) {
                return std::int64_t((i + 1) * perHundred / 100 - i * perHundred / 100);
            };
            QVERIFY(judge.add(counts(i, 10, spread(canaryErrorsPerHundredSeconds), 90,
                                     spread(productionErrorsPerHundredSeconds))));
        }
        const GateResult g = judge.evaluate(minimum).gates.front();
        QVERIFY2(g.verdict == Verdict(expected), g.sentence.c_str());
        QVERIFY2(contains(g.sentence, phrase.toStdString().c_str()), g.sentence.c_str());
    }

    void noDataSaysWhatIsMissing()
    {
        Judge judge; // the default gates
        JudgeInterval in = counts(0, 10, 0, 90, 1);
        in.canary.hasLabels = in.production.hasLabels = false;
        QVERIFY(judge.add(in));
        const Judgement j = judge.evaluate(0, 0);
        QCOMPARE(int(j.overall), int(Verdict::NoData));
        for (const GateResult &g : j.gates) {
            if (g.spec.metric == GateMetric::ErrorRate)
                QVERIFY2(g.verdict == Verdict::Pass, g.sentence.c_str());
            else
                QVERIFY2(g.verdict == Verdict::NoData, g.sentence.c_str());
        }
        const auto accuracy = std::find_if(j.gates.begin(), j.gates.end(), [](const GateResult &g) {
            return g.spec.metric == GateMetric::Accuracy;
        });
        QVERIFY(contains(accuracy->sentence, "no labels"));
        QVERIFY(!judge.criticalFailure());
        // No requests in the canary: nothing to compare, whatever the gate.
        Judge empty(only(errorGate()));
        QVERIFY(empty.add(counts(0, 0, 0, 100, 3)));
        QCOMPARE(int(empty.evaluate().gates.front().verdict), int(Verdict::NoData));
    }

    void alphaIsSplitOverTheGates()
    {
        const Judgement j = Judge().evaluate();
        QCOMPARE(j.gates.size(), std::size_t(4));
        double sum = 0;
        for (const GateResult &g : j.gates)
            sum += g.alpha;
        QVERIFY(std::abs(sum - 0.05) < 1e-12);
        QCOMPARE(j.gates[0].spec.name, std::string("errors"));
        QVERIFY(std::abs(j.gates[0].threshold - 1 / (0.05 * 0.4)) < 1e-9);
        // Shares left unnamed share what the named ones leave.
        JudgeSettings s;
        s.gates = {errorGate(), errorGate(0.2, 0, "b"), errorGate(0.2, 0, "c")};
        s.gates[0].alphaShare = 0.5;
        const Judgement k = Judge(s).evaluate();
        QVERIFY(std::abs(k.gates[0].alpha - 0.025) < 1e-12);
        QVERIFY(std::abs(k.gates[1].alpha - 0.0125) < 1e-12);
        QVERIFY(std::abs(k.gates[2].alpha - 0.0125) < 1e-12);
    }

    void refusesOverlapsAndImpossibleCounts()
    {
        Judge judge(only(errorGate()));
        QVERIFY(judge.add(counts(5, 10, 0, 90, 1)));
        QVERIFY(!judge.add(counts(4, 10, 0, 90, 1)));  // starts before the last one ended
        QVERIFY(!judge.add(counts(6, 10, 11, 90, 1))); // more errors than requests
        QVERIFY(!judge.add(counts(6, -1, 0, 90, 1)));
        QVERIFY(judge.add(counts(9, 10, 0, 90, 1))); // a gap is fine
        QCOMPARE(judge.stepRequests(VariantRole::Canary), 20);
    }

    void tailRegressionFailsTheTailGateOnly()
    {
        std::mt19937_64 random(7);
        JudgeSettings s;
        s.gates = defaultGates();
        Judge judge(s);
        judge.startStep();
        const auto slow = slowTail();
        int failedAt = -1;
        for (int i = 0; i < 1800 && failedAt < 0; ++i) {
            JudgeInterval in = counts(i, 10, 0, 90, 1);
            in.canary.latency = histogram(10, slow, random);
            in.production.latency = histogram(90, kHealthy, random);
            in.canary.hasLabels = in.production.hasLabels = false;
            QVERIFY(judge.add(in));
            if (judge.criticalFailure())
                failedAt = i;
        }
        QVERIFY2(failedAt > 0, "the tail regression was not caught in 30 minutes");
        const Judgement j = judge.evaluate();
        QCOMPARE(int(j.overall), int(Verdict::Fail));
        for (const GateResult &g : j.gates) {
            if (g.spec.metric == GateMetric::LatencyTail) {
                QVERIFY2(g.verdict == Verdict::Fail, g.sentence.c_str());
                QCOMPARE(g.thresholdsSeconds.size(), std::size_t(3)); // p90, p99, p99.9
                QVERIFY2(
                    contains(g.sentence, "over thresholds p90 80 ms, p99 320 ms, p99.9 640 ms"),
                    g.sentence.c_str());
            } else if (g.spec.metric == GateMetric::LatencyBody) {
                QVERIFY2(g.verdict != Verdict::Fail, g.sentence.c_str());
                QCOMPARE(g.thresholdsSeconds, std::vector<double>{0.04});
            }
        }
    }

    void thresholdsWaitForCalibrationThenCarryAcrossSteps()
    {
        std::mt19937_64 random(3);
        JudgeSettings s;
        GateSpec tail;
        tail.name = "latency-tail";
        tail.metric = GateMetric::LatencyTail;
        s.gates = {tail};
        s.calibrationRequests = 900;
        Judge judge(s);
        JudgeInterval first = counts(0, 10, 0, 450, 0);
        first.canary.latency = histogram(10, kHealthy, random);
        first.production.latency = histogram(450, kHealthy, random);
        QVERIFY(judge.add(first));
        GateResult g = judge.evaluate().gates.front();
        QCOMPARE(int(g.verdict), int(Verdict::Inconclusive));
        QVERIFY2(contains(g.sentence, "first 900 requests of the step: 450 so far"),
                 g.sentence.c_str());
        JudgeInterval second = counts(1, 10, 0, 450, 0);
        second.canary.latency = histogram(10, kHealthy, random);
        second.production.latency = histogram(450, kHealthy, random);
        QVERIFY(judge.add(second));
        QVERIFY(!judge.evaluate().gates.front().thresholdsSeconds.empty());
        // A reference large enough fixes the next step's thresholds at once.
        judge.startStep(histogram(5000, kHealthy, random));
        QVERIFY(!judge.evaluate().gates.front().thresholdsSeconds.empty());
        // A source without a histogram: no data, and the sentence says what to do.
        Judge none(s);
        QVERIFY(none.add(counts(0, 10, 0, 90, 0)));
        g = none.evaluate().gates.front();
        QCOMPARE(int(g.verdict), int(Verdict::NoData));
        QVERIFY(contains(g.sentence, "no latency histogram"));
    }

    void accuracyFromDelayedLabels()
    {
        // 92 % against 88 % accuracy on 3 and 27 labels a second, labels 90 s late.
        std::mt19937_64 random(11);
        JudgeSettings s;
        GateSpec accuracy;
        accuracy.name = "accuracy";
        accuracy.metric = GateMetric::Accuracy;
        accuracy.direction = Direction::LowerIsWorse;
        accuracy.tolerance = 0.05;
        s.gates = {accuracy};
        Judge judge(s);
        std::binomial_distribution<std::int64_t> canaryCorrect(3, 0.88);
        std::binomial_distribution<std::int64_t> productionCorrect(27, 0.92);
        int failedAt = -1;
        for (int i = 0; i < 1800 && failedAt < 0; ++i) {
            JudgeInterval in = counts(i, 10, 0, 90, 0);
            in.canary.labelled = 3;
            in.canary.correct = canaryCorrect(random);
            in.production.labelled = 27;
            in.production.correct = productionCorrect(random);
            in.labelDelaySeconds = 90;
            QVERIFY(judge.add(in));
            if (judge.criticalFailure())
                failedAt = i;
        }
        QVERIFY2(failedAt > 0, "an accuracy drop of 4 points was not caught in 30 minutes");
        const GateResult g = judge.evaluate().gates.front();
        QCOMPARE(int(g.verdict), int(Verdict::Fail));
        QVERIFY2(contains(g.sentence, "canary accuracy 8"), g.sentence.c_str());
        QVERIFY2(contains(g.sentence, " labels (labels up to 90 s late)"), g.sentence.c_str());
        QVERIFY(g.canaryValue < g.productionValue);
    }

    void intervalFromASnapshot()
    {
        KpiSnapshot snap;
        snap.from = SystemTime(seconds(10));
        snap.to = SystemTime(seconds(11));
        snap.readings = 2;
        snap.kpis.production.requestsInWindow = 89.6;
        snap.kpis.production.errorsInWindow = 1;
        snap.kpis.production.feedbackInWindow = 27;
        snap.kpis.production.correctInWindow = 25;
        snap.kpis.canary.requestsInWindow = 10;
        snap.kpis.canary.errorsInWindow = metrics::VariantKpis::kUnknown;
        snap.kpis.canary.feedbackInWindow = 3;
        snap.kpis.canary.correctInWindow = 3;
        snap.kpis.canary.latencyBuckets = {{0.1, 4}, {std::numeric_limits<double>::infinity(), 10}};
        const auto in = intervalFrom(snap);
        QVERIFY(in.has_value());
        QCOMPARE(in->production.requests, 90);
        QVERIFY(in->production.hasErrors);
        QVERIFY(!in->canary.hasErrors);
        QCOMPARE(in->canary.correct, 3);
        QVERIFY(in->canary.hasLatency());
        QVERIFY(!in->production.hasLatency());
        snap.kpis.canary.requestsInWindow = metrics::VariantKpis::kUnknown;
        QVERIFY(!intervalFrom(snap).has_value());
    }

    void oddsAreWrittenForPeople_data()
    {
        QTest::addColumn<double>("evidence");
        QTest::addColumn<QString>("text");
        QTest::newRow("large") << 41.3 << QStringLiteral("1:41");
        QTest::newRow("small") << 3.14 << QStringLiteral("1:3.1");
        QTest::newRow("under one") << 0.314 << QStringLiteral("1:0.31");
        QTest::newRow("huge") << 2.0e6 << QStringLiteral("1:2.0e+06");
    }
    void oddsAreWrittenForPeople()
    {
        QFETCH(double, evidence);
        QFETCH(QString, text);
        QCOMPARE(QString::fromStdString(formatOdds(evidence)), text);
    }

    // The default gate set, all four on, checked every second for 30 minutes of A/A canaries at
    // 10 % of 100 requests a second: the family-wise false-rollback rate stays at or under alpha.
    void defaultGatesAaFalseRollbackRate()
    {
        std::mt19937_64 random(20261202);
        constexpr int kRuns = 300;
        int falseRollbacks = 0;
        std::binomial_distribution<std::int64_t> canaryErrors(10, 0.01);
        std::binomial_distribution<std::int64_t> productionErrors(90, 0.01);
        std::binomial_distribution<std::int64_t> canaryCorrect(3, 0.92);
        std::binomial_distribution<std::int64_t> productionCorrect(27, 0.92);
        for (int run = 0; run < kRuns; ++run) {
            Judge judge;
            judge.startStep();
            for (int i = 0; i < 1800; ++i) {
                JudgeInterval in =
                    counts(i, 10, canaryErrors(random), 90, productionErrors(random));
                in.canary.latency = histogram(10, kHealthy, random);
                in.production.latency = histogram(90, kHealthy, random);
                in.canary.labelled = 3;
                in.canary.correct = canaryCorrect(random);
                in.production.labelled = 27;
                in.production.correct = productionCorrect(random);
                judge.add(in);
                if (judge.criticalFailure()) {
                    ++falseRollbacks;
                    break;
                }
            }
        }
        // alpha plus three standard errors of a rate of 5 % over 300 runs.
        const double bound = 0.05 + 3 * std::sqrt(0.05 * 0.95 / kRuns);
        qInfo("default gates, A/A: %d of %d runs rolled back (%.1f %%)", falseRollbacks, kRuns,
              100.0 * falseRollbacks / kRuns);
        QVERIFY(double(falseRollbacks) / kRuns <= bound);
    }
};

QTEST_APPLESS_MAIN(TestJudge)
#include "tst_judge.moc"
