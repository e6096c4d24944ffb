#include "gatewayprocess.h"
#include "httpclient.h"

#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

#include <memory>

class TestGatewayMetrics final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void prometheusText();
    void promtoolAcceptsIt();
    void openMetrics();
    void histogramIsConsistent();
    void weightGaugeFollowsRollout();

private:
    QByteArray scrape(bool openMetrics = false, QByteArray *contentType = nullptr);
    static double sample(const QByteArray &text, const QString &series);

    std::unique_ptr<GatewayProcess> m_gateway;
    std::unique_ptr<HttpClient> m_http;
};

void TestGatewayMetrics::initTestCase()
{
    m_gateway = std::make_unique<GatewayProcess>();
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->error()));
    m_http = std::make_unique<HttpClient>(m_gateway->url());
    // Some traffic for both variants, so every family has samples.
    std::vector<HttpCall> calls;
    for (int i = 0; i < 200; ++i)
        calls.push_back({"POST",
                         QStringLiteral("/v1/predict"),
                         QByteArray(R"({"key": "k)") + QByteArray::number(i) + R"(", "label": 1})",
                         {{"Content-Type", "application/json"}}});
    for (const auto &reply : m_http->sendAll(calls))
        QVERIFY(reply.status == 200 || reply.status == 503);
}

void TestGatewayMetrics::cleanupTestCase()
{
    m_http.reset();
    m_gateway.reset();
}

QByteArray TestGatewayMetrics::scrape(bool openMetrics, QByteArray *contentType)
{
    HttpHeaders headers;
    if (openMetrics)
        headers.push_back(
            {"Accept", "application/openmetrics-text; version=1.0.0,text/plain;q=0.5"});
    const auto reply = m_http->get(QStringLiteral("/metrics"), headers);
    if (contentType)
        *contentType = reply.header("Content-Type");
    return reply.status == 200 ? reply.body : QByteArray();
}

double TestGatewayMetrics::sample(const QByteArray &text, const QString &series)
{
    for (const auto &line : text.split('\n')) {
        const auto s = QString::fromUtf8(line);
        if (s.startsWith(series + QLatin1Char(' ')))
            return s.mid(series.size() + 1).toDouble();
    }
    return -1;
}

void TestGatewayMetrics::prometheusText()
{
    QByteArray contentType;
    const auto text = scrape(false, &contentType);
    QCOMPARE(contentType, QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    for (const char *name :
         {"canary_requests_total", "canary_request_errors_total", "canary_request_duration_seconds",
          "canary_feedback_total", "canary_predictions_correct_total", "canary_traffic_weight"}) {
        QVERIFY2(text.contains(QByteArray("# HELP ") + name + ' '), name);
        QVERIFY2(text.contains(QByteArray("# TYPE ") + name + ' '), name);
    }
    QVERIFY(!text.contains("# EOF"));
    const double production = sample(
        text, QStringLiteral(R"(canary_requests_total{variant="production",version="2.3.0"})"));
    const double canary =
        sample(text, QStringLiteral(R"(canary_requests_total{variant="canary",version="2.4.0"})"));
    QVERIFY(production > 0);
    QVERIFY(canary > 0);
    QCOMPARE(production + canary, 200.0);
}

void TestGatewayMetrics::promtoolAcceptsIt()
{
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (promtool.isEmpty())
        QSKIP("promtool is not installed");
    const auto text = scrape();
    QVERIFY(!text.isEmpty());
    QProcess process;
    process.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    QVERIFY(process.waitForStarted());
    process.write(text);
    process.closeWriteChannel();
    QVERIFY(process.waitForFinished(15'000));
    const auto output = process.readAllStandardOutput() + process.readAllStandardError();
    QVERIFY2(output.isEmpty(), output.constData());
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
}

void TestGatewayMetrics::openMetrics()
{
    QByteArray contentType;
    const auto text = scrape(true, &contentType);
    QCOMPARE(contentType, QByteArray("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    QVERIFY(text.endsWith("# EOF\n"));
    QCOMPARE(text.count("# EOF"), 1);
    // Counter families drop the _total suffix in metadata; samples keep it.
    QVERIFY(text.contains("# TYPE canary_requests counter\n"));
    QVERIFY(text.contains("# TYPE canary_request_duration_seconds histogram\n"));
    QVERIFY(text.contains("# UNIT canary_request_duration_seconds seconds\n"));
    QVERIFY(text.contains("# TYPE canary_traffic_weight gauge\n"));
    QVERIFY(text.contains(R"(canary_requests_total{variant="canary",version="2.4.0"} )"));
}

void TestGatewayMetrics::histogramIsConsistent()
{
    const auto text = scrape();
    const QString labels = QStringLiteral(R"(variant="production",version="2.3.0")");
    QList<double> bounds;
    QList<double> counts;
    static const QRegularExpression bucket(
        QStringLiteral("^canary_request_duration_seconds_bucket\\{variant=\"production\","
                       "version=\"2\\.3\\.0\",le=\"([^\"]+)\"\\} (\\S+)$"));
    for (const auto &line : text.split('\n')) {
        const auto match = bucket.match(QString::fromUtf8(line));
        if (!match.hasMatch())
            continue;
        const auto le = match.captured(1);
        bounds.append(le == QStringLiteral("+Inf") ? qInf() : le.toDouble());
        counts.append(match.captured(2).toDouble());
    }
    QCOMPARE(bounds.size(), 162); // 40 per decade from 1 ms to 10 s, plus +Inf
    QCOMPARE(bounds.front(), 0.001);
    QCOMPARE(bounds[160], 10.0);
    QCOMPARE(bounds[40], 0.01);
    for (int i = 1; i < bounds.size(); ++i) {
        QVERIFY(bounds[i] > bounds[i - 1]);
        QVERIFY(counts[i] >= counts[i - 1]);
    }
    const double count = sample(text, QStringLiteral("canary_request_duration_seconds_count{") +
                                          labels + QLatin1Char('}'));
    QCOMPARE(counts.back(), count);
    QCOMPARE(count,
             sample(text, QStringLiteral("canary_requests_total{") + labels + QLatin1Char('}')));
    // The demo production answers in about 40 ms (p50): the median bucket must be near it.
    double median = 0;
    for (int i = 0; i < counts.size(); ++i) {
        if (counts[i] >= count / 2) {
            median = bounds[i];
            break;
        }
    }
    QVERIFY2(median > 0.025 && median < 0.08, qPrintable(QString::number(median)));
}

void TestGatewayMetrics::weightGaugeFollowsRollout()
{
    auto text = scrape();
    QCOMPARE(
        sample(text, QStringLiteral(R"(canary_traffic_weight{variant="canary",version="2.4.0"})")),
        10.0);
    const auto reply = m_http->send({"PUT",
                                     QStringLiteral("/v1/rollout/weights"),
                                     R"({"canary": 33.3})",
                                     {{"Authorization", "Bearer " + m_gateway->token()},
                                      {"If-Match", "*"},
                                      {"Content-Type", "application/json"}}});
    QCOMPARE(reply.status, 200);
    text = scrape();
    QCOMPARE(
        sample(text, QStringLiteral(R"(canary_traffic_weight{variant="canary",version="2.4.0"})")),
        33.3);
    QCOMPARE(sample(text, QStringLiteral(
                              R"(canary_traffic_weight{variant="production",version="2.3.0"})")),
             66.7);
}

QTEST_GUILESS_MAIN(TestGatewayMetrics)
#include "tst_gateway_metrics.moc"
