#include "metrics/histogramquantile.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <vector>

using namespace canary::metrics;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<Bucket> makeBuckets(const QList<double> &bounds, const QList<double> &counts)
{
    std::vector<Bucket> buckets;
    for (qsizetype i = 0; i < bounds.size(); ++i) {
        buckets.push_back({bounds[i], counts[i]});
    }
    return buckets;
}

bool sameValue(double actual, double expected)
{
    if (std::isnan(expected)) {
        return std::isnan(actual);
    }
    if (std::isinf(expected)) {
        return actual == expected;
    }
    return std::abs(actual - expected) <= 1e-12 * std::max(1.0, std::abs(expected));
}

} // namespace

class TestHistogramQuantile final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void quantile_data();
    void quantile();
    void diagnostics();
    void doesNotTouchInput();
};

void TestHistogramQuantile::quantile_data()
{
    QTest::addColumn<double>("q");
    QTest::addColumn<QList<double>>("bounds");
    QTest::addColumn<QList<double>>("counts");
    QTest::addColumn<double>("expected");

    const QList<double> bounds{0.1, 0.5, 1.0, kInf};
    const QList<double> counts{10, 30, 40, 40};

    // rank = 0.5*40 = 20 -> first bucket with count >= 20 is le=0.5 (30);
    // 0.1 + (0.5-0.1) * (20-10)/(30-10) = 0.1 + 0.4*0.5 = 0.3
    QTest::newRow("median") << 0.5 << bounds << counts << 0.3;
    // rank = 10 -> le=0.1 (10 >= 10), lowest bucket interpolates from 0: 0.1 * 10/10 = 0.1
    QTest::newRow("lowest-bucket-top") << 0.25 << bounds << counts << 0.1;
    // rank = 4 -> le=0.1: 0 + 0.1 * 4/10 = 0.04
    QTest::newRow("lowest-bucket-from-zero") << 0.1 << bounds << counts << 0.04;
    // rank = 36 -> le=1 (40): 0.5 + 0.5 * (36-30)/(40-30) = 0.8
    QTest::newRow("p90") << 0.9 << bounds << counts << 0.8;
    // rank = 40 -> le=1 is the first bucket reaching 40: 0.5 + 0.5 * 10/10 = 1.0
    QTest::newRow("q-one") << 1.0 << bounds << counts << 1.0;
    QTest::newRow("unsorted-input")
        << 0.5 << QList<double>{1.0, kInf, 0.1, 0.5} << QList<double>{40, 40, 10, 30} << 0.3;
    // rank = 27, no finite bucket reaches it (10, 20): the +Inf bucket answers the highest
    // finite bound, 1.
    QTest::newRow("rank-in-inf-bucket")
        << 0.9 << QList<double>{0.1, 1.0, kInf} << QList<double>{10, 20, 30} << 1.0;

    QTest::newRow("q-negative") << -0.1 << bounds << counts << -kInf;
    QTest::newRow("q-above-one") << 1.01 << bounds << counts << kInf;
    QTest::newRow("q-nan") << kNaN << bounds << counts << kNaN;
    QTest::newRow("no-inf-bucket")
        << 0.5 << QList<double>{0.1, 0.5, 1.0} << QList<double>{10, 30, 40} << kNaN;
    QTest::newRow("only-inf-bucket") << 0.5 << QList<double>{kInf} << QList<double>{40} << kNaN;
    QTest::newRow("empty") << 0.5 << QList<double>{} << QList<double>{} << kNaN;
    QTest::newRow("zero-observations") << 0.5 << bounds << QList<double>{0, 0, 0, 0} << kNaN;
    QTest::newRow("nan-bound") << 0.5 << QList<double>{0.1, kNaN, kInf} << QList<double>{1, 2, 3}
                               << kNaN;
    // Duplicate bounds merge: le=0.1 holds 5+5 = 10. rank = 15 -> le=0.5:
    // 0.1 + 0.4 * (15-10)/(30-10) = 0.2
    QTest::newRow("duplicate-bounds-merge")
        << 0.5 << QList<double>{0.1, 0.1, 0.5, kInf} << QList<double>{5, 5, 30, 30} << 0.2;
    // le=1 (12) is below le=0.5 (15) and is raised to 15: counts 5, 15, 15, 20, 20.
    // rank = 14 -> le=0.5: 0.1 + 0.4 * (14-5)/(15-5) = 0.46
    // (without the fix the search would land on le=2 and answer 1.25)
    QTest::newRow("non-monotonic-fixed") << 0.7 << QList<double>{0.1, 0.5, 1.0, 2.0, kInf}
                                         << QList<double>{5, 15, 12, 20, 20} << 0.46;
    // Lowest bound <= 0 is answered as is: rank = 3 -> le=-1.
    QTest::newRow("negative-lowest-bucket")
        << 0.3 << QList<double>{-1.0, 0.0, kInf} << QList<double>{5, 10, 10} << -1.0;
    // rank = 7.5 -> le=0: -1 + 1 * (7.5-5)/(10-5) = -0.5
    QTest::newRow("negative-buckets-interpolate")
        << 0.75 << QList<double>{-1.0, 0.0, kInf} << QList<double>{5, 10, 10} << -0.5;
    QTest::newRow("zero-lowest-bound")
        << 0.2 << QList<double>{0.0, 1.0, kInf} << QList<double>{4, 10, 10} << 0.0;
    // rank = 0 lands in an empty lowest bucket: 0 + 0.1 * 0/0 is NaN in PromQL too.
    QTest::newRow("q-zero-empty-lowest")
        << 0.0 << QList<double>{0.1, 1.0, kInf} << QList<double>{0, 10, 10} << kNaN;
    // rank = 0 with a filled lowest bucket: 0.1 * 0/10 = 0
    QTest::newRow("q-zero") << 0.0 << bounds << counts << 0.0;
    // A NaN total keeps the rank NaN; no bucket reaches it and the highest finite bound answers.
    QTest::newRow("nan-total") << 0.5 << QList<double>{0.1, 1.0, kInf}
                               << QList<double>{10, 20, kNaN} << 1.0;
}

void TestHistogramQuantile::quantile()
{
    QFETCH(double, q);
    QFETCH(QList<double>, bounds);
    QFETCH(QList<double>, counts);
    QFETCH(double, expected);

    const auto buckets = makeBuckets(bounds, counts);
    const double actual = histogramQuantile(q, buckets);
    QVERIFY2(sameValue(actual, expected),
             qPrintable(QStringLiteral("got %1, want %2").arg(actual, 0, 'g', 17).arg(expected)));
}

void TestHistogramQuantile::diagnostics()
{
    QuantileDiagnostics diagnostics;
    const std::vector<Bucket> monotonic{{0.1, 10}, {1.0, 20}, {kInf, 20}};
    histogramQuantile(0.5, monotonic, &diagnostics);
    QVERIFY(!diagnostics.forcedMonotonic);
    QVERIFY(!diagnostics.fixedPrecision);

    const std::vector<Bucket> dipping{{0.1, 10}, {1.0, 8}, {kInf, 20}};
    histogramQuantile(0.5, dipping, &diagnostics);
    QVERIFY(diagnostics.forcedMonotonic);

    // 10 vs 10 + 1e-12 differs by 1e-13 relative: float noise, flattened, not "forced".
    const std::vector<Bucket> noisy{{0.1, 10 + 1e-12}, {1.0, 10}, {kInf, 20}};
    QCOMPARE(histogramQuantile(0.5, noisy, &diagnostics), 0.1 * (10 / (10 + 1e-12)));
    QVERIFY(diagnostics.fixedPrecision);
    QVERIFY(!diagnostics.forcedMonotonic);
}

void TestHistogramQuantile::doesNotTouchInput()
{
    const std::vector<Bucket> buckets{{kInf, 40}, {0.5, 30}, {0.1, 10}};
    const auto copy = buckets;
    QVERIFY(sameValue(histogramQuantile(0.5, buckets), 0.3));
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        QCOMPARE(buckets[i].upperBound, copy[i].upperBound);
        QCOMPARE(buckets[i].cumulativeCount, copy[i].cumulativeCount);
    }
}

QTEST_APPLESS_MAIN(TestHistogramQuantile)
#include "tst_histogramquantile.moc"
