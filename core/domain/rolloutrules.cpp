#include "rolloutrules.h"

#include "util/join.h"

namespace canary {

namespace {

bool holdsModel(const VariantInfo &variant)
{
    return !variant.model.empty() || !variant.version.empty();
}

// Sentences are built by appending: GCC 12's optimiser reports a false -Wrestrict on
// `"literal" + std::string&&`.
std::string describe(const VariantInfo &variant)
{
    std::string text = variant.model;
    if (!variant.version.empty()) {
        if (!text.empty())
            text += ' ';
        text += variant.version;
    }
    return text.empty() ? std::string("an unnamed model") : text;
}

std::string quoted(RolloutPhase phase)
{
    return join({"\"", toString(phase), "\""});
}

} // namespace

RolloutReading readRollout(const RolloutState &state)
{
    RolloutReading reading;
    reading.reportedPhase = state.phase;
    reading.phase = state.phase;
    reading.updating = state.updating;

    const bool slotFilled = state.canary && holdsModel(*state.canary);
    if (state.canary && !slotFilled) {
        if (!state.canaryWeight().isZero()) {
            // Traffic goes somewhere: keep the slot so the operator can take the weight back.
            reading.canary = state.canary;
            reading.deviations.push_back(join(
                {"The backend lists a canary without a model or version that receives ",
                 state.canaryWeight().toString(),
                 " % of traffic; the console still offers the levers so that traffic can be sent "
                 "back to production."}));
        } else {
            reading.deviations.push_back(join(
                {"The backend keeps an empty canary entry (no model, no version, 0 %) in state ",
                 quoted(state.phase), "; the console treats the canary slot as empty."}));
        }
    } else if (slotFilled) {
        reading.canary = state.canary;
    }

    switch (state.phase) {
    case RolloutPhase::Canary:
        if (!reading.canary) {
            reading.phase = RolloutPhase::Stable;
            reading.deviations.push_back("The backend reports state \"canary\" but lists no "
                                         "canary model; the console treats no canary as staged.");
        }
        break;
    case RolloutPhase::Stable:
    case RolloutPhase::Promoted:
        if (reading.canary) {
            // The spec has no canary in these states; the document shows one, so a canary is
            // staged whatever the state field says, and the levers must reach it.
            reading.phase = RolloutPhase::Canary;
            reading.deviations.push_back(
                join({"The backend reports state ", quoted(state.phase), " while canary ",
                      describe(*reading.canary), " is in the canary slot at ",
                      state.canaryWeight().toString(),
                      " %; the console treats it as a staged canary (the Control API spec says "
                      "\"canary\")."}));
        }
        break;
    case RolloutPhase::RolledBack:
        if (reading.canary && !state.canaryWeight().isZero()) {
            reading.phase = RolloutPhase::Canary;
            reading.deviations.push_back(join(
                {"The backend reports state \"rolled_back\" while canary ",
                 describe(*reading.canary), " still receives ", state.canaryWeight().toString(),
                 " % of traffic; the console offers the levers as for a staged canary."}));
        }
        break;
    }
    return reading;
}

LeverDecision decideLever(Lever lever, const RolloutReading &reading,
                          const ControlPlaneCapabilities &backend)
{
    if (reading.updating)
        return {false, join({"The ", backend.kind,
                             " backend is still applying the last change. Wait until it "
                             "has finished."})};
    if (lever == Lever::Stage && !backend.staging)
        return {false, join({"A ", backend.kind,
                             " backend cannot stage a model: the canary is what its canary "
                             "server runs. Deploy the new model there with your own tooling, "
                             "then move its weight here."})};
    const bool staged = reading.canaryStaged();
    switch (lever) {
    case Lever::SetWeight:
    case Lever::Promote:
    case Lever::Rollback:
        if (staged)
            return {true, {}};
        if (reading.phase == RolloutPhase::RolledBack)
            return {false, "The canary was rolled back and serves no traffic. Stage a canary to "
                           "try again."};
        if (reading.phase == RolloutPhase::Promoted)
            return {false, "The last canary was promoted; no canary is staged. Stage the next "
                           "one to continue."};
        return {false, "No canary is staged. Stage one to start a rollout."};
    case Lever::Stage:
        if (!staged)
            return {true, {}};
        if (reading.canary->weight.isZero())
            return {true, {}}; // at 0 % nobody is served by it, so it can be replaced
        return {false, join({"A canary is serving ", reading.canary->weight.toString(),
                             " % of traffic. Roll it back (or set it to 0 %) before staging "
                             "another."})};
    }
    return {};
}

} // namespace canary
