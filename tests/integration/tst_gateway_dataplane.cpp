#include "gatewayprocess.h"
#include "httpclient.h"
#include "scriptedbackend.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <memory>

using nlohmann::json;

namespace {

const HttpHeaders kJson{{"Content-Type", "application/json"}};

// Fast simulated models (p50 1 ms, p99 3 ms) that are right 80 % of the time and never fail.
json accurateConfig()
{
    const json simulate = {
        {"latency_p50_ms", 1}, {"latency_p99_ms", 3}, {"error_rate", 0}, {"accuracy", 0.8}};
    return {
        {"seed", 11},
        {"routing_salt", "dataplane-test"},
        {"production", {{"model", "m"}, {"version", "1.0"}, {"simulate", simulate}}},
        {"canary", {{"model", "m"}, {"version", "1.1"}, {"simulate", simulate}, {"weight", 30}}}};
}

HttpCall predictCall(const QByteArray &key, int label)
{
    json body = {{"label", label}};
    if (!key.isEmpty())
        body["key"] = key.toStdString();
    return {"POST", QStringLiteral("/v1/predict"), QByteArray::fromStdString(body.dump()), kJson};
}

double metricValue(const QByteArray &text, const QByteArray &series)
{
    for (const auto &line : text.split('\n')) {
        if (line.startsWith(series + ' '))
            return line.mid(series.size() + 1).toDouble();
    }
    return -1;
}

} // namespace

class TestGatewayDataPlane final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void accuracyIsMeasured();
    void stickyRouting();
    void keyFromHeader();
    void feedbackErrors();
    void badPredictRequests_data();
    void badPredictRequests();
    void failingVariantGives503();
    void upstreamProxy();
    void deeplyNestedRequestGives400_data();
    void deeplyNestedRequestGives400();
    void deeplyNestedUpstreamAnswerGives502();
    void badConfigExitsWith2_data();
    void badConfigExitsWith2();

private:
    std::unique_ptr<GatewayProcess> startWith(const json &config);
    HttpReply setWeight(double canary);

    QTemporaryDir m_dir;
    std::unique_ptr<GatewayProcess> m_gateway;
    std::unique_ptr<HttpClient> m_http;
};

std::unique_ptr<GatewayProcess> TestGatewayDataPlane::startWith(const json &config)
{
    static int counter = 0;
    const QString path = m_dir.filePath(QStringLiteral("config-%1.json").arg(++counter));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return nullptr;
    file.write(QByteArray::fromStdString(config.dump(2)));
    file.close();
    auto gateway = std::make_unique<GatewayProcess>(QStringList{QStringLiteral("--config"), path});
    if (!gateway->start()) {
        qWarning("%s", qPrintable(gateway->error()));
        return nullptr;
    }
    return gateway;
}

void TestGatewayDataPlane::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_gateway = startWith(accurateConfig());
    QVERIFY(m_gateway);
    m_http = std::make_unique<HttpClient>(m_gateway->url());
}

void TestGatewayDataPlane::cleanupTestCase()
{
    m_http.reset();
    m_gateway.reset();
}

HttpReply TestGatewayDataPlane::setWeight(double canary)
{
    return m_http->send({"PUT",
                         QStringLiteral("/v1/rollout/weights"),
                         QByteArray::fromStdString(json{{"canary", canary}}.dump()),
                         {{"Authorization", "Bearer " + m_gateway->token()},
                          {"If-Match", "*"},
                          {"Content-Type", "application/json"}}});
}

void TestGatewayDataPlane::accuracyIsMeasured()
{
    constexpr int n = 2000;
    std::vector<HttpCall> calls;
    for (int i = 0; i < n; ++i)
        calls.push_back(predictCall("acc-" + QByteArray::number(i), i % 2));
    const auto replies = m_http->sendAll(calls);

    std::vector<HttpCall> feedback;
    std::map<std::string, int> served;
    for (int i = 0; i < n; ++i) {
        const auto &reply = replies[std::size_t(i)];
        QCOMPARE(reply.status, 200);
        const auto body = reply.json();
        const auto variant = body.at("variant").get<std::string>();
        QCOMPARE(reply.header("X-Canary-Variant").toStdString(), variant);
        QCOMPARE(body.at("version").get<std::string>(),
                 std::string(variant == "canary" ? "1.1" : "1.0"));
        ++served[variant];
        const json label = i % 2;
        feedback.push_back(
            {"POST", QStringLiteral("/v1/feedback"),
             QByteArray::fromStdString(
                 json{{"request_id", body.at("request_id")}, {"label", label}}.dump()),
             kJson});
    }
    // 30 % canary by key: within a few points over 2000 keys.
    QVERIFY2(served["canary"] > 0.25 * n && served["canary"] < 0.35 * n,
             qPrintable(QString::number(served["canary"])));

    std::map<std::string, int> correct;
    for (const auto &reply : m_http->sendAll(feedback)) {
        QCOMPARE(reply.status, 200);
        const auto body = reply.json();
        if (body.at("correct").get<bool>())
            ++correct[body.at("variant").get<std::string>()];
    }

    const auto text = m_http->get(QStringLiteral("/metrics")).body;
    for (const std::string variant : {"production", "canary"}) {
        const QByteArray labels = QByteArray("{variant=\"") + variant.c_str() + "\",version=\"" +
                                  (variant == "canary" ? "1.1" : "1.0") + "\"}";
        const double labelled = metricValue(text, "canary_feedback_total" + labels);
        const double right = metricValue(text, "canary_predictions_correct_total" + labels);
        QCOMPARE(labelled, double(served[variant]));
        QCOMPARE(right, double(correct[variant]));
        QCOMPARE(metricValue(text, "canary_requests_total" + labels), double(served[variant]));
        const double accuracy = right / labelled;
        QVERIFY2(std::abs(accuracy - 0.8) < 0.06,
                 qPrintable(QStringLiteral("%1 accuracy %2")
                                .arg(QString::fromStdString(variant))
                                .arg(accuracy)));
    }
}

void TestGatewayDataPlane::stickyRouting()
{
    QCOMPARE(setWeight(30).status, 200);
    std::map<QByteArray, std::string> first;
    std::vector<HttpCall> calls;
    for (int i = 0; i < 50; ++i)
        calls.push_back(predictCall("sticky-" + QByteArray::number(i), 1));
    for (int round = 0; round < 3; ++round) {
        const auto replies = m_http->sendAll(calls);
        for (std::size_t i = 0; i < calls.size(); ++i) {
            QCOMPARE(replies[i].status, 200);
            const auto variant = replies[i].json().at("variant").get<std::string>();
            auto [it, inserted] = first.emplace(calls[i].body, variant);
            QCOMPARE(variant, it->second);
        }
    }
    // Growing the weight never moves a canary key back to production.
    QCOMPARE(setWeight(60).status, 200);
    const auto replies = m_http->sendAll(calls);
    int canaryAfter = 0;
    for (std::size_t i = 0; i < calls.size(); ++i) {
        const auto variant = replies[i].json().at("variant").get<std::string>();
        if (first[calls[i].body] == "canary")
            QCOMPARE(variant, std::string("canary"));
        canaryAfter += variant == "canary" ? 1 : 0;
    }
    QVERIFY(canaryAfter > 0);
    QCOMPARE(setWeight(30).status, 200);
}

void TestGatewayDataPlane::keyFromHeader()
{
    QCOMPARE(setWeight(50).status, 200);
    std::string variant;
    for (int i = 0; i < 10; ++i) {
        const auto reply = m_http->send(
            {"POST", QStringLiteral("/v1/predict"), {}, {{"X-Canary-Key", "header-key-7"}}});
        QCOMPARE(reply.status, 200);
        const auto v = reply.json().at("variant").get<std::string>();
        if (variant.empty())
            variant = v;
        QCOMPARE(v, variant);
        QCOMPARE(reply.header("X-Canary-Variant").toStdString(), v);
        QVERIFY(reply.json().at("prediction") == 0 || reply.json().at("prediction") == 1);
    }
    QCOMPARE(setWeight(30).status, 200);
}

void TestGatewayDataPlane::feedbackErrors()
{
    auto reply = m_http->send({"POST", QStringLiteral("/v1/feedback"),
                               R"({"request_id": "no-such-id", "label": 1})", kJson});
    QCOMPARE(reply.status, 404);
    QCOMPARE(reply.header("Content-Type"), QByteArray("application/problem+json"));
    QCOMPARE(reply.json().at("type").get<std::string>(),
             std::string("urn:canary:problem:not-found"));

    reply = m_http->send(predictCall("fb", 1));
    QCOMPARE(reply.status, 200);
    const auto id = reply.json().at("request_id").get<std::string>();
    const QByteArray body =
        QByteArray::fromStdString(json{{"request_id", id}, {"label", 1}}.dump());
    reply = m_http->send({"POST", QStringLiteral("/v1/feedback"), body, kJson});
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.json().at("request_id").get<std::string>(), id);
    reply = m_http->send({"POST", QStringLiteral("/v1/feedback"), body, kJson});
    QCOMPARE(reply.status, 409);
    QCOMPARE(reply.json().at("type").get<std::string>(),
             std::string("urn:canary:problem:conflict"));

    for (const char *bad : {R"({"request_id": 5, "label": 1})", R"({"label": 1})",
                            R"({"request_id": "x", "label": [1]})",
                            R"({"request_id": "x", "label": 1, "extra": 0})"}) {
        reply = m_http->send({"POST", QStringLiteral("/v1/feedback"), bad, kJson});
        QVERIFY2(reply.status == 400, bad);
    }
}

void TestGatewayDataPlane::badPredictRequests_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<int>("status");
    QTest::newRow("not-json") << QByteArray("{") << QByteArray("application/json") << 400;
    QTest::newRow("array") << QByteArray("[]") << QByteArray("application/json") << 400;
    QTest::newRow("key-number") << QByteArray(R"({"key": 5})") << QByteArray("application/json")
                                << 400;
    QTest::newRow("label-object") << QByteArray(R"({"label": {}})")
                                  << QByteArray("application/json") << 400;
    QTest::newRow("unknown") << QByteArray(R"({"user": "a"})") << QByteArray("application/json")
                             << 400;
    QTest::newRow("text") << QByteArray(R"({"key": "a"})") << QByteArray("text/plain") << 415;
}

void TestGatewayDataPlane::badPredictRequests()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    QFETCH(int, status);
    const auto reply = m_http->send(
        {"POST", QStringLiteral("/v1/predict"), body, {{"Content-Type", contentType}}});
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.header("Content-Type"), QByteArray("application/problem+json"));
}

void TestGatewayDataPlane::failingVariantGives503()
{
    auto config = accurateConfig();
    config["canary"]["simulate"]["error_rate"] = 1.0;
    config["canary"]["weight"] = 100;
    auto gateway = startWith(config);
    QVERIFY(gateway);
    HttpClient http(gateway->url());
    for (int i = 0; i < 5; ++i) {
        const auto reply = http.send(predictCall("f" + QByteArray::number(i), 1));
        QCOMPARE(reply.status, 503);
        QCOMPARE(reply.header("X-Canary-Variant"), QByteArray("canary"));
        QCOMPARE(reply.header("Content-Type"), QByteArray("application/problem+json"));
        QCOMPARE(reply.json().at("type").get<std::string>(),
                 std::string("urn:canary:problem:variant-failed"));
    }
    const auto text = http.get(QStringLiteral("/metrics")).body;
    QCOMPARE(metricValue(text, R"(canary_request_errors_total{variant="canary",version="1.1"})"),
             5.0);
    QCOMPARE(metricValue(text, R"(canary_requests_total{variant="canary",version="1.1"})"), 5.0);
}

void TestGatewayDataPlane::upstreamProxy()
{
    // A second gateway whose production proxies to the first one's /v1/predict, and whose canary
    // points at a port nobody listens on.
    auto config = accurateConfig();
    config["production"].erase("simulate");
    config["production"]["upstream"] = m_gateway->url().toString().toStdString() + "/v1/predict";
    config["production"]["timeout_ms"] = 2000;
    config["canary"].erase("simulate");
    config["canary"]["upstream"] = "http://127.0.0.1:1/v1/predict";
    config["canary"]["weight"] = 0;
    auto proxy = startWith(config);
    QVERIFY(proxy);
    HttpClient http(proxy->url());
    auto reply = http.send(predictCall("up", 1));
    QCOMPARE(reply.status, 200);
    auto body = reply.json();
    QCOMPARE(body.at("variant").get<std::string>(), std::string("production"));
    // The upstream's whole answer becomes the prediction.
    QVERIFY(body.at("prediction").is_object());
    QVERIFY(body.at("prediction").contains("request_id"));

    QCOMPARE(http.send({"PUT",
                        QStringLiteral("/v1/rollout/weights"),
                        R"({"canary": 100})",
                        {{"Authorization", "Bearer " + proxy->token()},
                         {"If-Match", "*"},
                         {"Content-Type", "application/json"}}})
                 .status,
             200);
    reply = http.send(predictCall("up", 1));
    QCOMPARE(reply.status, 502);
    QCOMPARE(reply.header("X-Canary-Variant"), QByteArray("canary"));
    QCOMPARE(reply.json().at("type").get<std::string>(),
             std::string("urn:canary:problem:upstream-failed"));
    const auto text = http.get(QStringLiteral("/metrics")).body;
    QCOMPARE(metricValue(text, R"(canary_request_errors_total{variant="canary",version="1.1"})"),
             1.0);
}

namespace {

QByteArray nestedArrays(int depth)
{
    return QByteArray(depth, '[') + QByteArray(depth, ']');
}

} // namespace

void TestGatewayDataPlane::deeplyNestedRequestGives400_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    // 20,000 levels are 40 KB, well under the 64 KB body limit, and used to overflow the stack.
    QTest::newRow("predict-inputs")
        << QStringLiteral("/v1/predict")
        << QByteArray(R"({"key": "deep", "inputs": )") + nestedArrays(20'000) + "}";
    QTest::newRow("predict-objects")
        << QStringLiteral("/v1/predict")
        << QByteArray(R"({"inputs": )") + QByteArray("{\"a\":").repeated(8'000) + "1" +
               QByteArray(8'000, '}') + "}";
    QTest::newRow("feedback-label")
        << QStringLiteral("/v1/feedback")
        << QByteArray(R"({"request_id": "x", "label": )") + nestedArrays(20'000) + "}";
    QTest::newRow("unclosed") << QStringLiteral("/v1/predict") << QByteArray(60'000, '[');
}

void TestGatewayDataPlane::deeplyNestedRequestGives400()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QVERIFY(body.size() < 64 * 1024);
    const auto reply = m_http->send({"POST", path, body, kJson});
    QCOMPARE(reply.status, 400);
    QCOMPARE(reply.header("Content-Type"), QByteArray("application/problem+json"));
    const auto problem = reply.json();
    QCOMPARE(problem.at("type").get<std::string>(),
             std::string("urn:canary:problem:malformed-request"));
    const auto detail = problem.at("detail").get<std::string>();
    QVERIFY2(detail.find("JSON nested deeper than 64 levels at byte ") != std::string::npos,
             detail.c_str());
    // Still serving.
    QVERIFY(m_gateway->isRunning());
    QCOMPARE(m_http->send(predictCall("after-deep", 1)).status, 200);
}

void TestGatewayDataPlane::deeplyNestedUpstreamAnswerGives502()
{
    // A hostile model server: 100,000 nested arrays (200 KB, under the 1 MiB answer limit).
    ScriptedBackend upstream;
    QVERIFY(upstream.isListening());
    upstream.answer("POST", "/v1/predict", ScriptedReply::json(200, nestedArrays(100'000)));
    upstream.answer("POST", "/ok", ScriptedReply::json(200, R"({"score": 0.5})"));

    auto config = accurateConfig();
    config["production"].erase("simulate");
    config["production"]["upstream"] = upstream.url() + "/v1/predict";
    config["canary"].erase("simulate");
    config["canary"]["upstream"] = upstream.url() + "/ok";
    config["canary"]["weight"] = 0;
    auto proxy = startWith(config);
    QVERIFY(proxy);
    HttpClient http(proxy->url());

    for (int i = 0; i < 3; ++i) {
        const auto reply = http.send(predictCall("hostile" + QByteArray::number(i), 1));
        QCOMPARE(reply.status, 502);
        QCOMPARE(reply.header("X-Canary-Variant"), QByteArray("production"));
        QCOMPARE(reply.header("Content-Type"), QByteArray("application/problem+json"));
        const auto problem = reply.json();
        QCOMPARE(problem.at("type").get<std::string>(),
                 std::string("urn:canary:problem:upstream-failed"));
        const auto detail = problem.at("detail").get<std::string>();
        QVERIFY2(detail.find("is not usable JSON (JSON nested deeper than 64 levels at byte 65") !=
                     std::string::npos,
                 detail.c_str());
    }
    QCOMPARE(upstream.requests("/v1/predict"), 3);
    QVERIFY(proxy->isRunning());

    // The gateway still serves: the canary's well-formed upstream answers through it.
    QCOMPARE(http.send({"PUT",
                        QStringLiteral("/v1/rollout/weights"),
                        R"({"canary": 100})",
                        {{"Authorization", "Bearer " + proxy->token()},
                         {"If-Match", "*"},
                         {"Content-Type", "application/json"}}})
                 .status,
             200);
    const auto reply = http.send(predictCall("fine", 1));
    QCOMPARE(reply.status, 200);
    QVERIFY(sameJson(reply.json().at("prediction"), json{{"score", 0.5}}));
    const auto text = http.get(QStringLiteral("/metrics")).body;
    QCOMPARE(
        metricValue(text, R"(canary_request_errors_total{variant="production",version="1.0"})"),
        3.0);
}

void TestGatewayDataPlane::badConfigExitsWith2_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("number-overflow")
        << QByteArray(R"({"production": {"model": "m", "version": "1", )"
                      R"("simulate": {"latency_p50_ms": 1e999}}})")
        << QByteArray("production.simulate.latency_p50_ms: JSON number 1e999 is too large to "
                      "represent (line 1, column 78)");
    QTest::newRow("duplicate-key")
        << QByteArray("{\"production\": {\"model\": \"m\", \"version\": \"1\"},\n"
                      " \"seed\": 1,\n \"seed\": 2}")
        << QByteArray(
               "seed: JSON key \"seed\" appears twice in the same object (line 3, column 7)");
    QTest::newRow("nested-deep") << QByteArray(R"({"production": )") + nestedArrays(100'000) + "}"
                                 << QByteArray("JSON nested deeper than 64 levels");
    QTest::newRow("not-an-object")
        << QByteArray("[]") << QByteArray("(document): must be a JSON object");
}

void TestGatewayDataPlane::badConfigExitsWith2()
{
    QFETCH(QByteArray, config);
    QFETCH(QByteArray, message);
    const QString path = m_dir.filePath(QStringLiteral("bad-config.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(config);
    file.close();

    QProcess process;
    process.start(GatewayProcess::binaryPath(),
                  {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                   QStringLiteral("--config"), path});
    QVERIFY(process.waitForFinished(10'000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit); // not aborted by an exception
    QCOMPARE(process.exitCode(), 2);
    const QByteArray stderrText = process.readAllStandardError();
    QVERIFY2(stderrText.startsWith("canary-gateway: " + path.toUtf8() + ":"),
             stderrText.constData());
    QVERIFY2(stderrText.contains(message), stderrText.constData());
    QVERIFY(process.readAllStandardOutput().isEmpty());
}

QTEST_GUILESS_MAIN(TestGatewayDataPlane)
#include "tst_gateway_dataplane.moc"
