// The table `canaryctl watch` prints: what it says about the rollout above and under the numbers.
#include "kpitable.h"

#include <QTest>

using namespace canary;
using namespace canary::ctl;

namespace {

metrics::KpiResult someKpis()
{
    metrics::KpiResult kpis;
    kpis.elapsedSeconds = 30;
    kpis.production.requestRate = 150;
    kpis.production.activeVersions = {"1.0"};
    kpis.canary.requestRate = 50;
    kpis.canary.activeVersions = {"2.0"};
    return kpis;
}

RolloutState someState(const std::string &productionVersion, const std::string &canaryVersion)
{
    RolloutState state;
    state.revision = 4;
    state.phase = RolloutPhase::Canary;
    state.production = {VariantRole::Production, "prod", productionVersion,
                        Weight::fromTenths(750)};
    state.canary = VariantInfo{VariantRole::Canary, "can", canaryVersion, Weight::fromTenths(250)};
    return state;
}

// The columns of the row that starts with `variant`.
QStringList row(const QString &table, const QString &variant)
{
    for (const QString &line : table.split(QLatin1Char('\n'))) {
        if (line.startsWith(variant + QLatin1Char(' ')))
            return line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    }
    return {};
}

} // namespace

class TestKpiTable final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void header_data();
    void header();
    void versionsFromTheMetricsWhenTheBackendKnowsNone();
    void staleRolloutIsNoted();
};

void TestKpiTable::header_data()
{
    QTest::addColumn<bool>("withState");
    QTest::addColumn<bool>("revisions");
    QTest::addColumn<QString>("stateError");
    QTest::addColumn<QString>("expected");

    QTest::newRow("control-api") << true << true << QString()
                                 << "  state canary  revision 4  "
                                    "window 30.0 s";
    // HAProxy numbers no states: no "revision 0" that would look like one.
    QTest::newRow("no-revisions") << true << false << QString() << "  state canary  window 30.0 s";
    QTest::newRow("never-read") << false << true << QStringLiteral("Rollout unreadable: refused.")
                                << "  state unknown (Rollout unreadable: refused.)  window 30.0 s";
}

void TestKpiTable::header()
{
    QFETCH(bool, withState);
    QFETCH(bool, revisions);
    QFETCH(QString, stateError);
    QFETCH(QString, expected);
    const RolloutState state = someState("1.0", "2.0");
    RolloutContext rollout{withState ? &state : nullptr, revisions, stateError.toStdString()};
    const QString table = QString::fromStdString(formatKpiTable(someKpis(), rollout));
    const QString first = table.section(QLatin1Char('\n'), 0, 0);
    QVERIFY2(first.endsWith(expected), qPrintable(first));
}

void TestKpiTable::versionsFromTheMetricsWhenTheBackendKnowsNone()
{
    const RolloutState withVersions = someState("1.0", "2.0-from-state");
    const RolloutState withoutVersions = someState("", "");
    const QString fromState =
        QString::fromStdString(formatKpiTable(someKpis(), RolloutContext{&withVersions, true, {}}));
    QCOMPARE(row(fromState, QStringLiteral("canary")).value(1), QStringLiteral("2.0-from-state"));
    const QString fromLabels = QString::fromStdString(
        formatKpiTable(someKpis(), RolloutContext{&withoutVersions, false, {}}));
    QCOMPARE(row(fromLabels, QStringLiteral("production")).value(1), QStringLiteral("1.0"));
    QCOMPARE(row(fromLabels, QStringLiteral("canary")).value(1), QStringLiteral("2.0"));
    QCOMPARE(row(fromLabels, QStringLiteral("canary")).value(2), QStringLiteral("25.0"));
}

void TestKpiTable::staleRolloutIsNoted()
{
    const RolloutState state = someState("1.0", "2.0");
    const QString fresh =
        QString::fromStdString(formatKpiTable(someKpis(), RolloutContext{&state, true, {}}));
    QVERIFY2(!fresh.contains(QStringLiteral("note:")), qPrintable(fresh));
    // The rollout failed after it was read: the numbers are fresh, the weights may not be.
    const QString stale = QString::fromStdString(formatKpiTable(
        someKpis(), RolloutContext{&state, true, "Rollout unreadable: timed out \x1b[2J."}));
    QVERIFY2(stale.contains(QStringLiteral("note: state and weights as last read; Rollout "
                                           "unreadable: timed out \\x1b[2J.\n")),
             qPrintable(stale));
    QCOMPARE(row(stale, QStringLiteral("canary")).value(2), QStringLiteral("25.0"));
}

QTEST_APPLESS_MAIN(TestKpiTable)
#include "tst_kpitable.moc"
