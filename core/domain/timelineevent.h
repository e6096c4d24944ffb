#pragma once

#include "rolloutstate.h"

#include <optional>
#include <string>

namespace canary {

// Something that happened at a moment and belongs on the time axis of every chart: an action
// (by the operator or a plan), a variant's model or version changing, or the backend restarting.
// Charts draw it as a marker with `label` beside it and `detail` as its tooltip.
struct TimelineEvent
{
    enum class Kind {
        Action,        // weight change, promote, rollback, stage: sent by this console or a plan
        VersionChange, // a variant now serves another model or version
        Restart,       // counters reset or the revision went backwards: the backend restarted
    };

    SystemTime time{};
    Kind kind = Kind::Action;
    std::optional<VariantRole> role; // the column it concerns; nullopt: both
    std::string label;               // short, drawn on the chart ("promote", "v2.1")
    std::string detail;              // a full sentence for the tooltip

    bool operator==(const TimelineEvent &) const = default;
};

} // namespace canary
