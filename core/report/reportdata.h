#pragma once

#include "audit/auditsink.h"
#include "domain/rolloutstate.h"
#include "metrics/kpi.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

// A comparison report: what a reviewer who never saw the console needs to understand a rollout,
// gathered once (reportbuilder.h) and written as JSON, CSV, HTML or PDF (docs/reports.md). Every
// string that came from a backend or the audit trail is untrusted: writers escape it.
namespace canary::report {

inline constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

// One variant's model and its figures over the report's summary window. NaN: unknown.
struct ReportVariant
{
    std::string model;
    std::string version;
    double weightPercent = kUnknown;
    double requests = kUnknown;
    double errors = kUnknown;
    double errorPercent = kUnknown;
    double labels = kUnknown; // labelled predictions (accuracy's sample)
    double accuracyPercent = kUnknown;
    double requestRate = kUnknown; // per second
    double meanMs = kUnknown;
    double p50Ms = kUnknown;
    double p95Ms = kUnknown;
    double p99Ms = kUnknown;
};

// One gate of the judge as it stood at the end of the window (analysis::GateResult in words and
// numbers): values are in % (errors, accuracy, or requests above the latency thresholds).
struct ReportGate
{
    std::string name;   // as the plan names it ("errors")
    std::string metric; // error_rate, latency_tail, latency_body, accuracy
    bool critical = true;
    std::string verdict; // pass, fail, better, inconclusive, no-data
    std::string sentence;
    double production = kUnknown;
    double canary = kUnknown;
    double delta = kUnknown;     // canary / production - 1
    double ratioLow = kUnknown;  // the always-valid interval of canary / production
    double ratioHigh = kUnknown; // +inf at an open end
    std::int64_t productionSamples = 0;
    std::int64_t canarySamples = 0;
    double evidence = kUnknown;
    double threshold = kUnknown;
};

struct ReportPlanStep
{
    double weightPercent = 0;
    std::chrono::seconds bake{0};
};

// The rollout plan and how far it went.
struct ReportPlan
{
    std::string name;
    std::vector<ReportPlanStep> steps; // empty when only the name is known (from the trail)
    int reachedStep = -1;              // index of the last step begun; -1: none
    std::string phase;                 // running, paused, promoted, rolled-back, stopped, ...
    std::string summary;               // one sentence: "Rolled back in step 2 of 3 (10 %)."
};

// A chart's line: one KPI of one variant over the window. NaN values are gaps.
struct ReportSeries
{
    VariantRole role = VariantRole::Production;
    metrics::Kpi kpi = metrics::Kpi::RequestRate;
    std::vector<std::pair<SystemTime, double>> points; // oldest first, store units (s, ratio)
};

// What the rollout came to, in one line above everything else.
struct ReportHeadline
{
    std::string outcome;  // promoted, rolled-back, in-progress, no-canary
    std::string sentence; // "The canary was rolled back automatically by plan default at …: …"
};

struct ReportData
{
    static constexpr int kSchemaVersion = 1; // docs/report.schema.json

    std::string title;
    std::string backendKind;
    std::string backendAddress;
    std::string metricsAddress;
    SystemTime from{}; // the window the report covers
    SystemTime to{};
    std::string exportedBy;
    SystemTime exportedAt{};
    std::string source; // where the numbers come from: "the console's live history", ...

    ReportHeadline headline;
    ReportVariant production;
    ReportVariant canary;
    // The window the variant figures are over, when known.
    std::optional<SystemTime> kpisFrom;
    std::optional<SystemTime> kpisTo;
    // Which moment they are: "At the end of the window", "The numbers the rollback was decided
    // on" (a decisive entry's snapshot replaces the later figures), ...
    std::string figuresMoment;

    std::string verdict; // the judge's overall verdict (pass, fail, ...); empty when none judged
    std::string verdictSentence;
    std::vector<ReportGate> gates;

    std::optional<ReportPlan> plan;
    std::vector<audit::AuditEntry> timeline; // oldest first
    std::vector<ReportSeries> series;
    std::vector<std::string> notes; // the limits of what is shown, in sentences

    const ReportVariant &variant(VariantRole role) const
    {
        return role == VariantRole::Production ? production : canary;
    }
    ReportVariant &variant(VariantRole role)
    {
        return role == VariantRole::Production ? production : canary;
    }
    // Points over all series: what a long export's progress counts.
    std::size_t pointCount() const;
};

// A progress report from a writer: done out of total units; return false to cancel. Called from
// the writer's thread.
using Progress = std::function<bool(std::size_t done, std::size_t total)>;

} // namespace canary::report
