#include "domain/rolloutstate.h"
#include "domain/weight.h"

#include <nlohmann/json.hpp>

#include <QTest>

using namespace canary;

class TestDomain final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void weightFromPercent_data();
    void weightFromPercent();
    void weightComplement();
    void rfc3339RoundTrip_data();
    void rfc3339RoundTrip();
    void rolloutJsonRoundTrip();
    void rolloutJsonRejects_data();
    void rolloutJsonRejects();
};

void TestDomain::weightFromPercent_data()
{
    QTest::addColumn<double>("percent");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<int>("tenths");
    QTest::addColumn<QString>("refusal"); // the whole sentence for a refused value

    QTest::newRow("zero") << 0.0 << true << 0 << QString();
    QTest::newRow("hundred") << 100.0 << true << 1000 << QString();
    QTest::newRow("twelve-and-a-half") << 12.5 << true << 125 << QString();
    QTest::newRow("float-noise") << 12.300000000000001 << true << 123 << QString();
    QTest::newRow("sum-noise") << (0.1 + 0.2) << true << 3 << QString();
    QTest::newRow("too-fine") << 12.55 << false << 0
                              << "weight 12.55 has a finer resolution than 0.1 percent";
    // %.10g would have printed 12.34 and hidden why it was refused.
    QTest::newRow("too-fine-far-digit")
        << 12.3400000001 << false << 0
        << "weight 12.3400000001 has a finer resolution than 0.1 percent";
    QTest::newRow("negative") << -0.1 << false << 0 << "weight -0.1 is outside 0–100";
    QTest::newRow("over") << 100.1 << false << 0 << "weight 100.1 is outside 0–100";
    // Just above 100: the refusal quotes the value given, not a rounded "100".
    QTest::newRow("just-over") << 100.00000000001 << false << 0
                               << "weight 100.00000000001 is outside 0–100";
    QTest::newRow("just-under") << -1e-12 << false << 0 << "weight -1e-12 is outside 0–100";
    QTest::newRow("huge") << 1e300 << false << 0 << "weight 1e+300 is outside 0–100";
    QTest::newRow("nan") << std::nan("") << false << 0
                         << "weight nan is not a finite number: it must be between 0 and 100";
    QTest::newRow("inf") << HUGE_VAL << false << 0
                         << "weight inf is not a finite number: it must be between 0 and 100";
}

void TestDomain::weightFromPercent()
{
    QFETCH(double, percent);
    QFETCH(bool, valid);
    QFETCH(int, tenths);
    QFETCH(QString, refusal);
    std::string error;
    auto weight = Weight::fromPercent(percent, &error);
    QCOMPARE(weight.has_value(), valid);
    if (valid) {
        QCOMPARE(weight->tenths(), tenths);
        QVERIFY(error.empty());
    } else {
        QCOMPARE(QString::fromStdString(error), refusal);
    }
}

void TestDomain::weightComplement()
{
    QCOMPARE(Weight::fromTenths(125).complement().tenths(), 875);
    QCOMPARE(Weight::fromTenths(125).toString(), std::string("12.5"));
    QCOMPARE(Weight::fromTenths(5000).tenths(), 1000); // clamped
}

void TestDomain::rfc3339RoundTrip_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("epochMs");
    QTest::addColumn<QString>("canonical");

    QTest::newRow("utc-ms") << "2026-11-26T12:00:00.250Z" << qint64(1795694400250)
                            << "2026-11-26T12:00:00.250Z";
    QTest::newRow("no-fraction") << "1970-01-01T00:00:00Z" << qint64(0)
                                 << "1970-01-01T00:00:00.000Z";
    QTest::newRow("offset") << "2026-11-26T13:30:00+01:30" << qint64(1795694400000)
                            << "2026-11-26T12:00:00.000Z";
}

void TestDomain::rfc3339RoundTrip()
{
    QFETCH(QString, text);
    QFETCH(qint64, epochMs);
    QFETCH(QString, canonical);
    auto parsed = parseRfc3339(text.toStdString());
    QVERIFY(parsed);
    QCOMPARE(parsed->time_since_epoch().count(), epochMs);
    QCOMPARE(QString::fromStdString(formatRfc3339(*parsed)), canonical);
}

void TestDomain::rolloutJsonRoundTrip()
{
    RolloutState state;
    state.revision = 7;
    state.phase = RolloutPhase::Canary;
    state.production = {VariantRole::Production, "fraud-model", "2.3.0", Weight::fromTenths(875)};
    state.canary =
        VariantInfo{VariantRole::Canary, "fraud-model", "2.4.0", Weight::fromTenths(125)};
    state.updatedAt = *parseRfc3339("2026-11-26T12:00:00.250Z");

    const auto json = toJson(state);
    QCOMPARE(json.at("state").get<std::string>(), std::string("canary"));
    QCOMPARE(json.at("variants").at(1).at("weight").get<double>(), 12.5);

    std::string error;
    auto back = rolloutStateFromJson(nlohmann::json::parse(json.dump()), &error);
    QVERIFY2(back, error.c_str());
    QVERIFY(*back == state);
}

void TestDomain::rolloutJsonRejects_data()
{
    QTest::addColumn<QString>("document");
    QTest::addColumn<QString>("errorFragment");

    const char *variants =
        R"("variants":[{"name":"production","model":"m","version":"1","weight":90},)"
        R"({"name":"canary","model":"m","version":"2","weight":10}])";
    auto doc = [&](const char *head) {
        return QString::fromUtf8(head) + QString::fromUtf8(variants) +
               QStringLiteral(R"(,"updated_at":"2026-11-26T12:00:00Z"})");
    };
    QTest::newRow("not-object") << "[]"
                                << "JSON object";
    QTest::newRow("revision-string") << doc(R"({"revision":"7","state":"canary",)") << "revision";
    QTest::newRow("bad-state") << doc(R"({"revision":7,"state":"exploded",)") << "exploded";
    QTest::newRow("bad-sum")
        << R"({"revision":1,"state":"canary","updated_at":"2026-11-26T12:00:00Z","variants":[{"name":"production","model":"m","version":"1","weight":80},{"name":"canary","model":"m","version":"2","weight":10}]})"
        << "add up";
    QTest::newRow("no-production")
        << R"({"revision":1,"state":"canary","updated_at":"2026-11-26T12:00:00Z","variants":[{"name":"canary","model":"m","version":"2","weight":100}]})"
        << "no production";
    QTest::newRow("bad-time")
        << R"({"revision":1,"state":"stable","updated_at":"yesterday","variants":[{"name":"production","model":"m","version":"1","weight":100}]})"
        << "RFC 3339";
    QTest::newRow("unknown-variant")
        << R"({"revision":1,"state":"stable","updated_at":"2026-11-26T12:00:00Z","variants":[{"name":"shadow","model":"m","version":"1","weight":100}]})"
        << "shadow";
}

void TestDomain::rolloutJsonRejects()
{
    QFETCH(QString, document);
    QFETCH(QString, errorFragment);
    std::string error;
    auto state = rolloutStateFromJson(nlohmann::json::parse(document.toStdString()), &error);
    QVERIFY(!state);
    QVERIFY2(QString::fromStdString(error).contains(errorFragment), error.c_str());
}

QTEST_APPLESS_MAIN(TestDomain)
#include "tst_domain.moc"
