#pragma once

#include "controlplanecapabilities.h"
#include "rolloutstate.h"

#include <optional>
#include <string>
#include <vector>

namespace canary {

// A rollout document read as a whole. Backends written by other teams bend the spec (state
// "stable" right after a stage, an empty canary entry kept after promote); the levers must follow
// what the document shows as a whole, and the operator is told once, plainly, where it deviates.
struct RolloutReading
{
    RolloutPhase reportedPhase = RolloutPhase::Stable; // what the backend said
    RolloutPhase phase = RolloutPhase::Stable;         // what the console acts on
    // The canary slot holds a model (and version): the canary that levers act on.
    std::optional<VariantInfo> canary;
    // Full sentences, one per way the document deviates from the Control API spec.
    std::vector<std::string> deviations;

    bool updating = false; // the backend is still applying a change

    bool canaryStaged() const { return phase == RolloutPhase::Canary && canary.has_value(); }
};

RolloutReading readRollout(const RolloutState &state);

// The levers of a rollout. Whether one is offered is decided here and nowhere else.
enum class Lever { SetWeight, Promote, Rollback, Stage };

struct LeverDecision
{
    bool allowed = false;
    std::string why; // when not allowed: a full sentence the operator can act on
};

// What `backend` can do counts as much as the rollout's state: a kind without staging never
// offers Stage, and nothing is offered while the backend is still applying a change.
LeverDecision decideLever(Lever lever, const RolloutReading &reading,
                          const ControlPlaneCapabilities &backend);

} // namespace canary
