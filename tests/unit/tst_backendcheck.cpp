// What check-backend finds wrong in rollout documents and metrics, without a server: each row is
// one document or exposition a backend might serve, and the check it must fail (or none).
#include "backendcheck.h"
#include "metrics/expositionparser.h"

#include <QTest>

using namespace canary;
using namespace canary::ctl;

namespace {

QString joinedProblems(const std::vector<std::string> &problems)
{
    QStringList out;
    for (const auto &p : problems)
        out << QString::fromStdString(p);
    return out.join(QStringLiteral("; "));
}

} // namespace

class TestBackendCheck final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void documents_data();
    void documents();
    void metricsExpositions_data();
    void metricsExpositions();
};

void TestBackendCheck::documents_data()
{
    QTest::addColumn<QByteArray>("document");
    QTest::addColumn<QString>("check"); // the aspects that fail (shape, weights, state), or none
    QTest::addColumn<QString>("fragment");

    const QByteArray prod = R"({"name":"production","model":"m","version":"1","weight":)";
    const QByteArray can = R"({"name":"canary","model":"m","version":"2","weight":)";
    auto doc = [](const QByteArray &state, const QByteArray &variants) {
        return R"({"revision":3,"state":")" + state +
               R"(","updated_at":"2026-11-26T12:00:00.250Z","variants":[)" + variants + "]}";
    };
    QTest::newRow("canary") << doc("canary", prod + "87.5}," + can + "12.5}") << QString() << "";
    QTest::newRow("stable") << doc("stable", prod + "100}") << QString() << "";
    QTest::newRow("promoted") << doc("promoted", prod + "100}") << QString() << "";
    QTest::newRow("rolled-back") << doc("rolled_back", prod + "100}," + can + "0}") << QString()
                                 << "";
    QTest::newRow("extra-members-are-fine")
        << QByteArray(
               R"({"x":1,"revision":3,"state":"stable","updated_at":"2026-11-26T12:00:00Z",)"
               R"("variants":[{"name":"production","model":"m","version":"1","weight":100,"y":2}]})")
        << QString() << "";
    QTest::newRow("stable-with-canary") << doc("stable", prod + "90}," + can + "10}") << "state"
                                        << "state \"stable\" means the canary slot is empty";
    QTest::newRow("promoted-with-empty-canary")
        << doc("promoted", prod + R"(100},{"name":"canary","model":"","version":"","weight":0})")
        << "shape,state"
        << "state \"promoted\" means the canary slot is empty";
    QTest::newRow("canary-without-canary") << doc("canary", prod + "100}") << "state"
                                           << "needs a canary entry";
    QTest::newRow("rolled-back-with-traffic")
        << doc("rolled_back", prod + "95}," + can + "5}") << "state"
        << "needs the canary at 0 %";
    QTest::newRow("sum-not-100") << doc("canary", prod + "90}," + can + "20}") << "weights"
                                 << "add up to 110.0";
    QTest::newRow("off-grid") << doc("canary", prod + "87.45}," + can + "12.55}") << "weights"
                              << "finer resolution";
    QTest::newRow("weight-string") << doc("canary", prod + "90}," + can + "\"10\"}") << "shape"
                                   << "variants[1].weight must be a number";
    QTest::newRow("empty-model")
        << doc("stable", R"({"name":"production","model":"","version":"1","weight":100})")
        << "shape"
        << "variants[0].model is empty";
    QTest::newRow("revision-zero")
        << QByteArray(
               R"({"revision":0,"state":"stable","updated_at":"2026-11-26T12:00:00Z",)"
               R"("variants":[{"name":"production","model":"m","version":"1","weight":100}]})")
        << "shape"
        << "at least 1";
    QTest::newRow("revision-string")
        << QByteArray(
               R"({"revision":"3","state":"stable","updated_at":"2026-11-26T12:00:00Z",)"
               R"("variants":[{"name":"production","model":"m","version":"1","weight":100}]})")
        << "shape"
        << "\"revision\" must be an integer";
    QTest::newRow("no-updated-at")
        << QByteArray(
               R"({"revision":3,"state":"stable",)"
               R"("variants":[{"name":"production","model":"m","version":"1","weight":100}]})")
        << "shape"
        << "updated_at";
    QTest::newRow("unknown-state") << doc("ramping", prod + "100}") << "shape"
                                   << "not one of stable, canary, promoted, rolled_back";
    QTest::newRow("no-production") << doc("canary", can + "100}") << "shape"
                                   << "no production variant";
    QTest::newRow("not-an-object") << QByteArray("[1,2]") << "shape"
                                   << "not a JSON object";
}

void TestBackendCheck::documents()
{
    QFETCH(QByteArray, document);
    QFETCH(QString, check);
    QFETCH(QString, fragment);
    const auto json = nlohmann::json::parse(document.toStdString());
    const DocumentProblems problems = inspectRolloutDocument(json);
    const QString shape = joinedProblems(problems.shape);
    const QString weights = joinedProblems(problems.weights);
    const QString state = joinedProblems(problems.state);
    const QString all = QString::fromStdString(problems.summary());
    QVERIFY2(shape.isEmpty() != check.contains(QStringLiteral("shape")), qPrintable(all));
    QVERIFY2(weights.isEmpty() != check.contains(QStringLiteral("weights")), qPrintable(all));
    QVERIFY2(state.isEmpty() != check.contains(QStringLiteral("state")), qPrintable(all));
    QVERIFY2(all.contains(fragment), qPrintable(all));
    QCOMPARE(problems.none(), check.isEmpty());
}

void TestBackendCheck::metricsExpositions_data()
{
    QTest::addColumn<QByteArray>("exposition");
    QTest::addColumn<QString>("familyProblem");
    QTest::addColumn<QString>("labelProblem");

    QByteArray all;
    for (const char *counter : {"canary_requests_total", "canary_request_errors_total",
                                "canary_feedback_total", "canary_predictions_correct_total"})
        all += QByteArray("# TYPE ") + counter + " counter\n" + counter +
               "{variant=\"production\",version=\"1\"} 3\n";
    all +=
        "# TYPE canary_request_duration_seconds histogram\n"
        "canary_request_duration_seconds_bucket{variant=\"canary\",version=\"2\",le=\"+Inf\"} 1\n"
        "canary_request_duration_seconds_sum{variant=\"canary\",version=\"2\"} 0.5\n"
        "canary_request_duration_seconds_count{variant=\"canary\",version=\"2\"} 1\n";
    const QByteArray weight = "# TYPE canary_traffic_weight gauge\n"
                              "canary_traffic_weight{variant=\"canary\",version=\"2\"} 10\n";
    QTest::newRow("complete") << all + weight << QString() << QString();
    QTest::newRow("no-weight") << all << "canary_traffic_weight is missing" << QString();
    QTest::newRow("weight-as-counter")
        << all + "# TYPE canary_traffic_weight counter\ncanary_traffic_weight{variant=\"canary\","
                 "version=\"2\"} 10\n"
        << "canary_traffic_weight has type counter, expected gauge" << QString();
    QTest::newRow("no-variant")
        << all + "# TYPE canary_traffic_weight gauge\ncanary_traffic_weight{version=\"2\"} 10\n"
        << QString() << "canary_traffic_weight{version=\"2\"} has no variant label";
    QTest::newRow("other-variant")
        << all + "# TYPE canary_traffic_weight gauge\n"
                 "canary_traffic_weight{variant=\"shadow\",version=\"2\"} 10\n"
        << QString()
        << "canary_traffic_weight{variant=\"shadow\",version=\"2\"} has variant=\"shadow\", "
           "expected production or canary";
    QTest::newRow("no-version")
        << all +
               "# TYPE canary_traffic_weight gauge\ncanary_traffic_weight{variant=\"canary\"} 10\n"
        << QString() << "canary_traffic_weight{variant=\"canary\"} has no version label";
}

void TestBackendCheck::metricsExpositions()
{
    QFETCH(QByteArray, exposition);
    QFETCH(QString, familyProblem);
    QFETCH(QString, labelProblem);
    const auto parsed = metrics::parseExposition(exposition.toStdString(),
                                                 metrics::ExpositionFormat::PrometheusText);
    QVERIFY(parsed.ok());
    const MetricsProblems problems = inspectMetrics(parsed);
    QCOMPARE(joinedProblems(problems.families), familyProblem);
    QCOMPARE(joinedProblems(problems.labels), labelProblem);
}

QTEST_APPLESS_MAIN(TestBackendCheck)
#include "tst_backendcheck.moc"
