#include "report/reportjson.h"

#include "report/reportbuilder.h"

#include <cmath>

namespace canary::report {

namespace {

nlohmann::json number(double value)
{
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json optionalTime(const std::optional<SystemTime> &time)
{
    return time ? nlohmann::json(formatRfc3339(*time)) : nlohmann::json(nullptr);
}

nlohmann::json variantJson(const ReportVariant &v)
{
    return {{"model", v.model},
            {"version", v.version},
            {"weight_percent", number(v.weightPercent)},
            {"requests", number(v.requests)},
            {"errors", number(v.errors)},
            {"error_percent", number(v.errorPercent)},
            {"labels", number(v.labels)},
            {"accuracy_percent", number(v.accuracyPercent)},
            {"request_rate", number(v.requestRate)},
            {"latency_mean_ms", number(v.meanMs)},
            {"latency_p50_ms", number(v.p50Ms)},
            {"latency_p95_ms", number(v.p95Ms)},
            {"latency_p99_ms", number(v.p99Ms)}};
}

nlohmann::json gateJson(const ReportGate &g)
{
    return {{"name", g.name},
            {"metric", g.metric},
            {"critical", g.critical},
            {"verdict", g.verdict},
            {"sentence", g.sentence},
            {"production", number(g.production)},
            {"canary", number(g.canary)},
            {"delta", number(g.delta)},
            {"ratio_low", number(g.ratioLow)},
            {"ratio_high", number(g.ratioHigh)},
            {"production_samples", g.productionSamples},
            {"canary_samples", g.canarySamples},
            {"evidence", number(g.evidence)},
            {"threshold", number(g.threshold)}};
}

nlohmann::json planJson(const std::optional<ReportPlan> &plan)
{
    if (!plan)
        return nullptr;
    nlohmann::json steps = nlohmann::json::array();
    for (const ReportPlanStep &step : plan->steps)
        steps.push_back(
            {{"weight_percent", step.weightPercent}, {"bake_seconds", step.bake.count()}});
    return {{"name", plan->name},
            {"steps", steps},
            {"reached_step", plan->reachedStep >= 0 ? nlohmann::json(plan->reachedStep + 1)
                                                    : nlohmann::json(nullptr)},
            {"phase", plan->phase},
            {"summary", plan->summary}};
}

nlohmann::json seriesJson(const ReportSeries &line)
{
    const KpiUnit unit = unitOf(line.kpi);
    nlohmann::json points = nlohmann::json::array();
    for (const auto &[time, value] : line.points)
        points.push_back({formatRfc3339(time), number(value * unit.scale)});
    return {{"variant", std::string(toString(line.role))},
            {"kpi", std::string(metrics::toString(line.kpi))},
            {"unit", std::string(unit.name)},
            {"points", points}};
}

} // namespace

nlohmann::json toJson(const ReportData &report)
{
    nlohmann::json gates = nlohmann::json::array();
    for (const ReportGate &gate : report.gates)
        gates.push_back(gateJson(gate));
    nlohmann::json timeline = nlohmann::json::array();
    for (const audit::AuditEntry &entry : report.timeline)
        timeline.push_back(audit::toJson(entry));
    nlohmann::json series = nlohmann::json::array();
    for (const ReportSeries &line : report.series)
        series.push_back(seriesJson(line));
    return {
        {"schema_version", ReportData::kSchemaVersion},
        {"title", report.title},
        {"exported_at", formatRfc3339(report.exportedAt)},
        {"exported_by", report.exportedBy},
        {"source", report.source},
        {"window", {{"from", formatRfc3339(report.from)}, {"to", formatRfc3339(report.to)}}},
        {"backend",
         {{"kind", report.backendKind},
          {"address", report.backendAddress},
          {"metrics", report.metricsAddress}}},
        {"headline",
         {{"outcome", report.headline.outcome}, {"sentence", report.headline.sentence}}},
        {"variants",
         {{"production", variantJson(report.production)}, {"canary", variantJson(report.canary)}}},
        {"figures_window",
         {{"from", optionalTime(report.kpisFrom)},
          {"to", optionalTime(report.kpisTo)},
          {"moment", report.figuresMoment}}},
        {"judgement",
         {{"verdict",
           report.verdict.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.verdict)},
          {"sentence", report.verdictSentence},
          {"gates", gates}}},
        {"plan", planJson(report.plan)},
        {"timeline", timeline},
        {"series", series},
        {"notes", report.notes}};
}

} // namespace canary::report
