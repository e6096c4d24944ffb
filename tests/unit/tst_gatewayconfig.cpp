#include "gatewayconfig.h"

#include <QTest>

using namespace canary;
using namespace canary::gateway;

namespace {

const char *kFullConfig =
    "{\n"
    "  \"seed\": 7,\n"
    "  \"routing_salt\": \"salt\",\n"
    "  \"production\": {\"model\": \"fraud-model\", \"version\": \"2.3.0\",\n"
    "                 \"simulate\": {\"latency_p50_ms\": 40, \"latency_p99_ms\": 120,\n"
    "                              \"error_rate\": 0.005, \"accuracy\": 0.92}},\n"
    "  \"canary\": {\"model\": \"fraud-model\", \"version\": \"2.4.0\", \"weight\": 12.5,\n"
    "             \"upstream\": \"http://127.0.0.1:9000/v1/predict\", \"timeout_ms\": 1500},\n"
    "  \"scenario\": [{\"at_s\": 120, \"variant\": \"canary\", \"simulate\": {\"latency_p99_ms\": "
    "400}}],\n"
    "  \"feedback\": {\"capacity\": 1000, \"ttl_s\": 60},\n"
    "  \"load\": {\"rps\": 50, \"labelled_share\": 0.5, \"feedback_delay_ms\": 100}\n"
    "}";

} // namespace

class TestGatewayConfig final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void validConfigParses();
    void minimalConfigUsesDefaults();
    void badConfigs_data();
    void badConfigs();
    void missingFile();
    void upstreamUrls_data();
    void upstreamUrls();
    void slowTailIsParsed();
    void overrideKeepsPercentilesOrdered();
};

void TestGatewayConfig::validConfigParses()
{
    std::string error;
    auto config = parseGatewayConfig(kFullConfig, "full.json", &error);
    QVERIFY2(config, error.c_str());
    QCOMPARE(config->seed, std::uint64_t(7));
    QCOMPARE(config->routingSalt, std::string("salt"));
    QCOMPARE(config->production.version, std::string("2.3.0"));
    QCOMPARE(config->production.simulate.latencyP99Ms, 120.0);
    QCOMPARE(config->production.simulate.accuracy, 0.92);
    QVERIFY(!config->production.upstream);
    QVERIFY(config->canary);
    QCOMPARE(config->canaryWeight.tenths(), 125);
    QVERIFY(config->canary->upstream);
    QCOMPARE(config->canary->upstream->host, std::string("127.0.0.1"));
    QCOMPARE(config->canary->upstream->port, std::uint16_t(9000));
    QCOMPARE(config->canary->upstream->path, std::string("/v1/predict"));
    QCOMPARE(config->canary->timeoutMs, 1500);
    QCOMPARE(config->scenario.size(), std::size_t(1));
    QCOMPARE(config->scenario[0].atS, 120.0);
    QVERIFY(config->scenario[0].variant == VariantRole::Canary);
    QCOMPARE(*config->scenario[0].simulate.latencyP99Ms, 400.0);
    QVERIFY(!config->scenario[0].simulate.latencyP50Ms);
    QCOMPARE(config->feedback.capacity, std::size_t(1000));
    QCOMPARE(config->feedback.ttlS, 60);
    QCOMPARE(config->load.rps, 50.0);
    QCOMPARE(config->load.labelledShare, 0.5);
    QCOMPARE(config->load.feedbackDelayMs, 100);
}

void TestGatewayConfig::minimalConfigUsesDefaults()
{
    std::string error;
    auto config = parseGatewayConfig(
        R"({"production": {"model": "m", "version": "1"}, "canary": {"model": "m", "version": "2"}})",
        "min.json", &error);
    QVERIFY2(config, error.c_str());
    QVERIFY(config->production.simulate == SimulateParams{});
    QCOMPARE(config->production.simulate.slowShare, 0.0);
    QCOMPARE(config->production.simulate.slowFactor, 1.0);
    QVERIFY(config->canary);
    QVERIFY(config->canaryWeight.isZero());
    QCOMPARE(config->feedback.capacity, std::size_t(100'000));
}

void TestGatewayConfig::badConfigs_data()
{
    QTest::addColumn<QString>("document");
    QTest::addColumn<QString>("message");

    QTest::newRow("not-json") << "{\"production\": "
                              << "bad.json:production: JSON syntax error: unexpected end of input";
    QTest::newRow("trailing-garbage")
        << "{\"production\": {\"model\": \"m\", \"version\": \"1\"}} x"
        << "bad.json: JSON syntax error";
    // nlohmann_json throws out_of_range for these while parsing; they must be plain errors.
    QTest::newRow("p50-overflows-double")
        << "{\"production\": {\"model\": \"m\", \"version\": \"1\",\n"
           "  \"simulate\": {\"latency_p50_ms\": 1e999}}}"
        << "bad.json:production.simulate.latency_p50_ms: JSON number 1e999 is too large to "
           "represent (line 2, column 34)";
    QTest::newRow("rps-overflows-double")
        << R"({"production": {"model": "m", "version": "1"}, "load": {"rps": -1e400}})"
        << "bad.json:load.rps: JSON number -1e400 is too large to represent (line 1, column 64)";
    QTest::newRow("weight-overflows-double")
        << R"({"production": {"model": "m", "version": "1"},
              "canary": {"model": "m", "version": "2", "weight": 1e309}})"
        << "bad.json:canary.weight: JSON number 1e309 is too large";
    // "last wins" would hide the first copy from every check.
    QTest::newRow("duplicate-top-level")
        << "{\"production\": {\"model\": \"m\", \"version\": \"1\"},\n"
           " \"production\": {\"model\": \"m\", \"version\": \"2\"}}"
        << "bad.json:production: JSON key \"production\" appears twice in the same object "
           "(line 2, column 13)";
    QTest::newRow("duplicate-nested")
        << R"({"production": {"model": "m", "version": "1", "simulate": {"accuracy": 0.9, "accuracy": 0.2}}})"
        << "bad.json:production.simulate.accuracy: JSON key \"accuracy\" appears twice";
    QTest::newRow("duplicate-in-scenario")
        << R"({"production": {"model": "m", "version": "1"}, "scenario": [{"at_s": 1}, {"at_s": 1, "at_s": 2}]})"
        << "bad.json:scenario[1].at_s: JSON key \"at_s\" appears twice";
    QTest::newRow("nested-too-deep")
        << QString::fromStdString(R"({"production": {"model": "m", "version": "1"}, "scenario": )" +
                                  std::string(100, '[') + std::string(100, ']') + "}")
        << QStringLiteral("bad.json:scenario") + QStringLiteral("[0]").repeated(63) +
               QStringLiteral(": JSON nested deeper than 64 levels (line 1, column 123)");
    QTest::newRow("not-object") << "[1]"
                                << "bad.json:(document): must be a JSON object";
    QTest::newRow("no-production") << "{}"
                                   << "bad.json:production: is required";
    QTest::newRow("unknown-top") << R"({"prodution": {}})"
                                 << "bad.json:prodution: unknown field";
    QTest::newRow("unknown-variant-field")
        << R"({"production": {"model": "m", "version": "1", "wieght": 3}})"
        << "bad.json:production.wieght: unknown field";
    QTest::newRow("weight-on-production")
        << R"({"production": {"model": "m", "version": "1", "weight": 3}})"
        << "bad.json:production.weight: unknown field";
    QTest::newRow("model-missing") << R"({"production": {"version": "1"}})"
                                   << "bad.json:production.model: is required";
    QTest::newRow("model-type") << R"({"production": {"model": 5, "version": "1"}})"
                                << "bad.json:production.model: must be a string";
    QTest::newRow("model-empty") << R"({"production": {"model": "", "version": "1"}})"
                                 << "bad.json:production.model: must be 1 to 128";
    QTest::newRow("version-control-char")
        << "{\"production\": {\"model\": \"m\", \"version\": \"1\\n\"}}"
        << "bad.json:production.version: must contain printable";
    QTest::newRow("p50-negative")
        << R"({"production": {"model": "m", "version": "1", "simulate": {"latency_p50_ms": -1}}})"
        << "bad.json:production.simulate.latency_p50_ms: must be between";
    QTest::newRow("p99-below-p50")
        << R"({"production": {"model": "m", "version": "1", "simulate": {"latency_p50_ms": 50, "latency_p99_ms": 10}}})"
        << "bad.json:production.simulate.latency_p99_ms: must not be below latency_p50_ms";
    QTest::newRow("error-rate-over-1")
        << R"({"production": {"model": "m", "version": "1", "simulate": {"error_rate": 1.5}}})"
        << "bad.json:production.simulate.error_rate: must be between 0 and 1";
    QTest::newRow("slow-share-over-1")
        << R"({"production": {"model": "m", "version": "1", "simulate": {"slow_share": 2}}})"
        << "bad.json:production.simulate.slow_share: must be between 0 and 1";
    QTest::newRow("slow-factor-below-1")
        << R"({"production": {"model": "m", "version": "1", "simulate": {"slow_factor": 0.5}}})"
        << "bad.json:production.simulate.slow_factor: must be between 1 and 1000";
    QTest::newRow("accuracy-string")
        << R"({"production": {"model": "m", "version": "1", "simulate": {"accuracy": "high"}}})"
        << "bad.json:production.simulate.accuracy: must be a number";
    QTest::newRow("simulate-and-upstream")
        << "{\"production\": {\"model\": \"m\", \"version\": \"1\", \"simulate\": {}, "
           "\"upstream\": \"http://h/\"}}"
        << "bad.json:production: give either simulate or upstream";
    QTest::newRow("https-upstream")
        << "{\"production\": {\"model\": \"m\", \"version\": \"1\", \"upstream\": \"https://h/\"}}"
        << "bad.json:production.upstream: must be an http:// URL";
    QTest::newRow("timeout-zero")
        << R"({"production": {"model": "m", "version": "1", "timeout_ms": 0}})"
        << "bad.json:production.timeout_ms: must be between 1 and 600000";
    QTest::newRow("timeout-fraction")
        << R"({"production": {"model": "m", "version": "1", "timeout_ms": 1.5}})"
        << "bad.json:production.timeout_ms: must be an integer";
    QTest::newRow("weight-too-fine")
        << R"({"production": {"model": "m", "version": "1"}, "canary": {"model": "m", "version": "2", "weight": 12.55}})"
        << "bad.json:canary.weight: weight 12.55 has a finer resolution";
    QTest::newRow("weight-over")
        << R"({"production": {"model": "m", "version": "1"}, "canary": {"model": "m", "version": "2", "weight": 101}})"
        << "bad.json:canary.weight: weight 101 is outside";
    QTest::newRow("scenario-not-array")
        << R"({"production": {"model": "m", "version": "1"}, "scenario": {}})"
        << "bad.json:scenario: must be an array";
    QTest::newRow("scenario-variant")
        << R"({"production": {"model": "m", "version": "1"}, "scenario": [{"at_s": 1, "variant": "shadow", "simulate": {}}]})"
        << "bad.json:scenario[0].variant: must be \"production\" or \"canary\"";
    QTest::newRow("scenario-missing-at")
        << R"({"production": {"model": "m", "version": "1"}, "scenario": [{"variant": "canary", "simulate": {}}]})"
        << "bad.json:scenario[0].at_s: is required";
    QTest::newRow("feedback-capacity")
        << R"({"production": {"model": "m", "version": "1"}, "feedback": {"capacity": 0}})"
        << "bad.json:feedback.capacity: must be between 1";
    QTest::newRow("load-share")
        << R"({"production": {"model": "m", "version": "1"}, "load": {"labelled_share": 2}})"
        << "bad.json:load.labelled_share: must be between 0 and 1";
    QTest::newRow("load-unknown")
        << R"({"production": {"model": "m", "version": "1"}, "load": {"rate": 2}})"
        << "bad.json:load.rate: unknown field";
    QTest::newRow("seed-string")
        << R"({"seed": "42", "production": {"model": "m", "version": "1"}})"
        << "bad.json:seed: must be an integer";
}

void TestGatewayConfig::badConfigs()
{
    QFETCH(QString, document);
    QFETCH(QString, message);
    std::string error;
    auto config = parseGatewayConfig(document.toStdString(), "bad.json", &error);
    QVERIFY(!config);
    QVERIFY2(QString::fromStdString(error).startsWith(message), error.c_str());
}

void TestGatewayConfig::missingFile()
{
    std::string error;
    QVERIFY(!loadGatewayConfigFile("/nonexistent/gateway.json", &error));
    QCOMPARE(error, std::string("/nonexistent/gateway.json: cannot be opened for reading"));
}

void TestGatewayConfig::upstreamUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("path");

    QTest::newRow("full") << "http://model:8501/v1/models/m:predict" << true << "model" << 8501
                          << "/v1/models/m:predict";
    QTest::newRow("default-port") << "http://example" << true << "example" << 80 << "/";
    QTest::newRow("ipv6") << "http://[::1]:9000/p" << true << "::1" << 9000 << "/p";
    QTest::newRow("no-host") << "http://:80/" << false << "" << 0 << "";
    QTest::newRow("bad-port") << "http://h:99999/" << false << "" << 0 << "";
    QTest::newRow("port-zero") << "http://h:0/" << false << "" << 0 << "";
    QTest::newRow("space") << "http://h/a b" << false << "" << 0 << "";
    QTest::newRow("userinfo") << "http://u:p@h/" << false << "" << 0 << "";
    QTest::newRow("ftp") << "ftp://h/" << false << "" << 0 << "";
}

void TestGatewayConfig::upstreamUrls()
{
    QFETCH(QString, url);
    QFETCH(bool, valid);
    std::string error;
    auto parsed = parseUpstreamUrl(url.toStdString(), &error);
    QCOMPARE(bool(parsed), valid);
    if (!valid) {
        QVERIFY(!error.empty());
        return;
    }
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, path);
    QCOMPARE(QString::fromStdString(parsed->host), host);
    QCOMPARE(int(parsed->port), port);
    QCOMPARE(QString::fromStdString(parsed->path), path);
}

void TestGatewayConfig::slowTailIsParsed()
{
    std::string error;
    auto config = parseGatewayConfig(
        R"({"production": {"model": "m", "version": "1",
                           "simulate": {"slow_share": 0.02, "slow_factor": 3}},
            "scenario": [{"at_s": 5, "variant": "canary", "simulate": {"slow_share": 0.1}}]})",
        "slow.json", &error);
    QVERIFY2(config, error.c_str());
    QCOMPARE(config->production.simulate.slowShare, 0.02);
    QCOMPARE(config->production.simulate.slowFactor, 3.0);
    QCOMPARE(*config->scenario[0].simulate.slowShare, 0.1);
    QVERIFY(!config->scenario[0].simulate.slowFactor);
    QCOMPARE(config->scenario[0].simulate.applyTo(config->production.simulate).slowShare, 0.1);
}

void TestGatewayConfig::overrideKeepsPercentilesOrdered()
{
    SimulateOverride o;
    o.latencyP50Ms = 500;
    const auto p = o.applyTo(SimulateParams{});
    QCOMPARE(p.latencyP50Ms, 500.0);
    QVERIFY(p.latencyP99Ms >= p.latencyP50Ms);
}

QTEST_APPLESS_MAIN(TestGatewayConfig)
#include "tst_gatewayconfig.moc"
