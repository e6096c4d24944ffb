#include "simulator.h"

#include "baselines.h"
#include "ourpolicy.h"
#include "router.h"
#include "simulatedtraffic.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <sstream>

namespace canary::simulation {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// The false-rollback rate the tuned thresholds aim at when the project's policy is not run.
constexpr double kDefaultTuningTarget = 0.05;

const std::string kOurs = "ours";
// The project's controller with the error gate alone (at the plan's whole alpha): how much of
// its time the other gates' alpha shares cost.
const std::string kOursErrors = "ours-errors";
const std::string kOracle = "oracle";
const std::string kFlagger1 = "flagger-1";
const std::string kFlagger5 = "flagger-5";
const std::string kFlaggerTuned1 = "flagger-tuned-1";
const std::string kFlaggerTuned5 = "flagger-tuned-5";
const std::string kKayenta = "kayenta";

bool wanted(const std::vector<std::string> &policies, const std::string &name)
{
    return std::find(policies.begin(), policies.end(), name) != policies.end();
}

// Linear interpolation between order statistics (R's type 7); +infinity stays infinite.
double quantile(const std::vector<double> &sorted, double p)
{
    if (sorted.empty())
        return std::numeric_limits<double>::quiet_NaN();
    const double h = double(sorted.size() - 1) * p;
    const auto low = std::size_t(std::floor(h));
    const double fraction = h - double(low);
    if (fraction == 0 || low + 1 >= sorted.size())
        return sorted[low];
    if (std::isinf(sorted[low + 1]))
        return kInfinity;
    return sorted[low] + fraction * (sorted[low + 1] - sorted[low]);
}

Spread spread(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return {quantile(values, 0.5), quantile(values, 0.9)};
}

struct NamedBaseline
{
    std::string name;
    std::unique_ptr<BaselinePolicy> policy;
};

// One run of the policies that follow the scenario's planned weights and only roll back.
std::vector<RunOutcome> runBaselines(const SimulationScenario &scenario, std::uint64_t seed,
                                     std::vector<NamedBaseline> &policies)
{
    SimulatedTraffic traffic(scenario, seed);
    const std::size_t n = policies.size();
    std::vector<RunOutcome> outcomes(n);
    std::vector<bool> active(n, true);
    std::vector<std::size_t> watchers;
    for (std::size_t i = 0; i < n; ++i) {
        if (policies[i].policy->wantsRequests())
            watchers.push_back(i);
    }
    if (!watchers.empty()) {
        traffic.setObserver([&](const RequestSample &request) {
            for (auto i : watchers) {
                if (active[i])
                    policies[i].policy->observe(request);
            }
        });
    }
    const std::int64_t duration = scenario.durationS();
    std::size_t remaining = n;
    for (std::int64_t second = 0; second < duration && remaining > 0; ++second) {
        traffic.generateSecond(scenario.weightAt(double(second)));
        for (std::size_t i = 0; i < n; ++i) {
            if (active[i] && policies[i].policy->endOfSecond(traffic, second)) {
                outcomes[i].end = RunOutcome::End::RolledBack;
                outcomes[i].atS = double(second + 1);
                active[i] = false;
                --remaining;
            }
        }
    }
    const auto from = std::int64_t(std::floor(scenario.regressionFromS.value_or(0)));
    for (std::size_t i = 0; i < n; ++i) {
        if (active[i]) {
            outcomes[i].end = RunOutcome::End::Promoted;
            outcomes[i].atS = double(duration);
        }
        outcomes[i].canaryRequests =
            traffic.totals(VariantRole::Canary, from, std::int64_t(std::ceil(outcomes[i].atS)))
                .requests;
    }
    return outcomes;
}

FlaggerPolicy::Settings flagger(double minSuccessPercent, int threshold)
{
    FlaggerPolicy::Settings s;
    s.minSuccessPercent = minSuccessPercent;
    s.threshold = threshold;
    return s;
}

std::string shortNumber(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return buffer;
}

std::string percent(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2f", value);
    return buffer;
}

PolicyReport summarise(const SimulationScenario &scenario, std::string name,
                       std::string description, const std::vector<RunOutcome> &outcomes)
{
    PolicyReport r;
    r.name = std::move(name);
    r.description = std::move(description);
    r.runs = int(outcomes.size());
    const bool regression = scenario.hasRegression();
    const double from = scenario.regressionFromS.value_or(0);
    std::vector<double> times, requests, promotions;
    for (const auto &o : outcomes) {
        switch (o.end) {
        case RunOutcome::End::RolledBack:
            ++r.rollbacks;
            break;
        case RunOutcome::End::Promoted:
            ++r.promotions;
            promotions.push_back(o.atS);
            break;
        case RunOutcome::End::Undecided:
            ++r.undecided;
            break;
        }
        const bool rolledBack = o.end == RunOutcome::End::RolledBack;
        if (rolledBack && (!regression || o.atS < from))
            ++r.falseRollbacks;
        if (regression) {
            const bool detected = rolledBack && o.atS >= from;
            r.detections += detected ? 1 : 0;
            times.push_back(detected ? o.atS - from : kInfinity);
            requests.push_back(detected ? double(o.canaryRequests) : kInfinity);
        }
    }
    if (r.runs > 0) {
        r.falseRollbackRate = double(r.falseRollbacks) / r.runs;
        if (regression) {
            r.detectionRate = double(r.detections) / r.runs;
            r.timeToRollbackS = spread(times);
            r.canaryRequestsToRollback = spread(requests);
        }
    }
    if (!regression && !promotions.empty())
        r.timeToPromotionS = spread(promotions);
    return r;
}

std::string oracleDescription(const SimulationScenario &scenario)
{
    const OraclePolicy oracle(scenario);
    std::string what;
    switch (oracle.metric()) {
    case OraclePolicy::Metric::Errors:
        what = "errors";
        break;
    case OraclePolicy::Metric::LatencyAbove: {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "requests above %.0f ms",
                      oracle.thresholdSeconds() * 1000);
        what = buffer;
        break;
    }
    case OraclePolicy::Metric::WrongPredictions:
        what = "wrong predictions among arrived labels";
        break;
    }
    return "Wald's SPRT on the canary's " + what + ", both true rates known, boundary 1/alpha = 20";
}

} // namespace

const std::vector<std::string> &policyNames()
{
    static const std::vector<std::string> names = {kOurs,          kOursErrors, kOracle,
                                                   kFlagger1,      kFlagger5,   kFlaggerTuned1,
                                                   kFlaggerTuned5, kKayenta};
    return names;
}

std::uint64_t runSeed(std::uint64_t seed, int run)
{
    return gateway::Router::mix(seed ^
                                gateway::Router::mix(0x5157'0000'0000ULL + std::uint64_t(run)));
}

std::optional<SimulationReport> simulate(const SimulationScenario &original,
                                         const SimulationOptions &options, std::string *error)
{
    auto bad = [&](std::string message) -> std::optional<SimulationReport> {
        if (error)
            *error = std::move(message);
        return std::nullopt;
    };
    if (options.runs < 1 || options.runs > 1'000'000)
        return bad("The number of runs must be between 1 and 1000000.");
    if (options.kayentaIntervalS < 1)
        return bad("The fixed-horizon interval must be at least one second.");
    std::vector<std::string> policies = options.policies;
    if (policies.empty())
        policies = policyNames();
    for (const auto &p : policies) {
        if (!wanted(policyNames(), p)) {
            std::string known;
            for (const auto &name : policyNames())
                known += (known.empty() ? "" : ", ") + name;
            return bad("Unknown policy \"" + p + "\" (known: " + known + ").");
        }
    }
    const auto plan = planFor(original, error);
    if (!plan)
        return std::nullopt;
    // With a plan file the baselines follow the plan's weights and bakes too.
    SimulationScenario scenario = original;
    if (!original.planFile.empty()) {
        scenario.steps.clear();
        for (const auto &step : plan->steps)
            scenario.steps.push_back({step.weight, std::int64_t(step.bake.count())});
        scenario.interval = plan->interval;
    }
    const bool ours = wanted(policies, kOurs);
    rollout::Plan errorsOnly = *plan;
    errorsOnly.judge.gates.clear();
    for (const auto &gate : plan->judge.gates) {
        if (gate.metric == analysis::GateMetric::ErrorRate)
            errorsOnly.judge.gates.push_back(gate);
    }
    if (wanted(policies, kOursErrors) && errorsOnly.judge.gates.size() != 1)
        return bad("The policy \"ours-errors\" needs a plan with exactly one error-rate gate.");
    for (auto &gate : errorsOnly.judge.gates)
        gate.alphaShare = 0;

    const auto started = std::chrono::steady_clock::now();
    SimulationReport report;
    report.scenario = scenario.name;
    report.runs = options.runs;
    report.seed = options.seed;
    report.regression = scenario.hasRegression();
    auto progress = [&](const std::string &pass, int done) {
        if (options.progress)
            options.progress(pass, done, options.runs);
    };

    // The tuned thresholds: the highest success rate whose false-rollback rate on the healthy
    // twin of this scenario (same seeds) is at most the project's policy's there (or 5 %).
    double tuned1 = 99, tuned5 = 99;
    std::vector<RunOutcome> oursOutcomes;
    const bool tuning = wanted(policies, kFlaggerTuned1) || wanted(policies, kFlaggerTuned5);
    if (tuning) {
        const SimulationScenario twin =
            scenario.hasRegression() ? scenario.healthyTwin() : scenario;
        double target = kDefaultTuningTarget;
        if (ours) {
            std::vector<RunOutcome> healthy;
            for (int run = 0; run < options.runs; ++run) {
                healthy.push_back(runOurs(twin, *plan, runSeed(options.seed, run)));
                progress("calibration (ours)", run + 1);
            }
            const auto falseRollbacks = std::count_if(healthy.begin(), healthy.end(), [](auto &o) {
                return o.end == RunOutcome::End::RolledBack;
            });
            target = double(falseRollbacks) / options.runs;
            if (!scenario.hasRegression())
                oursOutcomes = std::move(healthy); // the twin is the scenario itself
        }
        std::vector<std::vector<double>> scores;
        scores.reserve(std::size_t(options.runs));
        for (int run = 0; run < options.runs; ++run) {
            std::vector<NamedBaseline> recorder;
            // Never rolls back (no success rate is below -inf, no run has INT_MAX checks): it
            // records every check's score.
            recorder.push_back({"calibration", std::make_unique<FlaggerPolicy>(flagger(
                                                   -kInfinity, std::numeric_limits<int>::max()))});
            runBaselines(twin, runSeed(options.seed, run), recorder);
            scores.push_back(static_cast<FlaggerPolicy &>(*recorder[0].policy).checkScores());
            progress("calibration", run + 1);
        }
        const auto allowed = std::size_t(std::floor(target * options.runs));
        tuned1 = FlaggerPolicy::tunedSuccessPercent(scores, 1, allowed);
        tuned5 = FlaggerPolicy::tunedSuccessPercent(scores, 5, allowed);
        report.notes.push_back(
            "Tuned on the healthy twin of the scenario (same seeds) to at most " +
            percent(100 * target) + " % false rollbacks: success >= " + percent(tuned1) +
            " % with 1 failed check, >= " + percent(tuned5) + " % with 5.");
    }

    std::vector<std::string> baselineNames;
    std::vector<std::vector<RunOutcome>> baselineOutcomes;
    for (const auto &p : policies) {
        if (p != kOurs && p != kOursErrors)
            baselineNames.push_back(p);
    }
    baselineOutcomes.resize(baselineNames.size());
    for (int run = 0; run < options.runs; ++run) {
        const auto seed = runSeed(options.seed, run);
        std::vector<NamedBaseline> baselines;
        for (const auto &name : baselineNames) {
            std::unique_ptr<BaselinePolicy> policy;
            if (name == kOracle)
                policy = std::make_unique<OraclePolicy>(scenario);
            else if (name == kFlagger1)
                policy = std::make_unique<FlaggerPolicy>(flagger(99, 1));
            else if (name == kFlagger5)
                policy = std::make_unique<FlaggerPolicy>(flagger(99, 5));
            else if (name == kFlaggerTuned1)
                policy = std::make_unique<FlaggerPolicy>(flagger(tuned1, 1));
            else if (name == kFlaggerTuned5)
                policy = std::make_unique<FlaggerPolicy>(flagger(tuned5, 5));
            else if (name == kKayenta)
                policy =
                    std::make_unique<KayentaPolicy>(options.kayentaIntervalS, seed ^ 0x4b41ULL);
            baselines.push_back({name, std::move(policy)});
        }
        if (!baselines.empty()) {
            const auto outcomes = runBaselines(scenario, seed, baselines);
            for (std::size_t i = 0; i < outcomes.size(); ++i)
                baselineOutcomes[i].push_back(outcomes[i]);
        }
        progress("baselines", run + 1);
    }
    if (ours && oursOutcomes.empty()) {
        for (int run = 0; run < options.runs; ++run) {
            oursOutcomes.push_back(runOurs(scenario, *plan, runSeed(options.seed, run)));
            progress("ours", run + 1);
        }
    }
    std::vector<RunOutcome> errorsOutcomes;
    if (wanted(policies, kOursErrors)) {
        for (int run = 0; run < options.runs; ++run) {
            errorsOutcomes.push_back(runOurs(scenario, errorsOnly, runSeed(options.seed, run)));
            progress("ours-errors", run + 1);
        }
    }

    const std::string every = "every 60 s over the last 60 s";
    for (const auto &p : policies) {
        if (p == kOursErrors) {
            report.policies.push_back(
                summarise(scenario, p,
                          "the same plan with its error gate alone, at the whole alpha " +
                              shortNumber(errorsOnly.judge.alpha),
                          errorsOutcomes));
            continue;
        }
        if (p == kOurs) {
            char interval[32];
            std::snprintf(interval, sizeof interval, "%g", double(plan->interval.count()) / 1000);
            std::string gates;
            for (const auto &g : plan->judge.gates)
                gates += (gates.empty() ? "" : ", ") + g.name;
            auto r =
                summarise(scenario, p,
                          "plan \"" + plan->name + "\", gates " + gates +
                              " (always-valid, family-wise alpha " +
                              shortNumber(plan->judge.alpha) + "), judged every " + interval + " s",
                          oursOutcomes);
            for (const auto &o : oursOutcomes) {
                if (o.end == RunOutcome::End::RolledBack)
                    ++r.rollbacksBy[o.decidedBy.empty() ? "unnamed" : o.decidedBy];
            }
            report.policies.push_back(std::move(r));
            continue;
        }
        const auto at = std::find(baselineNames.begin(), baselineNames.end(), p);
        if (at == baselineNames.end())
            continue;
        const auto &outcomes = baselineOutcomes[std::size_t(at - baselineNames.begin())];
        std::string description;
        if (p == kOracle)
            description = oracleDescription(scenario);
        else if (p == kFlagger1)
            description =
                "success >= 99 %, p99 <= 500 ms " + every + "; rollback at 1 failed check";
        else if (p == kFlagger5)
            description =
                "success >= 99 %, p99 <= 500 ms " + every + "; rollback at 5 failed checks";
        else if (p == kFlaggerTuned1)
            description = "success >= " + percent(tuned1) + " % (tuned), p99 <= 500 ms " + every +
                          "; rollback at 1 failed check";
        else if (p == kFlaggerTuned5)
            description = "success >= " + percent(tuned5) + " % (tuned), p99 <= 500 ms " + every +
                          "; rollback at 5 failed checks";
        else if (p == kKayenta)
            description = "every " + std::to_string(options.kayentaIntervalS) +
                          " s: Mann-Whitney on latency, two proportions on errors and wrong "
                          "predictions; confidence 0.98, tolerance 0.25";
        report.policies.push_back(summarise(scenario, p, description, outcomes));
    }
    report.elapsedSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

namespace {

std::string seconds(double s)
{
    if (std::isinf(s))
        return "never";
    if (std::isnan(s))
        return "-";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.0f s", s);
    return buffer;
}

std::string count(double n)
{
    if (std::isinf(n))
        return "never";
    if (std::isnan(n))
        return "-";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.0f", n);
    return buffer;
}

std::string rate(double r)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f %%", 100 * r);
    return buffer;
}

nlohmann::json number(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json spreadJson(const std::optional<Spread> &s)
{
    if (!s)
        return nullptr;
    return {{"median", number(s->median)}, {"p90", number(s->p90)}};
}

} // namespace

std::string formatReport(const SimulationReport &report)
{
    std::ostringstream out;
    out << "Scenario " << report.scenario << ": " << report.runs << " runs, seed " << report.seed
        << (report.regression ? ", the canary is a regression" : ", the canary is healthy")
        << ".\n\n";
    char line[512];
    if (report.regression) {
        std::snprintf(line, sizeof line, "%-16s %9s %9s %10s %10s %11s %11s\n", "policy",
                      "false rb", "detected", "t median", "t p90", "req median", "req p90");
    } else {
        std::snprintf(line, sizeof line, "%-16s %9s %9s %12s %12s\n", "policy", "false rb",
                      "promoted", "promo median", "undecided");
    }
    out << line;
    for (const auto &p : report.policies) {
        if (report.regression) {
            std::snprintf(
                line, sizeof line, "%-16s %9s %9s %10s %10s %11s %11s\n", p.name.c_str(),
                rate(p.falseRollbackRate).c_str(), rate(p.detectionRate.value_or(0)).c_str(),
                seconds(p.timeToRollbackS->median).c_str(), seconds(p.timeToRollbackS->p90).c_str(),
                count(p.canaryRequestsToRollback->median).c_str(),
                count(p.canaryRequestsToRollback->p90).c_str());
        } else {
            std::snprintf(line, sizeof line, "%-16s %9s %9d %12s %12d\n", p.name.c_str(),
                          rate(p.falseRollbackRate).c_str(), p.promotions,
                          p.timeToPromotionS ? seconds(p.timeToPromotionS->median).c_str() : "-",
                          p.undecided);
        }
        out << line;
    }
    out << "\n";
    for (const auto &p : report.policies) {
        out << "  " << p.name << ": " << p.description << "\n";
        if (!p.rollbacksBy.empty()) {
            out << "    rollbacks by failing gate:";
            for (const auto &[gates, n] : p.rollbacksBy)
                out << " " << gates << " " << n;
            out << "\n";
        }
    }
    for (const auto &note : report.notes)
        out << note << "\n";
    if (report.regression)
        out << "Times and canary requests count from the regression's start; a run without a "
               "rollback counts as never.\n";
    std::snprintf(line, sizeof line, "%.1f s wall-clock, %.1f runs/s.\n", report.elapsedSeconds,
                  report.elapsedSeconds > 0 ? report.runs / report.elapsedSeconds : 0.0);
    out << line;
    return out.str();
}

nlohmann::json toJson(const SimulationReport &report)
{
    nlohmann::json policies = nlohmann::json::array();
    for (const auto &p : report.policies) {
        policies.push_back({
            {"name", p.name},
            {"description", p.description},
            {"runs", p.runs},
            {"rollbacks", p.rollbacks},
            {"promotions", p.promotions},
            {"undecided", p.undecided},
            {"false_rollbacks", p.falseRollbacks},
            {"false_rollback_rate", p.falseRollbackRate},
            {"detections", p.detections},
            {"detection_rate", p.detectionRate ? nlohmann::json(*p.detectionRate) : nullptr},
            {"time_to_rollback_s", spreadJson(p.timeToRollbackS)},
            {"canary_requests_to_rollback", spreadJson(p.canaryRequestsToRollback)},
            {"time_to_promotion_s", spreadJson(p.timeToPromotionS)},
            {"rollbacks_by_gate", p.rollbacksBy},
        });
    }
    return {
        {"scenario", report.scenario},
        {"runs", report.runs},
        {"seed", report.seed},
        {"regression", report.regression},
        {"policies", policies},
        {"notes", report.notes},
        {"elapsed_s", report.elapsedSeconds},
        {"runs_per_second", report.elapsedSeconds > 0 ? report.runs / report.elapsedSeconds : 0.0}};
}

} // namespace canary::simulation
