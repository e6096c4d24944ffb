#include "random.h"
#include "router.h"

#include <QTest>

#include <string>
#include <vector>

using namespace canary;
using namespace canary::gateway;

class TestRouter final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keyedShareMatchesWeight_data();
    void keyedShareMatchesWeight();
    void keysOnlyJoinTheCanaryAsWeightGrows();
    void unkeyedShareMatchesWeight_data();
    void unkeyedShareMatchesWeight();
    void saltChangesAssignment();
    void bucketsAreUniform();

private:
    static constexpr int kKeys = 100'000;
    static std::string key(int i) { return "user-" + std::to_string(i); }
};

void TestRouter::keyedShareMatchesWeight_data()
{
    QTest::addColumn<int>("tenths");
    QTest::addColumn<QString>("salt");
    QTest::newRow("0.1%") << 1 << QStringLiteral("a");
    QTest::newRow("1%") << 10 << QStringLiteral("a");
    QTest::newRow("5%") << 50 << QStringLiteral("b");
    QTest::newRow("10%") << 100 << QStringLiteral("canary");
    QTest::newRow("12.5%") << 125 << QStringLiteral("canary");
    QTest::newRow("50%") << 500 << QStringLiteral("x");
    QTest::newRow("90%") << 900 << QStringLiteral("");
    QTest::newRow("100%") << 1000 << QStringLiteral("y");
}

void TestRouter::keyedShareMatchesWeight()
{
    QFETCH(int, tenths);
    QFETCH(QString, salt);
    const Router router(salt.toStdString());
    const Weight weight = Weight::fromTenths(tenths);
    int canary = 0;
    for (int i = 0; i < kKeys; ++i)
        canary += router.routesToCanary(key(i), weight) ? 1 : 0;
    const double sharePercent = 100.0 * canary / kKeys;
    QVERIFY2(
        std::abs(sharePercent - weight.percent()) <= 0.5,
        qPrintable(
            QStringLiteral("share %1 % for weight %2 %").arg(sharePercent).arg(weight.percent())));
}

void TestRouter::keysOnlyJoinTheCanaryAsWeightGrows()
{
    const Router router("sweep");
    constexpr int keys = 20'000;
    std::vector<bool> inCanary(keys, false);
    for (int tenths = 0; tenths <= 1000; tenths += 5) {
        const Weight weight = Weight::fromTenths(tenths);
        int count = 0;
        for (int i = 0; i < keys; ++i) {
            const bool now = router.routesToCanary(key(i), weight);
            if (inCanary[i] && !now)
                QFAIL(qPrintable(QStringLiteral("key %1 left the canary when the weight grew to %2")
                                     .arg(i)
                                     .arg(weight.percent())));
            inCanary[i] = now;
            count += now ? 1 : 0;
        }
        if (tenths == 0)
            QCOMPARE(count, 0);
        if (tenths == 1000)
            QCOMPARE(count, keys);
    }
}

void TestRouter::unkeyedShareMatchesWeight_data()
{
    QTest::addColumn<int>("tenths");
    QTest::newRow("1%") << 10;
    QTest::newRow("10%") << 100;
    QTest::newRow("33.3%") << 333;
    QTest::newRow("75%") << 750;
}

void TestRouter::unkeyedShareMatchesWeight()
{
    QFETCH(int, tenths);
    Random random(7);
    const Weight weight = Weight::fromTenths(tenths);
    int canary = 0;
    for (int i = 0; i < kKeys; ++i)
        canary += Router::routesToCanary(random.next(), weight) ? 1 : 0;
    const double sharePercent = 100.0 * canary / kKeys;
    QVERIFY2(std::abs(sharePercent - weight.percent()) <= 0.5,
             qPrintable(QString::number(sharePercent)));
}

void TestRouter::saltChangesAssignment()
{
    const Router a("one");
    const Router b("two");
    int differ = 0;
    for (int i = 0; i < 1000; ++i)
        differ += a.bucket(key(i)) != b.bucket(key(i)) ? 1 : 0;
    QVERIFY2(differ > 900, qPrintable(QString::number(differ)));
    QCOMPARE(a.bucket("same"), Router("one").bucket("same"));
}

void TestRouter::bucketsAreUniform()
{
    // Chi-square over the 1000 buckets for sequential keys; 999 degrees of freedom, so a
    // well-mixed hash stays far below 1200 (p < 0.0001 above it).
    const Router router("uniform");
    std::vector<int> counts(Router::kBuckets, 0);
    constexpr int keys = 200'000;
    for (int i = 0; i < keys; ++i)
        ++counts[std::size_t(router.bucket(key(i)))];
    const double expected = double(keys) / Router::kBuckets;
    double chi2 = 0;
    for (int c : counts)
        chi2 += (c - expected) * (c - expected) / expected;
    QVERIFY2(chi2 < 1200, qPrintable(QString::number(chi2)));
}

QTEST_APPLESS_MAIN(TestRouter)
#include "tst_router.moc"
