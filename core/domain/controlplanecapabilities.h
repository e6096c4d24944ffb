#pragma once

#include "weight.h"

#include <string>

namespace canary {

// What one kind of control plane can do. The console and canaryctl offer, word and confirm
// according to this, never according to the kind's name.
struct ControlPlaneCapabilities
{
    std::string kind; // "Control API", "HAProxy": named in the UI and in errors
    // The backend numbers its states and refuses an action decided on an older one (If-Match):
    // a concurrent change by someone else is detected. Without revisions the adapter re-reads
    // before and after every action, and confirmations say that a concurrent change cannot be
    // detected.
    bool revisions = false;
    bool staging = false; // stageCanary() can put a new model into the canary slot
    // A change is accepted first and applied over time; RolloutState::updating is set meanwhile
    // and no second change is sent until it ends.
    bool convergesOverTime = false;
    // The finest canary weight step the backend applies; nearestWeight() says what a request
    // becomes.
    Weight resolution = Weight::fromTenths(1);
    // Changes need BackendOptions::token (the Control API's bearer token); other kinds rely on
    // the access the socket or the credentials give.
    bool changesNeedToken = false;
};

// The Control API's (docs/control-api.md): revisions (If-Match), staging, every change applied at
// once on the 0.1 % grid, a bearer token for changes. The Control API client reports these, and
// the reference gateway decides its levers by them.
inline ControlPlaneCapabilities controlApiCapabilities()
{
    ControlPlaneCapabilities capabilities;
    capabilities.kind = "Control API";
    capabilities.revisions = true;
    capabilities.staging = true;
    capabilities.convergesOverTime = false;
    capabilities.resolution = Weight::fromTenths(1);
    capabilities.changesNeedToken = true;
    return capabilities;
}

} // namespace canary
