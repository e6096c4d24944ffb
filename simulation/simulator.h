#pragma once

#include "simulationscenario.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Whole rollouts in virtual time, one policy against another (docs/simulation.md).
namespace canary::simulation {

// How one run ended for one policy. Times are seconds since the rollout began.
struct RunOutcome
{
    enum class End {
        RolledBack,
        Promoted,
        Undecided, // neither by the end (e.g. the plan paused for a person)
    };
    End end = End::Undecided;
    double atS = 0;
    std::int64_t canaryRequests = 0; // served to the canary until the end (from the regression on)
    std::string decidedBy;           // the project's policy: the gates that failed, "a+b"
};

// Quantiles over all runs of a regression scenario; a run without a detection counts as never
// (+infinity), so a median is finite only when more than half the runs detected.
struct Spread
{
    double median = 0;
    double p90 = 0;
};

struct PolicyReport
{
    std::string name;        // "ours", "oracle", "flagger-1", ...
    std::string description; // one line: what the policy checks
    int runs = 0;
    int rollbacks = 0;
    int promotions = 0;
    int undecided = 0;
    int falseRollbacks = 0; // in a healthy scenario, or before the regression began
    int detections = 0;     // rollbacks at or after the regression began
    double falseRollbackRate = 0;
    std::optional<double> detectionRate;            // regression scenarios only
    std::optional<Spread> timeToRollbackS;          // since the regression began
    std::optional<Spread> canaryRequestsToRollback; // since the regression began
    std::optional<Spread> timeToPromotionS;         // healthy scenarios, over promoted runs
    std::map<std::string, int> rollbacksBy;         // the project's policy: by failing gate(s)
};

struct SimulationReport
{
    std::string scenario;
    int runs = 0;
    std::uint64_t seed = 0;
    bool regression = false;
    std::vector<PolicyReport> policies;
    std::vector<std::string> notes; // e.g. how the tuned thresholds came out
    double elapsedSeconds = 0;      // wall-clock time of the whole simulation
};

// Every policy's name, in report order.
const std::vector<std::string> &policyNames();

struct SimulationOptions
{
    int runs = 100;
    std::uint64_t seed = 1;
    std::vector<std::string> policies; // empty: all
    std::int64_t kayentaIntervalS = 300;
    // Called after each run of each pass (for progress output); may be empty.
    std::function<void(const std::string &pass, int done, int total)> progress;
};

// Runs the scenario `runs` times for every policy asked for; run i of every policy sees the same
// traffic (seeded by the seed and i) as long as the weights agree. nullopt with `error` for an
// unknown policy or a bad option.
std::optional<SimulationReport> simulate(const SimulationScenario &scenario,
                                         const SimulationOptions &options, std::string *error);

std::string formatReport(const SimulationReport &report);
nlohmann::json toJson(const SimulationReport &report);

// The seed of run `run` from the simulation's seed.
std::uint64_t runSeed(std::uint64_t seed, int run);

} // namespace canary::simulation
