// The one place that decides which lever a rollout document offers, read as a whole, and what it
// tells the operator about backends that bend the spec.
#include "domain/rolloutrules.h"

#include <QTest>

using namespace canary;

namespace {

RolloutState document(RolloutPhase phase, std::optional<std::pair<std::string, int>> canary)
{
    RolloutState state;
    state.revision = 7;
    state.phase = phase;
    state.production = {VariantRole::Production, "m", "1", Weight::fromTenths(1000)};
    if (canary) {
        const int tenths = canary->second * 10;
        state.production.weight = Weight::fromTenths(1000 - tenths);
        state.canary = VariantInfo{VariantRole::Canary, canary->first.empty() ? "" : "m",
                                   canary->first, Weight::fromTenths(tenths)};
    }
    return state;
}

// The Control API's abilities: staging, revisions.
ControlPlaneCapabilities controlApi()
{
    ControlPlaneCapabilities capabilities;
    capabilities.kind = "Control API";
    capabilities.revisions = true;
    capabilities.staging = true;
    return capabilities;
}

QString levers(const RolloutReading &reading,
               const ControlPlaneCapabilities &backend = controlApi())
{
    QString out;
    for (auto [lever, letter] : {std::pair{Lever::SetWeight, 'W'}, std::pair{Lever::Promote, 'P'},
                                 std::pair{Lever::Rollback, 'R'}, std::pair{Lever::Stage, 'S'}}) {
        const LeverDecision decision = decideLever(lever, reading, backend);
        out += decision.allowed ? QLatin1Char(letter) : QLatin1Char('-');
        if (!decision.allowed && decision.why.empty())
            return QStringLiteral("refused without a reason");
    }
    return out;
}

} // namespace

class TestRolloutRules final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void leversFollowTheDocument_data();
    void leversFollowTheDocument();
    void leversFollowTheBackend_data();
    void leversFollowTheBackend();
};

void TestRolloutRules::leversFollowTheDocument_data()
{
    using Slot = std::optional<std::pair<std::string, int>>;
    QTest::addColumn<int>("phase");
    QTest::addColumn<Slot>("canary");
    QTest::addColumn<int>("actedOn");       // the phase the console acts on
    QTest::addColumn<QString>("levers");    // W set weight, P promote, R roll back, S stage
    QTest::addColumn<QString>("deviation"); // a fragment of the one sentence, or empty

    const auto P = [](RolloutPhase phase) {
        return int(phase);
    };
    using enum RolloutPhase;
    // By the spec.
    QTest::newRow("stable") << P(Stable) << Slot{} << P(Stable) << "---S"
                            << "";
    QTest::newRow("canary-at-0") << P(Canary) << Slot{{"2", 0}} << P(Canary) << "WPRS"
                                 << "";
    QTest::newRow("canary-at-25") << P(Canary) << Slot{{"2", 25}} << P(Canary) << "WPR-"
                                  << "";
    QTest::newRow("promoted") << P(Promoted) << Slot{} << P(Promoted) << "---S"
                              << "";
    QTest::newRow("rolled-back") << P(RolledBack) << Slot{{"2", 0}} << P(RolledBack) << "---S"
                                 << "";
    // Bending it: another team's server said "stable" right after a stage...
    QTest::newRow("stable-with-canary")
        << P(Stable) << Slot{{"2", 0}} << P(Canary) << "WPRS"
        << "reports state \"stable\" while canary m 2 is in the canary slot at 0.0 %";
    QTest::newRow("promoted-with-canary-traffic")
        << P(Promoted) << Slot{{"2", 30}} << P(Canary) << "WPR-"
        << "reports state \"promoted\"";
    // ...and kept an empty canary entry after promote.
    QTest::newRow("promoted-empty-canary") << P(Promoted) << Slot{{"", 0}} << P(Promoted) << "---S"
                                           << "empty canary entry";
    QTest::newRow("canary-without-canary") << P(Canary) << Slot{} << P(Stable) << "---S"
                                           << "lists no canary model";
    QTest::newRow("rolled-back-still-serving")
        << P(RolledBack) << Slot{{"2", 5}} << P(Canary) << "WPR-"
        << "still receives 5.0 %";
    QTest::newRow("nameless-canary-with-traffic")
        << P(Canary) << Slot{{"", 20}} << P(Canary) << "WPR-"
        << "without a model or version";
}

void TestRolloutRules::leversFollowTheDocument()
{
    using Slot = std::optional<std::pair<std::string, int>>;
    QFETCH(int, phase);
    QFETCH(Slot, canary);
    QFETCH(int, actedOn);
    QFETCH(QString, levers);
    QFETCH(QString, deviation);

    const RolloutReading reading = readRollout(document(RolloutPhase(phase), canary));
    QCOMPARE(int(reading.reportedPhase), phase);
    QCOMPARE(int(reading.phase), actedOn);
    QCOMPARE(::levers(reading), levers);
    if (deviation.isEmpty()) {
        QVERIFY(reading.deviations.empty());
    } else {
        // Told once: one sentence, naming what the backend did.
        QCOMPARE(reading.deviations.size(), std::size_t(1));
        const QString said = QString::fromStdString(reading.deviations.front());
        QVERIFY2(said.contains(deviation), qPrintable(said));
        QVERIFY(said.endsWith(QLatin1Char('.')));
    }
}

void TestRolloutRules::leversFollowTheBackend_data()
{
    QTest::addColumn<int>("canaryTenths");
    QTest::addColumn<bool>("staging");
    QTest::addColumn<bool>("updating");
    QTest::addColumn<QString>("levers");
    QTest::addColumn<QString>("why"); // a fragment of the refusal of the first refused lever

    QTest::newRow("staging, at 0") << 0 << true << false << "WPRS"
                                   << "";
    QTest::newRow("no staging, at 0") << 0 << false << false << "WPR-"
                                      << "cannot stage a model";
    QTest::newRow("no staging, at 25") << 250 << false << false << "WPR-"
                                       << "cannot stage a model";
    QTest::newRow("updating") << 250 << false << true << "----"
                              << "still applying the last change";
    QTest::newRow("updating with staging") << 0 << true << true << "----"
                                           << "still applying the last change";
}

void TestRolloutRules::leversFollowTheBackend()
{
    QFETCH(int, canaryTenths);
    QFETCH(bool, staging);
    QFETCH(bool, updating);
    QFETCH(QString, levers);
    QFETCH(QString, why);

    RolloutState state = document(RolloutPhase::Canary, std::pair{std::string("2"), 0});
    state.canary->weight = Weight::fromTenths(canaryTenths);
    state.production.weight = state.canary->weight.complement();
    state.updating = updating;
    ControlPlaneCapabilities backend = controlApi();
    backend.kind = "HAProxy";
    backend.staging = staging;
    const RolloutReading reading = readRollout(state);
    QCOMPARE(::levers(reading, backend), levers);
    for (Lever lever : {Lever::SetWeight, Lever::Promote, Lever::Rollback, Lever::Stage}) {
        const LeverDecision decision = decideLever(lever, reading, backend);
        if (decision.allowed)
            continue;
        const QString said = QString::fromStdString(decision.why);
        QVERIFY2(said.contains(why), qPrintable(said));
        QVERIFY2(said.contains(QStringLiteral("HAProxy")), qPrintable(said)); // names the kind
        break;
    }
}

QTEST_APPLESS_MAIN(TestRolloutRules)
#include "tst_rolloutrules.moc"
