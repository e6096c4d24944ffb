// Fixed-horizon comparisons against published reference values. Where a number is worked out by
// hand, the arithmetic is in the comment next to it.
#include "analysis/fixedhorizon.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <vector>

using namespace canary::analysis;

using Sample = std::vector<double>;
Q_DECLARE_METATYPE(Sample)

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

class TestFixedHorizon final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mannWhitney_data();
    void mannWhitney();
    void mannWhitneyRejectsBadInput_data();
    void mannWhitneyRejectsBadInput();
    void mannWhitneyLargeSamplesAreThinned();
    void proportions_data();
    void proportions();
    void proportionsRejectsBadInput();
};

void TestFixedHorizon::mannWhitney_data()
{
    QTest::addColumn<Sample>("canary");
    QTest::addColumn<Sample>("production");
    QTest::addColumn<double>("u");
    QTest::addColumn<double>("pValue");
    QTest::addColumn<double>("estimate");
    QTest::addColumn<double>("ciLow");
    QTest::addColumn<double>("ciHigh");

    // R's ?wilcox.test, the depression data (Hollander & Wolfe), taken here as two independent
    // samples x (canary) and y (production). By hand: U = #(x > y) = 58 (no x equals a y).
    // Ties in the pooled sample: 1.06 twice, 1.29 twice, so sum(t^3 - t) = 6 + 6 = 12.
    // sigma^2 = 81/12 * (19 - 12 / (18 * 17)) = 6.75 * 18.960784 = 127.98529, sigma = 11.313059.
    // z = (58 - 40.5 - 0.5) / 11.313059 = 1.502688; p = 2 * (1 - Phi(1.502688)) = 0.132919.
    // The 81 sorted differences x - y: the 41st is 0.56 (the estimate).
    // k = floor(40.5 - 1.959964 * 11.313059 + 0.5) = floor(18.8268) = 18, so the interval is
    // [D(18), D(64)] = [1.68 - 2.05, 1.83 - 0.647] = [-0.37, 1.183].
    QTest::newRow("R wilcox.test x, y")
        << Sample{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30}
        << Sample{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29} << 58.0 << 0.132919
        << 0.56 << -0.37 << 1.183;

    // R's ?wilcox.test, the permeability data (Hollander & Wolfe p. 110): R prints W = 35, and
    // with exact = FALSE, correct = FALSE the one-sided p-value 0.1103, i.e. sigma =
    // sqrt(10 * 5 * 16 / 12) = 8.164966 and z = (35 - 25) / 8.164966 = 1.224745. Two-sided with
    // the continuity correction (what this computes): z = 9.5 / 8.164966 = 1.163508,
    // p = 2 * (1 - Phi(1.163508)) = 0.244626.
    // Estimate and interval by hand from the 50 sorted differences: median = (D(25) + D(26)) / 2
    // = (0.30 + 0.31) / 2 = 0.305; k = floor(25 - 1.959964 * 8.164966 + 0.5) = floor(9.4970)
    // = 9: [D(9), D(42)] = [0.73 - 0.88, 1.64 - 0.88] = [-0.15, 0.76].
    QTest::newRow("R wilcox.test permeability")
        << Sample{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
        << Sample{1.15, 0.88, 0.90, 0.74, 1.21} << 35.0 << 0.244626 << 0.305 << -0.15 << 0.76;

    // scipy.stats.mannwhitneyu documentation: males vs females, U1 = 17, and with
    // method="asymptotic" pvalue = 0.11134688653314041 (continuity-corrected, two-sided).
    // By hand: the 20 sorted differences are -4 -1 -1 2 2 4 4 5 5 7 7 8 9 10 11 12 12 13 17 18,
    // median (7 + 7) / 2 = 7; sigma = sqrt(20 * 10 / 12) = 4.082483,
    // k = floor(10 - 1.959964 * 4.082483 + 0.5) = floor(2.4985) = 2: [D(2), D(19)] = [-1, 17].
    QTest::newRow("scipy mannwhitneyu males/females")
        << Sample{19, 22, 16, 29, 24} << Sample{20, 11, 17, 12} << 17.0 << 0.1113468865 << 7.0
        << -1.0 << 17.0;
}

void TestFixedHorizon::mannWhitney()
{
    QFETCH(Sample, canary);
    QFETCH(Sample, production);
    QFETCH(double, u);
    QFETCH(double, pValue);
    QFETCH(double, estimate);
    QFETCH(double, ciLow);
    QFETCH(double, ciHigh);
    std::string error;
    const auto r = canary::analysis::mannWhitney(canary, production, 0.05, &error);
    QVERIFY2(r, error.c_str());
    QCOMPARE(r->u, u);
    QVERIFY2(std::abs(r->pValue - pValue) < 5e-6, std::to_string(r->pValue).c_str());
    QVERIFY(!r->sampled);
    if (!std::isnan(estimate)) {
        QVERIFY2(std::abs(r->estimate - estimate) < 1e-9, std::to_string(r->estimate).c_str());
        QVERIFY2(std::abs(r->ciLow - ciLow) < 1e-9, std::to_string(r->ciLow).c_str());
        QVERIFY2(std::abs(r->ciHigh - ciHigh) < 1e-9, std::to_string(r->ciHigh).c_str());
    }
    // Swapping the samples mirrors everything.
    const auto mirrored = canary::analysis::mannWhitney(production, canary, 0.05);
    QVERIFY(mirrored);
    QCOMPARE(mirrored->u, double(canary.size() * production.size()) - u);
    QVERIFY(std::abs(mirrored->pValue - r->pValue) < 1e-12);
    QVERIFY(std::abs(mirrored->estimate + r->estimate) < 1e-12);
    QVERIFY(std::abs(mirrored->ciLow + r->ciHigh) < 1e-12);
}

void TestFixedHorizon::mannWhitneyRejectsBadInput_data()
{
    QTest::addColumn<Sample>("canary");
    QTest::addColumn<Sample>("production");
    QTest::addColumn<double>("alpha");
    QTest::newRow("empty canary") << Sample{} << Sample{1.0} << 0.05;
    QTest::newRow("not finite") << Sample{1.0, kNaN} << Sample{1.0} << 0.05;
    QTest::newRow("all tied") << Sample{2.0, 2.0} << Sample{2.0} << 0.05;
    QTest::newRow("alpha 0") << Sample{1.0} << Sample{2.0} << 0.0;
}

void TestFixedHorizon::mannWhitneyRejectsBadInput()
{
    QFETCH(Sample, canary);
    QFETCH(Sample, production);
    QFETCH(double, alpha);
    std::string error;
    QVERIFY(!canary::analysis::mannWhitney(canary, production, alpha, &error));
    QVERIFY(!error.empty());
    QVERIFY(error.back() == '.');
}

void TestFixedHorizon::mannWhitneyLargeSamplesAreThinned()
{
    // 3,000 x 3,000 = 9 million pairs exceed kMaxPairs: the estimate rests on a thinned grid but
    // U and p use every value. A pure shift of 500 is recovered within the grid's resolution.
    Sample production;
    Sample canary;
    for (int i = 0; i < 3000; ++i) {
        production.push_back(i);
        canary.push_back(i + 500);
    }
    const auto r = canary::analysis::mannWhitney(canary, production, 0.05);
    QVERIFY(r);
    QVERIFY(r->sampled);
    QVERIFY(r->pairs <= kMaxPairs);
    QVERIFY(std::abs(r->estimate - 500) <= 2);
    QVERIFY(r->ciLow < 500 && r->ciHigh > 500);
    // U by hand: canary value i + 500 beats the production values j < i + 500 and ties j = i + 500.
    // Strict: sum over i < 2500 of (i + 500) = 2500 * 500 + 2499 * 2500 / 2 = 4,373,750, plus
    // 500 * 3000 = 1,500,000 for i >= 2500; ties: 2500 * 0.5 = 1,250. U = 5,875,000.
    QCOMPARE(r->u, 5875000.0);
    QVERIFY(r->pValue < 1e-50); // z = (1,375,000 - 0.5) / sqrt(9e6 * 6001 / 12) = 20.5
}

void TestFixedHorizon::proportions_data()
{
    QTest::addColumn<int>("x1");
    QTest::addColumn<int>("n1");
    QTest::addColumn<int>("x2");
    QTest::addColumn<int>("n2");
    QTest::addColumn<double>("ciLow");
    QTest::addColumn<double>("ciHigh");
    QTest::addColumn<double>("pValue");
    // Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (four decimals).
    // p-values (pooled z, by hand): pooled = (x1 + x2) / (n1 + n2),
    // z = (x1/n1 - x2/n2) / sqrt(pooled (1 - pooled) (1/n1 + 1/n2)).
    // 56/70 - 48/80 = 0.2; pooled 104/150, z = 2.650172, p = 0.008045.
    QTest::newRow("Newcombe 56/70-48/80") << 56 << 70 << 48 << 80 << 0.0524 << 0.3339 << 0.008045;
    // 9/10 - 3/10 = 0.6; pooled 0.6, z = 2.738613, p = 0.006170.
    QTest::newRow("Newcombe 9/10-3/10") << 9 << 10 << 3 << 10 << 0.1705 << 0.8090 << 0.006170;
    // 5/56 - 0/29 = 0.0893; pooled 5/85, z = 1.658649, p = 0.097187.
    QTest::newRow("Newcombe 5/56-0/29") << 5 << 56 << 0 << 29 << -0.0381 << 0.1926 << 0.097187;
}

void TestFixedHorizon::proportions()
{
    QFETCH(int, x1);
    QFETCH(int, n1);
    QFETCH(int, x2);
    QFETCH(int, n2);
    QFETCH(double, ciLow);
    QFETCH(double, ciHigh);
    QFETCH(double, pValue);
    const auto r = twoProportions(x1, n1, x2, n2, 0.05);
    QVERIFY(r);
    QVERIFY(std::abs(r->estimate - (double(x1) / n1 - double(x2) / n2)) < 1e-12);
    QVERIFY2(std::abs(r->ciLow - ciLow) < 5e-5 + 1e-9, std::to_string(r->ciLow).c_str());
    QVERIFY2(std::abs(r->ciHigh - ciHigh) < 5e-5 + 1e-9, std::to_string(r->ciHigh).c_str());
    QVERIFY2(std::abs(r->pValue - pValue) < 5e-6, std::to_string(r->pValue).c_str());
}

void TestFixedHorizon::proportionsRejectsBadInput()
{
    std::string error;
    QVERIFY(!twoProportions(1, 0, 1, 10, 0.05, &error));
    QVERIFY(!error.empty());
    QVERIFY(!twoProportions(11, 10, 1, 10, 0.05, &error));
    QVERIFY(!twoProportions(1, 10, 1, 10, 1.5, &error));
    // Nothing happened in either arm: no difference to test, p = 1, an interval around 0.
    const auto none = twoProportions(0, 10, 0, 10, 0.05);
    QVERIFY(none);
    QCOMPARE(none->pValue, 1.0);
    QVERIFY(none->ciLow < 0 && none->ciHigh > 0);
}

QTEST_APPLESS_MAIN(TestFixedHorizon)
#include "tst_fixedhorizon.moc"
