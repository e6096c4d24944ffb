#pragma once

#include "analysis/judge.h"
#include "domain/weight.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// A rollout plan: the steps a canary climbs, the gates it must pass and what to do when the
// evidence does not decide. docs/plans.md documents the JSON file.
namespace canary::rollout {

struct PlanStep
{
    Weight weight;                       // the canary's traffic share during the step
    std::chrono::seconds bake{300};      // how long the step lasts before it may advance
    std::int64_t minimumRequests = 1000; // per variant within the step, before a gate may pass
};

// What a step does when its bake ends and a gate is still Inconclusive (or a non-critical one
// failed, or data is missing).
enum class OnInconclusive {
    Pause,      // wait for a person (the default): Resume re-judges, Skip advances anyway
    ExtendBake, // bake again for extendBy, at most maxExtensions times, then pause
};
std::string_view toString(OnInconclusive action); // "pause", "extend"

struct Plan
{
    std::string name;
    std::vector<PlanStep> steps;      // at least one; weights strictly increasing, below 100 %
    analysis::JudgeSettings judge;    // gates and the family-wise alpha
    std::int64_t minimumLabels = 200; // per variant within a step, for the accuracy gate
    OnInconclusive onInconclusive = OnInconclusive::Pause;
    std::chrono::seconds extendBy{0}; // 0: the step's own bake
    int maxExtensions = 2;
    // End a bake early when every gate is proven within its tolerance (off by default).
    bool endBakeEarly = false;
    // From start to promotion; reaching it pauses the plan for a person. 0: no limit.
    std::chrono::seconds maxDuration{0};
    std::chrono::milliseconds interval{1000}; // how often the metrics are read and judged
    bool promoteAtEnd = true; // after the last step passes: promote (canary to 100 %)
};

// Parses a plan document. Every problem names the field: "<source>: steps[2].weight: must be
// above the previous step's 10 %". Unknown fields are refused, so a typo never silently falls
// back to a default.
std::optional<Plan> parsePlan(std::string_view text, std::string_view source, std::string *error);
std::optional<Plan> loadPlanFile(const std::string &path, std::string *error);

// The built-in plan (5 % → 25 % → 50 %, five minutes each, the default gates), also the one the
// demo runs.
Plan defaultPlan();

} // namespace canary::rollout
