#pragma once

#include "analysis/judge.h"
#include "metrics/kpisnapshot.h"
#include "metrics/timeseriesstore.h"
#include "report/reportdata.h"
#include "rollout/plan.h"

#include <string_view>

// Fills a ReportData from what the console or canaryctl holds: the live KPI window, the rollout
// document, the judge, the plan, the charts' history and the audit trail. Each setter takes one
// source; finishReport() derives the title and the headline once everything is in.
namespace canary::report {

// A KPI's unit in reports and the factor from the store's units (seconds → ms, ratio → %).
struct KpiUnit
{
    std::string_view name; // "ms", "%", "req/s"
    double scale = 1.0;
};
KpiUnit unitOf(metrics::Kpi kpi);

// Both variants' figures over the snapshot's window.
void setKpis(ReportData &report, const KpiSnapshot &snapshot);
// Models, versions and weights as the backend answered.
void setState(ReportData &report, const RolloutState &state);
void setJudgement(ReportData &report, const analysis::Judgement &judgement);
// The plan's steps, the last one begun (-1: none) and where it stands (RunPhase's name).
void setPlan(ReportData &report, const rollout::Plan &plan, int reachedStep,
             std::string_view phase);
// The charts' lines over [report.from, report.to] from the console's history.
void setSeries(ReportData &report, const metrics::TimeSeriesStore &store);
// The same from a source's back-filled history (canaryctl report on Prometheus).
void setSeries(ReportData &report, const std::vector<metrics::KpiResult> &history);

// The audit trail's entries over the window become the timeline. Where no live source filled
// them, the newest entry with a snapshot gives the figures, the versions and the verdicts; the
// snapshots' numbers become the charts' points; the plan decisions tell the plan's name and how
// far it went. Entries outside [from, to] are left out.
void addAuditTrail(ReportData &report, std::vector<audit::AuditEntry> entries);

// The title and the headline (promoted, rolled back, in progress) from everything set before.
void finishReport(ReportData &report);

} // namespace canary::report
