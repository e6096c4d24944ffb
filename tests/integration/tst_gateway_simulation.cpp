// The gateway's simulation over time: scenario steps and the built-in load generator, observed from
// outside through /v1/predict and /metrics of the real binary.
#include "gatewayprocess.h"
#include "httpclient.h"
#include "metrics/expositionparser.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using nlohmann::json;

namespace {

json simulate(double errorRate)
{
    return {
        {"latency_p50_ms", 1}, {"latency_p99_ms", 2}, {"error_rate", errorRate}, {"accuracy", 0.9}};
}

// The sum of a sample over all series of one variant.
double sampleSum(const canary::metrics::Exposition &exposition, std::string_view name,
                 std::string_view variant)
{
    double sum = 0;
    for (const auto &family : exposition.families) {
        for (const auto &sample : family.samples) {
            const std::string *v = sample.label("variant");
            if (sample.name == name && v && *v == variant)
                sum += sample.value;
        }
    }
    return sum;
}

} // namespace

class TestGatewaySimulation final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scenarioStepChangesTheModelAtItsTime();
    void loadGeneratorSendsTrafficAndFeedback();

private:
    std::unique_ptr<GatewayProcess> startWith(const json &config, QStringList extra = {});
    canary::metrics::Exposition scrape(HttpClient &http);

    QTemporaryDir m_dir;
};

std::unique_ptr<GatewayProcess> TestGatewaySimulation::startWith(const json &config,
                                                                 QStringList extra)
{
    const QString path = m_dir.filePath(QStringLiteral("config.json"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return nullptr;
    file.write(QByteArray::fromStdString(config.dump(2)));
    file.close();
    auto gateway =
        std::make_unique<GatewayProcess>(QStringList{QStringLiteral("--config"), path} + extra);
    if (!gateway->start()) {
        qWarning("%s", qPrintable(gateway->error()));
        return nullptr;
    }
    return gateway;
}

canary::metrics::Exposition TestGatewaySimulation::scrape(HttpClient &http)
{
    const HttpReply reply = http.get(QStringLiteral("/metrics"));
    return canary::metrics::parseExposition(reply.body.toStdString(),
                                            canary::metrics::ExpositionFormat::PrometheusText);
}

void TestGatewaySimulation::scenarioStepChangesTheModelAtItsTime()
{
    // Production is healthy, then from 4 s on fails every request; the canary slot is empty so
    // every request goes to production.
    const json config = {
        {"production", {{"model", "m"}, {"version", "1"}, {"simulate", simulate(0.0)}}},
        {"scenario",
         json::array(
             {{{"at_s", 4}, {"variant", "production"}, {"simulate", {{"error_rate", 1}}}}})}};
    auto gateway = startWith(config);
    QVERIFY(gateway);
    HttpClient http(gateway->url());
    const HttpCall predict{"POST",
                           QStringLiteral("/v1/predict"),
                           R"({"label":1})",
                           {{"Content-Type", "application/json"}}};

    QCOMPARE(http.send(predict).status, 200); // well before the step
    // After the step every answer is the simulated failure.
    QTRY_COMPARE_WITH_TIMEOUT(http.send(predict).status, 503, 20'000);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(http.send(predict).status, 503);
    const auto metrics = scrape(http);
    QVERIFY(metrics.ok());
    QVERIFY(sampleSum(metrics, "canary_request_errors_total", "production") >= 21);
}

void TestGatewaySimulation::loadGeneratorSendsTrafficAndFeedback()
{
    const json config = {
        {"production", {{"model", "m"}, {"version", "1"}, {"simulate", simulate(0.0)}}},
        {"canary", {{"model", "m"}, {"version", "2"}, {"weight", 30}, {"simulate", simulate(0.0)}}},
        {"load", {{"rps", 300}, {"labelled_share", 0.5}, {"feedback_delay_ms", 50}}}};
    auto gateway = startWith(config, {QStringLiteral("--load"), QStringLiteral("300")});
    QVERIFY(gateway);
    HttpClient http(gateway->url());

    // Both variants serve generated traffic, and labelled feedback arrives for both.
    auto enough = [&] {
        const auto m = scrape(http);
        return m.ok() && sampleSum(m, "canary_requests_total", "production") >= 200 &&
               sampleSum(m, "canary_requests_total", "canary") >= 60 &&
               sampleSum(m, "canary_feedback_total", "production") >= 50 &&
               sampleSum(m, "canary_feedback_total", "canary") >= 15;
    };
    QTRY_VERIFY_WITH_TIMEOUT(enough(), 20'000);

    const auto m = scrape(http);
    for (const char *variant : {"production", "canary"}) {
        const double requests = sampleSum(m, "canary_requests_total", variant);
        const double feedback = sampleSum(m, "canary_feedback_total", variant);
        const double correct = sampleSum(m, "canary_predictions_correct_total", variant);
        QVERIFY2(feedback <= requests, variant);
        QVERIFY2(correct <= feedback, variant);
        // About half of the generated predictions are labelled (feedback lags a little).
        QVERIFY2(feedback / requests > 0.3 && feedback / requests <= 0.6, variant);
    }
    // The split follows the 30 % weight.
    const double canaryShare = sampleSum(m, "canary_requests_total", "canary") /
                               (sampleSum(m, "canary_requests_total", "production") +
                                sampleSum(m, "canary_requests_total", "canary"));
    QVERIFY2(canaryShare > 0.2 && canaryShare < 0.4, qPrintable(QString::number(canaryShare)));
}

QTEST_GUILESS_MAIN(TestGatewaySimulation)
#include "tst_gateway_simulation.moc"
