// canaryctl simulate's library: scenarios, traffic in virtual time, the simulated backend, the
// baselines and the project's plan controller run on them.
#include "baselines.h"
#include "ourpolicy.h"
#include "random.h"
#include "simulatecommand.h"
#include "simulatedbackend.h"
#include "simulatedmodel.h"
#include "simulatedtraffic.h"
#include "simulationscenario.h"
#include "simulator.h"
#include "util/clock.h"
#include "util/scheduler.h"

#include <QObject>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace canary;
using namespace canary::simulation;

namespace {

SimulationScenario scenarioFrom(const std::string &text)
{
    std::string error;
    auto scenario = parseScenario(text, "test.json", &error);
    if (!scenario)
        qFatal("%s", error.c_str());
    return *scenario;
}

// Five minutes at 10 % of 100 req/s; errors 1 % in production and `canaryErrors` in the canary.
SimulationScenario shortScenario(double canaryErrors, bool regression)
{
    return scenarioFrom(R"({"duration_s": 300, "requests_per_second": 100, "canary_weight": 10,
        "production": {"error_rate": 0.01},
        "canary": {"error_rate": )" +
                        std::to_string(canaryErrors) + R"(},
        "labels": {"share": 0.3, "delay_s": [5, 20]})" +
                        (regression ? R"(, "regression": {"from_s": 0}})" : "}"));
}

nlohmann::json withoutTiming(const SimulationReport &report)
{
    auto json = toJson(report);
    json.erase("elapsed_s");
    json.erase("runs_per_second");
    return json;
}

} // namespace

class TestSimulation final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sameSeedSameResults();
    void differentSeedDifferentTraffic();
    void healthyCanaryRarelyRolledBack();
    void strongRegressionDetectedByOurs();
    void slowTailDraw();
    void slowTailAbsentDrawsAsBefore();
    void backendWindowsAndWeights();
    void labelsArriveLate();
    void tunedThreshold();
    void scenarioValidation_data();
    void scenarioValidation();
    void unknownPolicyRefused();
    void commandReportsAndRefuses();
};

void TestSimulation::sameSeedSameResults()
{
    const auto scenario = shortScenario(0.03, true);
    SimulationOptions options;
    options.runs = 4;
    options.seed = 7;
    options.policies = {"ours", "oracle", "flagger-1", "kayenta"};
    std::string error;
    const auto first = simulate(scenario, options, &error);
    QVERIFY2(first, error.c_str());
    const auto second = simulate(scenario, options, &error);
    QVERIFY2(second, error.c_str());
    QCOMPARE(withoutTiming(*first).dump(), withoutTiming(*second).dump());
    options.seed = 8;
    const auto other = simulate(scenario, options, &error);
    QVERIFY2(other, error.c_str());
    QVERIFY(withoutTiming(*first).dump() != withoutTiming(*other).dump());
}

void TestSimulation::differentSeedDifferentTraffic()
{
    const auto scenario = shortScenario(0.01, false);
    auto canaryRequests = [&](std::uint64_t seed) {
        SimulatedTraffic traffic(scenario, seed);
        std::vector<std::int64_t> perSecond;
        for (int s = 0; s < 60; ++s) {
            traffic.generateSecond(Weight::fromTenths(100));
            perSecond.push_back(traffic.totals(VariantRole::Canary, s, s + 1).requests);
        }
        return perSecond;
    };
    QCOMPARE(canaryRequests(runSeed(1, 0)), canaryRequests(runSeed(1, 0)));
    QVERIFY(canaryRequests(runSeed(1, 0)) != canaryRequests(runSeed(1, 1)));
    QVERIFY(canaryRequests(runSeed(1, 0)) != canaryRequests(runSeed(2, 0)));

    // About 10 % of 100 req/s, Poisson: 600 expected in a minute.
    const auto counts = canaryRequests(runSeed(3, 0));
    std::int64_t total = 0;
    for (auto c : counts)
        total += c;
    QVERIFY2(total > 480 && total < 720, qPrintable(QString::number(total)));
}

void TestSimulation::healthyCanaryRarelyRolledBack()
{
    // Ten minutes, A/A: the family-wise alpha is 5 %, so 5 false rollbacks in 20 runs would
    // happen with probability 0.3 % if the gates held it; more means they do not.
    auto scenario = shortScenario(0.01, false);
    scenario.steps = {{Weight::fromTenths(100), 600}};
    SimulationOptions options;
    options.runs = 20;
    options.policies = {"ours", "oracle"};
    std::string error;
    const auto report = simulate(scenario, options, &error);
    QVERIFY2(report, error.c_str());
    const auto &ours = report->policies[0];
    QCOMPARE(QString::fromStdString(ours.name), QStringLiteral("ours"));
    QVERIFY2(ours.falseRollbacks < 5, qPrintable(QString::number(ours.falseRollbacks)));
    QCOMPARE(ours.promotions + ours.rollbacks + ours.undecided, 20);
    QVERIFY(ours.promotions >= 15);
    QVERIFY(ours.timeToPromotionS);
    QVERIFY(std::abs(ours.timeToPromotionS->median - 600) <= 5);
    QVERIFY(!ours.detectionRate);
    QVERIFY(report->policies[1].falseRollbacks < 5);
}

void TestSimulation::strongRegressionDetectedByOurs()
{
    // 1 % -> 10 % errors: every run rolls back, within seconds, long before the bake ends.
    const auto scenario = shortScenario(0.10, true);
    SimulationOptions options;
    options.runs = 8;
    options.policies = {"ours", "flagger-5"};
    std::string error;
    const auto report = simulate(scenario, options, &error);
    QVERIFY2(report, error.c_str());
    const auto &ours = report->policies[0];
    QCOMPARE(*ours.detectionRate, 1.0);
    QVERIFY2(ours.timeToRollbackS->p90 < 90,
             qPrintable(QString::number(ours.timeToRollbackS->p90)));
    QVERIFY(ours.canaryRequestsToRollback->median > 0);
    QVERIFY(ours.rollbacksBy.count("errors") == 1);
    // Flagger with a threshold of 5 fails a check every 60 s: the fifth is at 300 s exactly.
    QCOMPARE(*report->policies[1].detectionRate, 1.0);
    QCOMPARE(report->policies[1].timeToRollbackS->median, 300.0);
    QCOMPARE(report->policies[1].timeToRollbackS->p90, 300.0);
}

void TestSimulation::slowTailDraw()
{
    gateway::SimulateParams body;
    gateway::SimulateParams tail = body;
    tail.slowShare = 0.02;
    tail.slowFactor = 3;
    gateway::Random a(11), b(11);
    const int n = 200'000;
    std::vector<double> bodyMs, tailMs;
    for (int i = 0; i < n; ++i) {
        bodyMs.push_back(double(gateway::SimulatedModel::drawLatency(body, a).count()) / 1000);
        tailMs.push_back(double(gateway::SimulatedModel::drawLatency(tail, b).count()) / 1000);
    }
    std::sort(bodyMs.begin(), bodyMs.end());
    std::sort(tailMs.begin(), tailMs.end());
    // The median barely moves (2 % slower moves it by about 2.5 % of a quantile step).
    QVERIFY(std::abs(tailMs[n / 2] / bodyMs[n / 2] - 1) < 0.03);
    // Above production's p99 (120 ms): 1 % of the body, 0.98 % + 2 % x P(body > 40 ms) = 1.98 %.
    const auto above = [&](const std::vector<double> &v, double ms) {
        return double(v.end() - std::upper_bound(v.begin(), v.end(), ms)) / double(v.size());
    };
    QVERIFY(std::abs(above(bodyMs, 120) - 0.01) < 0.001);
    QVERIFY(std::abs(above(tailMs, 120) - 0.0198) < 0.0015);
    // The oracle's closed form agrees with the draws.
    QVERIFY(std::abs(OraclePolicy::probabilityAbove(tail, 0.120) - above(tailMs, 120)) < 0.0015);
    QVERIFY(std::abs(OraclePolicy::probabilityAbove(body, 0.120) - 0.01) < 1e-6);
}

void TestSimulation::slowTailAbsentDrawsAsBefore()
{
    // Without a slow share no extra number is drawn: a seed gives the latencies it always gave.
    const gateway::SimulateParams params;
    gateway::Random model(5), reference(5);
    const double sigma =
        std::log(params.latencyP99Ms / params.latencyP50Ms) / gateway::SimulatedModel::kZ99;
    for (int i = 0; i < 1000; ++i) {
        const double ms = std::exp(std::log(params.latencyP50Ms) + sigma * reference.normal());
        QCOMPARE(gateway::SimulatedModel::drawLatency(params, model).count(),
                 std::llround(ms * 1000));
    }
}

void TestSimulation::backendWindowsAndWeights()
{
    const auto scenario = shortScenario(0.01, false);
    ManualClock clock;
    ManualScheduler scheduler(clock);
    SimulatedBackend backend(scenario, 42, scheduler);
    QObject context;
    int answers = 0;
    backend.controlPlane()->setCanaryWeight(Weight::fromTenths(500), 0, &context,
                                            [&](ControlResult r) {
                                                QVERIFY(!r.error);
                                                QCOMPARE(r.state->canaryWeight().tenths(), 500);
                                                ++answers;
                                            });
    QCOMPARE(answers, 0); // answered from the scheduler, not inside the call
    scheduler.advance(std::chrono::milliseconds(0));
    QCOMPARE(answers, 1);

    scheduler.advance(std::chrono::seconds(10));
    const auto reading = backend.reading({std::chrono::seconds(10), std::chrono::seconds(3)});
    QVERIFY(reading.ok());
    QCOMPARE(reading.windows.size(), std::size_t(2));
    const auto &window = *reading.windows[0];
    QVERIFY(window.valid());
    QCOMPARE(window.seconds(), 10.0);
    QCOMPARE(reading.windows[1]->seconds(), 3.0);
    const auto &canary = window.kpis.canary;
    const auto &production = window.kpis.production;
    const auto totals = backend.traffic().totals(VariantRole::Canary, 0, 10);
    QCOMPARE(canary.requestsInWindow, double(totals.requests));
    QCOMPARE(canary.errorsInWindow, double(totals.errors));
    // Half the traffic each at 50 %: about 500 requests each over 10 s.
    QVERIFY(canary.requestsInWindow > 400 && canary.requestsInWindow < 600);
    QVERIFY(production.requestsInWindow > 400 && production.requestsInWindow < 600);
    QCOMPARE(canary.weightPercent, 50.0);
    QVERIFY(std::isinf(canary.latencyBuckets.back().upperBound));
    QCOMPARE(canary.latencyBuckets.back().cumulativeCount, canary.requestsInWindow);
    QVERIFY(canary.p50Seconds > 0.03 && canary.p50Seconds < 0.05);

    // A rollback takes effect from the next whole second: the canary gets nothing after it.
    backend.controlPlane()->rollback(0, &context, [&](ControlResult r) {
        // value_or, not ->: GCC 12 at -O3 misreads the optional as maybe uninitialised.
        QVERIFY(r.state.has_value() &&
                r.state.value_or(RolloutState{}).phase == RolloutPhase::RolledBack);
        ++answers;
    });
    scheduler.advance(std::chrono::seconds(5));
    QCOMPARE(answers, 2);
    QCOMPARE(*backend.rolledBackAtS(), 10.0);
    QCOMPARE(backend.traffic().totals(VariantRole::Canary, 10, 15).requests, std::int64_t(0));
    // A changed rollout refuses a second change with a Conflict.
    backend.controlPlane()->promote(0, &context, [&](ControlResult r) {
        QVERIFY(r.error.kind == ControlError::Kind::Conflict);
        ++answers;
    });
    scheduler.advance(std::chrono::milliseconds(0));
    QCOMPARE(answers, 3);
}

void TestSimulation::labelsArriveLate()
{
    // Every request labelled, 30-40 s late: no label in the first 30 s, then about one per request.
    auto scenario = scenarioFrom(R"({"duration_s": 120, "requests_per_second": 50,
        "canary_weight": 50, "labels": {"share": 1, "delay_s": [30, 40]}})");
    SimulatedTraffic traffic(scenario, 9);
    for (int s = 0; s < 120; ++s)
        traffic.generateSecond(Weight::fromTenths(500));
    QCOMPARE(traffic.totals(VariantRole::Canary, 0, 30).labelled, std::int64_t(0));
    const auto early = traffic.totals(VariantRole::Canary, 0, 20).requests;
    const auto arrived = traffic.totals(VariantRole::Canary, 50, 120).labelled;
    QVERIFY(arrived > 0);
    QVERIFY(early > 0);
    // Labels of requests 10..80 s arrive in 50..120 s, give or take the delay's spread.
    const auto requests = traffic.totals(VariantRole::Canary, 10, 80).requests;
    QVERIFY2(std::abs(double(arrived - requests)) < 0.15 * double(requests),
             qPrintable(QStringLiteral("%1 vs %2").arg(arrived).arg(requests)));
}

void TestSimulation::tunedThreshold()
{
    const double never = -std::numeric_limits<double>::infinity();
    // Four runs' checks; the 1st-lowest scores are 97, 98, 99, never; the 2nd-lowest 98, 99, 100.
    const std::vector<std::vector<double>> runs = {
        {99.5, 97, 98}, {98, 99.2, 99}, {99, 100, 99.1}, {never, 100, 100}};
    // None allowed: the lowest deciding score, so no run is below it.
    QCOMPARE(FlaggerPolicy::tunedSuccessPercent(runs, 1, 0),
             0.0); // a p99 failure cannot be tuned away
    QCOMPARE(FlaggerPolicy::tunedSuccessPercent(runs, 1, 1), 97.0);
    QCOMPARE(FlaggerPolicy::tunedSuccessPercent(runs, 1, 2), 98.0);
    QCOMPARE(FlaggerPolicy::tunedSuccessPercent(runs, 2, 0), 98.0);
    QCOMPARE(FlaggerPolicy::tunedSuccessPercent(runs, 2, 4), 100.0);
}

void TestSimulation::scenarioValidation_data()
{
    QTest::addColumn<QString>("document");
    QTest::addColumn<QString>("message");
    QTest::newRow("not-json") << "{"
                              << "test.json: ";
    QTest::newRow("unknown-field") << R"({"duraton_s": 10})"
                                   << "test.json: duraton_s: unknown field";
    QTest::newRow("canary-error-rate") << R"({"canary": {"error_rate": 2}})"
                                       << "test.json: canary.error_rate: must be between 0 and 1";
    QTest::newRow("canary-unknown") << R"({"canary": {"slow": 2}})"
                                    << "test.json: canary.slow: unknown field";
    QTest::newRow("weight-zero") << R"({"canary_weight": 0})"
                                 << "test.json: canary_weight: must be above 0 %";
    QTest::newRow("weight-and-steps")
        << R"({"canary_weight": 5, "steps": [{"weight": 5, "duration_s": 60}]})"
        << "test.json: canary_weight: give either canary_weight or steps";
    QTest::newRow("steps-not-increasing")
        << R"({"steps": [{"weight": 20, "duration_s": 60}, {"weight": 10, "duration_s": 60}]})"
        << "test.json: steps[1].weight: must be above the previous step's 20.0 %";
    QTest::newRow("step-duration-missing") << R"({"steps": [{"weight": 20}]})"
                                           << "test.json: steps[0].duration_s: is required";
    QTest::newRow("duration-fraction") << R"({"duration_s": 10.5})"
                                       << "test.json: duration_s: must be a whole number";
    QTest::newRow("delay-reversed") << R"({"labels": {"share": 0.3, "delay_s": [120, 30]}})"
                                    << "test.json: labels.delay_s[1]: must not be below";
    QTest::newRow("share-over-1") << R"({"labels": {"share": 1.5}})"
                                  << "test.json: labels.share: must be between 0 and 1";
    QTest::newRow("regression-after-end")
        << R"({"duration_s": 60, "regression": {"from_s": 90}})"
        << "test.json: regression.from_s: must be between 0 and 60";
    QTest::newRow("change-variant")
        << R"({"changes": [{"at_s": 5, "variant": "blue", "simulate": {}}]})"
        << "test.json: changes[0].variant: must be \"production\" or \"canary\"";
    QTest::newRow("change-p99")
        << R"({"changes": [{"at_s": 5, "variant": "canary", "simulate": {"latency_p50_ms": 50, "latency_p99_ms": 10}}]})"
        << "test.json: changes[0].simulate.latency_p99_ms: must not be below latency_p50_ms";
    QTest::newRow("rps-zero") << R"({"requests_per_second": 0})"
                              << "test.json: requests_per_second: must be between";
}

void TestSimulation::scenarioValidation()
{
    QFETCH(QString, document);
    QFETCH(QString, message);
    std::string error;
    QVERIFY(!parseScenario(document.toStdString(), "test.json", &error));
    QVERIFY2(QString::fromStdString(error).startsWith(message), error.c_str());
    QVERIFY2(error.back() == '.', error.c_str());
}

void TestSimulation::unknownPolicyRefused()
{
    SimulationOptions options;
    options.runs = 1;
    options.policies = {"flagger-2"};
    std::string error;
    QVERIFY(!simulate(shortScenario(0.01, false), options, &error));
    QVERIFY2(error.find("Unknown policy \"flagger-2\"") != std::string::npos, error.c_str());
}

namespace {

std::string readBack(std::FILE *file)
{
    std::rewind(file);
    std::string text;
    char buffer[4096];
    while (const auto n = std::fread(buffer, 1, sizeof buffer, file))
        text.append(buffer, n);
    return text;
}

} // namespace

void TestSimulation::commandReportsAndRefuses()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString good = dir.filePath(QStringLiteral("good.json"));
    const QString bad = dir.filePath(QStringLiteral("bad.json"));
    auto write = [](const QString &path, const char *text) {
        std::FILE *f = std::fopen(path.toLocal8Bit().constData(), "w");
        std::fputs(text, f);
        std::fclose(f);
    };
    write(good, R"({"duration_s": 120, "canary": {"error_rate": 0.2}, "regression": true})");
    write(bad, R"({"duration_s": 120, "canary": {"error_rate": 2}})");

    std::FILE *out = std::tmpfile();
    std::FILE *err = std::tmpfile();
    ctl::SimulateRequest request;
    request.scenarioFile = good;
    request.runs = QStringLiteral("3");
    request.policies = QStringLiteral("ours,oracle");
    request.json = true;
    QCOMPARE(ctl::runSimulate(request, out, err), 0);
    const auto json = nlohmann::json::parse(readBack(out));
    QCOMPARE(json["runs"].get<int>(), 3);
    QCOMPARE(json["policies"].size(), std::size_t(2));
    QCOMPARE(json["policies"][0]["name"].get<std::string>(), std::string("ours"));
    QCOMPARE(json["policies"][0]["detection_rate"].get<double>(), 1.0);
    std::fclose(out);
    std::fclose(err);

    out = std::tmpfile();
    err = std::tmpfile();
    request.scenarioFile = bad;
    QCOMPARE(ctl::runSimulate(request, out, err), 2);
    const auto message = readBack(err);
    QVERIFY2(message.find("bad.json: canary.error_rate: must be between 0 and 1") !=
                 std::string::npos,
             message.c_str());
    QVERIFY(readBack(out).empty());
    request.scenarioFile = good;
    request.runs = QStringLiteral("0");
    QCOMPARE(ctl::runSimulate(request, out, err), 2);
    std::fclose(out);
    std::fclose(err);
}

QTEST_GUILESS_MAIN(TestSimulation)
#include "tst_simulation.moc"
