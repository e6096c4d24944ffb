#include "report/reportbuilder.h"

#include "console/actionlog.h"
#include "report/reportformat.h"
#include "util/join.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace canary::report {

namespace {

using metrics::Kpi;

// A number from untrusted JSON: NaN unless it is one.
double numberAt(const nlohmann::json &object, const char *key)
{
    if (!object.is_object())
        return kUnknown;
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number())
        return kUnknown;
    return it->get<double>();
}

std::string textAt(const nlohmann::json &object, const char *key)
{
    if (!object.is_object())
        return {};
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool has(double value)
{
    return std::isfinite(value);
}

// Keeps `target` where it is known already: a live source outranks the trail's snapshot.
void fill(double &target, double value)
{
    if (!has(target))
        target = value;
}

// The figures a snapshot recorded: where they are unknown so far, or all of them (`replace`),
// unknown ones included, when the snapshot is the moment the report is about.
void fillVariantFromSnapshot(ReportVariant &variant, const nlohmann::json &kpis,
                             bool replace = false)
{
    if (replace) {
        const ReportVariant emptied{.model = variant.model, .version = variant.version};
        variant = emptied;
    }
    fill(variant.requests, numberAt(kpis, "requests"));
    fill(variant.errors, numberAt(kpis, "errors"));
    fill(variant.errorPercent, numberAt(kpis, "error_percent"));
    fill(variant.labels, numberAt(kpis, "labels"));
    fill(variant.accuracyPercent, numberAt(kpis, "accuracy_percent"));
    fill(variant.requestRate, numberAt(kpis, "request_rate"));
    fill(variant.meanMs, numberAt(kpis, "mean_ms"));
    fill(variant.p50Ms, numberAt(kpis, "p50_ms"));
    fill(variant.p95Ms, numberAt(kpis, "p95_ms"));
    fill(variant.p99Ms, numberAt(kpis, "p99_ms"));
    fill(variant.weightPercent, numberAt(kpis, "weight_percent"));
}

// The chart points a snapshot holds, in store units (what the live history holds).
void addSnapshotPoints(std::map<std::pair<VariantRole, Kpi>, ReportSeries> &series, SystemTime time,
                       VariantRole role, const nlohmann::json &kpis)
{
    const auto add = [&](Kpi kpi, const char *key, double factor) {
        const double value = numberAt(kpis, key);
        if (!has(value))
            return;
        ReportSeries &line = series[{role, kpi}];
        line.role = role;
        line.kpi = kpi;
        line.points.emplace_back(time, value / factor);
    };
    add(Kpi::RequestRate, "request_rate", 1.0);
    add(Kpi::ErrorRate, "error_percent", 100.0);
    add(Kpi::Accuracy, "accuracy_percent", 100.0);
    add(Kpi::LatencyP50, "p50_ms", 1000.0);
    add(Kpi::LatencyP95, "p95_ms", 1000.0);
    add(Kpi::LatencyP99, "p99_ms", 1000.0);
    add(Kpi::Weight, "weight_percent", 1.0);
}

bool succeeded(const audit::AuditEntry &entry)
{
    return entry.outcome == "succeeded";
}

bool isPromote(const std::string &action)
{
    return action == "promote" || action == "plan_promote";
}

bool isRollback(const std::string &action)
{
    return action == "rollback" || action == "plan_rollback";
}

std::string describeModel(const ReportVariant &variant)
{
    if (variant.model.empty() && variant.version.empty())
        return "an unnamed model";
    if (variant.version.empty())
        return variant.model;
    return join(variant.model, " ", variant.version);
}

std::string byWhom(const audit::AuditEntry &entry)
{
    if (entry.automatic)
        return entry.plan.empty() ? std::string("automatically by a plan")
                                  : join("automatically by plan \"", entry.plan, "\"");
    return entry.actor.empty() ? std::string("by an operator") : join("by ", entry.actor);
}

std::string sentenceEnd(std::string text)
{
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n'))
        text.pop_back();
    if (!text.empty() && text.back() != '.' && text.back() != '!' && text.back() != '?')
        text += '.';
    return text;
}

} // namespace

KpiUnit unitOf(Kpi kpi)
{
    switch (kpi) {
    case Kpi::RequestRate:
        return {"req/s", 1.0};
    case Kpi::ErrorRate:
    case Kpi::Accuracy:
        return {"%", 100.0};
    case Kpi::LatencyP50:
    case Kpi::LatencyP95:
    case Kpi::LatencyP99:
        return {"ms", 1000.0};
    case Kpi::Weight:
        return {"%", 1.0};
    }
    return {"", 1.0};
}

std::size_t ReportData::pointCount() const
{
    std::size_t count = 0;
    for (const ReportSeries &line : series)
        count += line.points.size();
    return count;
}

void setKpis(ReportData &report, const KpiSnapshot &snapshot)
{
    if (!snapshot.valid())
        return;
    for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        // In display units by the same rule as the audit trail's snapshot (ActionKpis).
        const ActionKpis kpis = ActionKpis::from(snapshot.kpis.variant(role));
        ReportVariant &variant = report.variant(role);
        variant.requests = kpis.requestsInWindow;
        variant.errors = kpis.errorsInWindow;
        variant.errorPercent = kpis.errorPercent;
        variant.labels = kpis.labels;
        variant.accuracyPercent = kpis.accuracyPercent;
        variant.requestRate = kpis.requestRate;
        variant.meanMs = kpis.meanMs;
        variant.p50Ms = kpis.p50Ms;
        variant.p95Ms = kpis.p95Ms;
        variant.p99Ms = kpis.p99Ms;
        fill(variant.weightPercent, kpis.weightPercent);
    }
    report.kpisFrom = snapshot.from;
    report.kpisTo = snapshot.to;
    report.figuresMoment = "At the end of the window";
}

void setState(ReportData &report, const RolloutState &state)
{
    const auto set = [](ReportVariant &variant, const VariantInfo &info) {
        variant.model = info.model;
        variant.version = info.version;
        variant.weightPercent = info.weight.percent();
    };
    set(report.production, state.production);
    if (state.canary)
        set(report.canary, *state.canary);
}

void setJudgement(ReportData &report, const analysis::Judgement &judgement)
{
    report.verdict = std::string(analysis::toString(judgement.overall));
    report.verdictSentence = judgement.sentence;
    report.gates.clear();
    for (const analysis::GateResult &result : judgement.gates) {
        ReportGate gate;
        gate.name = result.spec.name;
        gate.metric = std::string(analysis::toString(result.spec.metric));
        gate.critical = result.spec.critical;
        gate.verdict = std::string(analysis::toString(result.verdict));
        gate.sentence = result.sentence;
        gate.production = result.productionValue * 100.0; // the judge's ratios, as %
        gate.canary = result.canaryValue * 100.0;
        gate.delta = result.delta;
        gate.ratioLow = result.ratioLow;
        gate.ratioHigh = result.ratioHigh;
        gate.productionSamples = result.productionSamples;
        gate.canarySamples = result.canarySamples;
        gate.evidence = result.evidence;
        gate.threshold = result.threshold;
        report.gates.push_back(std::move(gate));
    }
}

void setPlan(ReportData &report, const rollout::Plan &plan, int reachedStep, std::string_view phase)
{
    ReportPlan out;
    out.name = plan.name;
    for (const rollout::PlanStep &step : plan.steps)
        out.steps.push_back({step.weight.percent(), step.bake});
    out.reachedStep = reachedStep;
    out.phase = std::string(phase);
    report.plan = std::move(out);
}

void setSeries(ReportData &report, const metrics::TimeSeriesStore &store)
{
    report.series.clear();
    for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        for (const Kpi kpi : metrics::kAllKpis) {
            ReportSeries line{role, kpi, {}};
            const metrics::TimeSeries &source = store.series(role, kpi);
            for (std::size_t i = 0; i < source.size(); ++i) {
                const auto point = source.at(i);
                if (point.time < report.from || point.time > report.to)
                    continue;
                line.points.emplace_back(point.time, point.value);
            }
            report.series.push_back(std::move(line));
        }
    }
}

void setSeries(ReportData &report, const std::vector<metrics::KpiResult> &history)
{
    report.series.clear();
    for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        for (const Kpi kpi : metrics::kAllKpis) {
            ReportSeries line{role, kpi, {}};
            for (const metrics::KpiResult &result : history) {
                if (result.time < report.from || result.time > report.to)
                    continue;
                const double value = result.ok() ? result.variant(role).value(kpi) : kUnknown;
                line.points.emplace_back(result.time, value);
            }
            report.series.push_back(std::move(line));
        }
    }
}

void addAuditTrail(ReportData &report, std::vector<audit::AuditEntry> entries)
{
    std::erase_if(entries, [&](const audit::AuditEntry &entry) {
        return entry.time < report.from || entry.time > report.to;
    });
    std::stable_sort(
        entries.begin(), entries.end(),
        [](const audit::AuditEntry &a, const audit::AuditEntry &b) { return a.time < b.time; });

    const bool liveSeries = report.pointCount() > 0;
    std::map<std::pair<VariantRole, Kpi>, ReportSeries> snapshotSeries;
    const audit::AuditEntry *newestSnapshot = nullptr;
    ReportPlan plan;
    const audit::AuditEntry *lastPlanEntry = nullptr;
    for (const audit::AuditEntry &entry : entries) {
        const nlohmann::json &snapshot = entry.snapshot;
        if (snapshot.is_object() &&
            (snapshot.contains("production") || snapshot.contains("canary"))) {
            newestSnapshot = &entry;
            if (!liveSeries) {
                const auto time = parseRfc3339(textAt(snapshot, "time"));
                for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
                    const char *key = role == VariantRole::Production ? "production" : "canary";
                    if (snapshot.contains(key))
                        addSnapshotPoints(snapshotSeries, time.value_or(entry.time), role,
                                          snapshot[key]);
                }
            }
        }
        if (!entry.plan.empty() && entry.action.rfind("plan_", 0) == 0) {
            if (plan.name != entry.plan)
                plan = ReportPlan{}; // another plan began: the report tells the last one
            plan.name = entry.plan;
            lastPlanEntry = &entry;
            const auto steps = entry.parameters.find("steps");
            if (entry.action == "plan_start" && steps != entry.parameters.end() &&
                steps->is_array()) {
                plan.steps.clear();
                plan.reachedStep = -1;
                for (const nlohmann::json &step : *steps) {
                    const double weight = numberAt(step, "weight_percent");
                    const double bake = numberAt(step, "bake_seconds");
                    if (has(weight) && has(bake))
                        plan.steps.push_back(
                            {weight, std::chrono::seconds(static_cast<std::int64_t>(bake))});
                }
            }
            const auto step = entry.parameters.find("step");
            if (step != entry.parameters.end() && step->is_number_integer())
                plan.reachedStep = std::max(plan.reachedStep, step->get<int>() - 1);
        }
    }

    if (newestSnapshot) {
        const nlohmann::json &snapshot = newestSnapshot->snapshot;
        fillVariantFromSnapshot(report.production, snapshot.value("production", nlohmann::json()));
        fillVariantFromSnapshot(report.canary, snapshot.value("canary", nlohmann::json()));
        const nlohmann::json variants = snapshot.value("variants", nlohmann::json());
        for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
            const nlohmann::json info =
                variants.is_object()
                    ? variants.value(role == VariantRole::Production ? "production" : "canary",
                                     nlohmann::json())
                    : nlohmann::json();
            ReportVariant &variant = report.variant(role);
            if (variant.model.empty())
                variant.model = textAt(info, "model");
            if (variant.version.empty())
                variant.version = textAt(info, "version");
            fill(variant.weightPercent, numberAt(info, "weight_percent"));
        }
        if (!report.kpisTo) {
            report.kpisFrom = parseRfc3339(textAt(snapshot, "from"));
            report.kpisTo = parseRfc3339(textAt(snapshot, "time"));
            report.figuresMoment = "The newest numbers the audit trail recorded";
        }
        if (report.verdict.empty()) {
            report.verdict = textAt(snapshot, "verdict");
            if (report.verdict.empty())
                report.verdict = textAt(newestSnapshot->parameters, "verdict");
            report.verdictSentence = textAt(snapshot, "judgement");
        }
        if (report.gates.empty() && snapshot.contains("gates") && snapshot["gates"].is_array()) {
            for (const nlohmann::json &g : snapshot["gates"]) {
                if (!g.is_object())
                    continue;
                ReportGate gate;
                gate.name = textAt(g, "name");
                gate.metric = textAt(g, "metric");
                gate.critical = !g.contains("critical") || g["critical"] == true;
                gate.verdict = textAt(g, "verdict");
                gate.sentence = textAt(g, "sentence");
                // The trail keeps the judge's ratios; the report speaks in %.
                gate.production = numberAt(g, "production") * 100.0;
                gate.canary = numberAt(g, "canary") * 100.0;
                gate.delta = numberAt(g, "delta");
                gate.ratioLow = numberAt(g, "ratio_low");
                gate.ratioHigh = numberAt(g, "ratio_high");
                const double ps = numberAt(g, "production_samples");
                const double cs = numberAt(g, "canary_samples");
                gate.productionSamples = has(ps) ? static_cast<std::int64_t>(ps) : 0;
                gate.canarySamples = has(cs) ? static_cast<std::int64_t>(cs) : 0;
                gate.evidence = numberAt(g, "evidence");
                gate.threshold = numberAt(g, "threshold");
                report.gates.push_back(std::move(gate));
            }
        }
    }

    if (!liveSeries && !snapshotSeries.empty()) {
        report.series.clear();
        for (auto &[key, line] : snapshotSeries)
            report.series.push_back(std::move(line));
        report.notes.push_back(
            "The charts show the numbers recorded with each action and decision in the audit "
            "trail, not a continuous history: lines join those moments.");
    }

    if (!report.plan && lastPlanEntry) {
        const std::string &action = lastPlanEntry->action;
        if (action == "plan_promote" && succeeded(*lastPlanEntry))
            plan.phase = "promoted";
        else if (action == "plan_rollback" && succeeded(*lastPlanEntry))
            plan.phase = "rolled-back";
        else if (action == "plan_pause")
            plan.phase = "paused";
        else if (action == "plan_override")
            plan.phase = "stopped";
        else if (action == "plan_error" || lastPlanEntry->outcome == "failed")
            plan.phase = "failed";
        else
            plan.phase = "running";
        report.plan = std::move(plan);
    }
    report.timeline = std::move(entries);
}

void finishReport(ReportData &report)
{
    if (report.title.empty()) {
        report.title = report.canary.model.empty() && report.canary.version.empty()
                           ? join("Canary comparison: ", describeModel(report.production))
                           : join("Canary comparison: ", describeModel(report.canary), " vs ",
                                  describeModel(report.production));
    }

    if (report.plan && report.plan->summary.empty()) {
        ReportPlan &plan = *report.plan;
        const int reached = plan.reachedStep;
        const auto steps = static_cast<int>(plan.steps.size());
        if (reached >= 0 && reached < steps)
            plan.summary =
                join("It reached step ", std::to_string(reached + 1), " of ", std::to_string(steps),
                     " (canary at ",
                     formatFixed(plan.steps[static_cast<std::size_t>(reached)].weightPercent, 1),
                     " %).");
        else if (reached >= 0)
            plan.summary = join("It reached step ", std::to_string(reached + 1), ".");
        else
            plan.summary = "It had not begun a step.";
    }

    // The last promote or rollback that went through decides what the rollout came to.
    const audit::AuditEntry *decisive = nullptr;
    for (const audit::AuditEntry &entry : report.timeline) {
        if (succeeded(entry) && (isPromote(entry.action) || isRollback(entry.action)))
            decisive = &entry;
    }
    ReportHeadline &headline = report.headline;
    const std::string canary = describeModel(report.canary);
    if (decisive) {
        const bool promoted = isPromote(decisive->action);
        // A reviewer asks what the decision rested on, not what the canary does after it (no
        // traffic, after a rollback): the numbers recorded with it replace the later ones.
        const nlohmann::json &snapshot = decisive->snapshot;
        if (snapshot.is_object() && snapshot.contains("production") &&
            snapshot.contains("canary")) {
            fillVariantFromSnapshot(report.production, snapshot["production"], true);
            fillVariantFromSnapshot(report.canary, snapshot["canary"], true);
            // The weights the backend had confirmed when it was decided, where recorded.
            const nlohmann::json variants = snapshot.value("variants", nlohmann::json());
            for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
                const char *key = role == VariantRole::Production ? "production" : "canary";
                const double weight =
                    variants.is_object()
                        ? numberAt(variants.value(key, nlohmann::json()), "weight_percent")
                        : kUnknown;
                if (has(weight))
                    report.variant(role).weightPercent = weight;
            }
            report.kpisFrom = parseRfc3339(textAt(snapshot, "from"));
            report.kpisTo = parseRfc3339(textAt(snapshot, "time"));
            report.figuresMoment =
                join("The numbers the ", promoted ? "promotion" : "rollback", " was decided on");
        }
        headline.outcome = promoted ? "promoted" : "rolled-back";
        std::string why = decisive->reason.empty() ? decisive->message : decisive->reason;
        headline.sentence =
            join("The canary (", canary, ") was ", promoted ? "promoted" : "rolled back", " ",
                 byWhom(*decisive), " at ", formatReadableTime(decisive->time),
                 why.empty() ? std::string(".") : join(": ", sentenceEnd(std::move(why))));
    } else if (report.canary.model.empty() && report.canary.version.empty()) {
        headline.outcome = "no-canary";
        headline.sentence =
            "No canary was deployed at the end of the window and none was promoted or rolled "
            "back in it.";
    } else {
        headline.outcome = "in-progress";
        const double weight = report.canary.weightPercent;
        headline.sentence =
            join("The canary (", canary, ") was neither promoted nor rolled back in this window",
                 has(weight)
                     ? join("; at its end it took ", formatFixed(weight, 1), " % of the traffic.")
                     : std::string("."));
    }
}

} // namespace canary::report
