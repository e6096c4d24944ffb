// The demo's scenarios: the config the console hands the gateway is one the gateway accepts, with
// the demo's models and the canary degrading when asked.
#include "demogateway.h"
#include "gatewayconfig.h"

#include <QTest>

using namespace canary;
using namespace canary::gateway;
using namespace std::chrono_literals;

class TestDemoScenario final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void names();
    void healthyRunsTheBuiltInDemo();
    void regressionIsAValidGatewayConfig_data();
    void regressionIsAValidGatewayConfig();
};

void TestDemoScenario::names()
{
    QCOMPARE(DemoGateway::scenarioFromName(QStringLiteral("regression")),
             std::optional(DemoGateway::Scenario::Regression));
    QCOMPARE(DemoGateway::scenarioFromName(QStringLiteral("healthy")),
             std::optional(DemoGateway::Scenario::Healthy));
    QVERIFY(!DemoGateway::scenarioFromName(QStringLiteral("Regression")));
    QVERIFY(!DemoGateway::scenarioFromName(QString()));
}

void TestDemoScenario::healthyRunsTheBuiltInDemo()
{
    QVERIFY(DemoGateway::configFor(DemoGateway::Scenario::Healthy, 150s).isEmpty());
}

void TestDemoScenario::regressionIsAValidGatewayConfig_data()
{
    QTest::addColumn<int>("after");
    QTest::newRow("default") << int(DemoGateway::kDefaultDegradeAfter.count());
    QTest::newRow("quick look") << 20;
    QTest::newRow("at once") << 0;
}

void TestDemoScenario::regressionIsAValidGatewayConfig()
{
    QFETCH(int, after);
    const QByteArray text =
        DemoGateway::configFor(DemoGateway::Scenario::Regression, std::chrono::seconds(after));
    std::string error;
    const auto config = parseGatewayConfig(
        std::string_view(text.constData(), std::size_t(text.size())), "demo.json", &error);
    QVERIFY2(config, error.c_str());
    // The models are the built-in demo's, so both demos start alike.
    const GatewayConfig demo = GatewayConfig::demo();
    QCOMPARE(config->production, demo.production);
    QCOMPARE(config->canary, demo.canary);
    QCOMPARE(config->canaryWeight, demo.canaryWeight);
    QCOMPARE(config->routingSalt, demo.routingSalt);
    // Then the canary degrades: more errors and a longer tail, nothing else.
    QCOMPARE(config->scenario.size(), std::size_t(1));
    const ScenarioStep &step = config->scenario.front();
    QCOMPARE(step.atS, double(after));
    QVERIFY(step.variant == VariantRole::Canary);
    const SimulateParams degraded = step.simulate.applyTo(demo.canary->simulate);
    QCOMPARE(degraded.errorRate, 0.03);
    QCOMPARE(degraded.latencyP99Ms, 320.0);
    QCOMPARE(degraded.latencyP50Ms, demo.canary->simulate.latencyP50Ms);
    QCOMPARE(degraded.accuracy, demo.canary->simulate.accuracy);
}

QTEST_APPLESS_MAIN(TestDemoScenario)
#include "tst_demoscenario.moc"
