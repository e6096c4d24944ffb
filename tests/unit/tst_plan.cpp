// Plan files: what a valid document becomes, and that every invalid one is refused with the
// offending field named. The shipped examples (docs/examples/plan-*.json) must parse.
#include "rollout/plan.h"

#include <QTest>

#include <string>

using namespace canary;
using namespace canary::rollout;
using namespace std::chrono_literals;

namespace {

// A valid plan with `extra` spliced into its top-level object (e.g. "\"alpha\": 2").
std::string planWith(const std::string &extra, const std::string &steps = {})
{
    std::string text =
        R"({"name": "t", "steps": )" +
        (steps.empty() ? std::string(R"([{"weight": 5, "bake_seconds": 60}])") : steps);
    if (!extra.empty())
        text += ", " + extra;
    return text + "}";
}

} // namespace

class TestPlan final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesAFullPlan()
    {
        const std::string text = R"({
            "name": "fraud-model 2.4",
            "alpha": 0.01,
            "interval_seconds": 2.5,
            "steps": [
                {"weight": 1, "bake_seconds": 120, "min_requests": 500},
                {"weight": 12.5, "bake_seconds": 300}
            ],
            "gates": [
                {"name": "errors", "metric": "error_rate", "tolerance": 0.1, "floor": 0.001,
                 "alpha_share": 0.5},
                {"name": "tail", "metric": "latency_tail", "tail_quantiles": [0.95, 0.99],
                 "critical": false},
                {"name": "acc", "metric": "accuracy"}
            ],
            "min_labels": 50,
            "calibration_requests": 800,
            "on_inconclusive": "extend",
            "extend_seconds": 60,
            "max_extensions": 3,
            "end_bake_early": true,
            "max_duration_seconds": 3600,
            "promote_at_end": false
        })";
        std::string error;
        const auto plan = parsePlan(text, "plan.json", &error);
        QVERIFY2(plan, error.c_str());
        QCOMPARE(plan->name, std::string("fraud-model 2.4"));
        QCOMPARE(plan->judge.alpha, 0.01);
        QCOMPARE(plan->interval, 2500ms);
        QCOMPARE(plan->steps.size(), std::size_t(2));
        QCOMPARE(plan->steps[0].weight, Weight::fromTenths(10));
        QCOMPARE(plan->steps[0].bake, 120s);
        QCOMPARE(plan->steps[0].minimumRequests, 500);
        QCOMPARE(plan->steps[1].weight, Weight::fromTenths(125));
        QCOMPARE(plan->steps[1].minimumRequests, 1000); // the default
        QCOMPARE(plan->judge.gates.size(), std::size_t(3));
        QCOMPARE(plan->judge.gates[0].tolerance, 0.1);
        QCOMPARE(plan->judge.gates[0].alphaShare, 0.5);
        QCOMPARE(plan->judge.gates[1].tailQuantiles, std::vector<double>({0.95, 0.99}));
        QVERIFY(!plan->judge.gates[1].critical);
        // The direction follows the metric unless given.
        QVERIFY(plan->judge.gates[2].direction == analysis::Direction::LowerIsWorse);
        QCOMPARE(plan->minimumLabels, 50);
        QCOMPARE(plan->judge.calibrationRequests, 800);
        QVERIFY(plan->onInconclusive == OnInconclusive::ExtendBake);
        QCOMPARE(plan->extendBy, 60s);
        QCOMPARE(plan->maxExtensions, 3);
        QVERIFY(plan->endBakeEarly);
        QCOMPARE(plan->maxDuration, 3600s);
        QVERIFY(!plan->promoteAtEnd);
    }

    void omittedFieldsTakeTheDefaults()
    {
        std::string error;
        const auto plan = parsePlan(planWith(""), "p", &error);
        QVERIFY2(plan, error.c_str());
        QCOMPARE(plan->judge.gates.size(), analysis::defaultGates().size());
        QCOMPARE(plan->judge.gates.front().name, analysis::defaultGates().front().name);
        QVERIFY(plan->onInconclusive == OnInconclusive::Pause);
        QCOMPARE(plan->interval, 1000ms);
        QVERIFY(plan->promoteAtEnd);
        QCOMPARE(plan->maxDuration, 0s);
    }

    void refusesWithTheFieldNamed_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        const auto row = [](const char *name, const std::string &text, const char *expected) {
            QTest::newRow(name) << QString::fromStdString(text) << QString::fromUtf8(expected);
        };
        row("not json", "{\"steps\": [", "p: ");
        row("not an object", "[1]", "p: (document): must be a JSON object");
        row("unknown field", planWith(R"("bake": 3)"), "p: bake: unknown field (known: name,");
        row("duplicate key", planWith(R"("alpha": 0.1, "alpha": 0.2)"), "p: ");
        row("no steps", R"({"name": "x"})", "p: steps: is required");
        row("empty steps", planWith("", "[]"), "p: steps: must be an array of 1 to 100 steps");
        row("step unknown field", planWith("", R"([{"weight": 5, "bake_seconds": 5, "wait": 1}])"),
            "p: steps[0].wait: unknown field");
        row("no weight", planWith("", R"([{"bake_seconds": 5}])"),
            "p: steps[0].weight: is required");
        row("weight text", planWith("", R"([{"weight": "5", "bake_seconds": 5}])"),
            "p: steps[0].weight: must be a number");
        row("weight off grid", planWith("", R"([{"weight": 5.05, "bake_seconds": 5}])"),
            "p: steps[0].weight: weight 5.05 has a finer resolution than 0.1 percent");
        row("weight above 100", planWith("", R"([{"weight": 120, "bake_seconds": 5}])"),
            "p: steps[0].weight: weight 120 is outside 0–100");
        row("weight 100", planWith("", R"([{"weight": 100, "bake_seconds": 5}])"),
            "p: steps[0].weight: must be below 100 %");
        row("weight 0", planWith("", R"([{"weight": 0, "bake_seconds": 5}])"),
            "p: steps[0].weight: must be above 0 %");
        row("weights not increasing",
            planWith("",
                     R"([{"weight": 10, "bake_seconds": 5}, {"weight": 10, "bake_seconds": 5}])"),
            "p: steps[1].weight: must be above the previous step's 10.0 %, got 10.0 %");
        row("no bake", planWith("", R"([{"weight": 5}])"), "p: steps[0].bake_seconds: is required");
        row("bake 0", planWith("", R"([{"weight": 5, "bake_seconds": 0}])"),
            "p: steps[0].bake_seconds: must be between 1 and");
        row("bake fractional", planWith("", R"([{"weight": 5, "bake_seconds": 1.5}])"),
            "p: steps[0].bake_seconds: must be a whole number");
        row("bake under the interval",
            planWith(R"("interval_seconds": 10)", R"([{"weight": 5, "bake_seconds": 5}])"),
            "p: steps[0].bake_seconds: must be at least the plan's interval_seconds");
        row("negative minimum",
            planWith("", R"([{"weight": 5, "bake_seconds": 5, "min_requests": -1}])"),
            "p: steps[0].min_requests: must be between 0 and");
        row("alpha 0", planWith(R"("alpha": 0)"), "p: alpha: must be strictly between 0 and 1");
        row("alpha 1", planWith(R"("alpha": 1)"), "p: alpha: must be strictly between 0 and 1");
        row("interval 0", planWith(R"("interval_seconds": 0)"),
            "p: interval_seconds: must be between 0.1 and 3600");
        row("gates empty", planWith(R"("gates": [])"), "p: gates: must be an array of 1 to 32");
        row("gate without name", planWith(R"("gates": [{"metric": "error_rate"}])"),
            "p: gates[0].name: is required");
        row("gate unknown metric", planWith(R"("gates": [{"name": "e", "metric": "errors"}])"),
            "p: gates[0].metric: must be \"error_rate\", \"latency_tail\"");
        row("gate bad direction",
            planWith(R"("gates": [{"name": "e", "metric": "error_rate", "direction": "up"}])"),
            "p: gates[0].direction: must be \"higher_is_worse\" or \"lower_is_worse\"");
        row("gate negative tolerance",
            planWith(R"("gates": [{"name": "e", "metric": "error_rate", "tolerance": -0.1}])"),
            "p: gates[0].tolerance: must be between 0 and 100, got -0.1");
        row("gate floor above 1",
            planWith(R"("gates": [{"name": "e", "metric": "error_rate", "floor": 2}])"),
            "p: gates[0].floor: must be between 0 and 1, got 2");
        row("gate negative share",
            planWith(R"("gates": [{"name": "e", "metric": "error_rate", "alpha_share": -1}])"),
            "p: gates[0].alpha_share: must be between 0 and 1, got -1");
        row("gate critical text",
            planWith(R"("gates": [{"name": "e", "metric": "error_rate", "critical": "yes"}])"),
            "p: gates[0].critical: must be true or false");
        row("gate quantile 1",
            planWith(
                R"("gates": [{"name": "t", "metric": "latency_tail", "tail_quantiles": [0.9, 1]}])"),
            "p: gates[0].tail_quantiles[1]: must be strictly between 0 and 1, got 1");
        row("gate quantiles unordered",
            planWith(
                R"("gates": [{"name": "t", "metric": "latency_tail", "tail_quantiles": [0.99, 0.9]}])"),
            "p: gates[0].tail_quantiles[1]: must be above the quantile before it");
        row("gate quantiles on errors",
            planWith(
                R"("gates": [{"name": "e", "metric": "error_rate", "tail_quantiles": [0.9]}])"),
            "p: gates[0].tail_quantiles: applies only to latency_tail and latency_body gates");
        row("gate names twice",
            planWith(
                R"("gates": [{"name": "e", "metric": "error_rate"}, {"name": "e", "metric": "accuracy"}])"),
            "p: gates[1].name: \"e\" is already the name of a gate before it");
        row("gate unknown field",
            planWith(R"("gates": [{"name": "e", "metric": "error_rate", "limit": 1}])"),
            "p: gates[0].limit: unknown field");
        row("on_inconclusive", planWith(R"("on_inconclusive": "wait")"),
            "p: on_inconclusive: must be \"pause\" or \"extend\"");
        row("max_extensions", planWith(R"("max_extensions": -1)"),
            "p: max_extensions: must be between 0 and 100");
        row("min_labels", planWith(R"("min_labels": 1.5)"),
            "p: min_labels: must be a whole number");
        row("max duration under the bakes", planWith(R"("max_duration_seconds": 30)"),
            "p: max_duration_seconds: must be 0 (no limit) or at least the steps' bakes together "
            "(60 s), got 30");
        row("promote_at_end", planWith(R"("promote_at_end": 1)"),
            "p: promote_at_end: must be true or false");
        row("name empty", R"({"name": "", "steps": [{"weight": 5, "bake_seconds": 60}]})",
            "p: name: must be 1 to 128 characters long");
    }
    void refusesWithTheFieldNamed()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        std::string error;
        const auto plan = parsePlan(text.toStdString(), "p", &error);
        QVERIFY(!plan);
        QVERIFY2(QString::fromStdString(error).startsWith(expected),
                 qPrintable(QStringLiteral("got \"%1\"").arg(QString::fromStdString(error))));
    }

    void aMissingFileIsNamed()
    {
        std::string error;
        QVERIFY(!loadPlanFile("/nonexistent/plan.json", &error));
        QCOMPARE(error, std::string("/nonexistent/plan.json: cannot be opened for reading"));
    }

    void theShippedExamplesParse_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("default") << QStringLiteral("plan-default.json");
        QTest::newRow("quick") << QStringLiteral("plan-quick.json");
        QTest::newRow("sagemaker") << QStringLiteral("plan-sagemaker.json");
    }
    void theShippedExamplesParse()
    {
        QFETCH(QString, file);
        const QString path = QStringLiteral(CANARY_SOURCE_DIR "/docs/examples/") + file;
        std::string error;
        const auto plan = loadPlanFile(path.toStdString(), &error);
        QVERIFY2(plan, error.c_str());
        QVERIFY(!plan->steps.empty());
    }

    void theDefaultExampleIsTheBuiltInPlan()
    {
        std::string error;
        const auto file =
            loadPlanFile(CANARY_SOURCE_DIR "/docs/examples/plan-default.json", &error);
        QVERIFY2(file, error.c_str());
        const Plan builtIn = defaultPlan();
        QCOMPARE(file->steps.size(), builtIn.steps.size());
        for (std::size_t i = 0; i < builtIn.steps.size(); ++i) {
            QCOMPARE(file->steps[i].weight, builtIn.steps[i].weight);
            QCOMPARE(file->steps[i].bake, builtIn.steps[i].bake);
            QCOMPARE(file->steps[i].minimumRequests, builtIn.steps[i].minimumRequests);
        }
        QCOMPARE(file->judge.gates.size(), builtIn.judge.gates.size());
        for (std::size_t i = 0; i < builtIn.judge.gates.size(); ++i) {
            QCOMPARE(file->judge.gates[i].name, builtIn.judge.gates[i].name);
            QCOMPARE(file->judge.gates[i].tolerance, builtIn.judge.gates[i].tolerance);
            QCOMPARE(file->judge.gates[i].floor, builtIn.judge.gates[i].floor);
            QCOMPARE(file->judge.gates[i].critical, builtIn.judge.gates[i].critical);
            QCOMPARE(file->judge.gates[i].alphaShare, builtIn.judge.gates[i].alphaShare);
            QCOMPARE(file->judge.gates[i].tailQuantiles, builtIn.judge.gates[i].tailQuantiles);
        }
        QCOMPARE(file->minimumLabels, builtIn.minimumLabels);
        QVERIFY(file->onInconclusive == builtIn.onInconclusive);
    }
};

QTEST_APPLESS_MAIN(TestPlan)
#include "tst_plan.moc"
