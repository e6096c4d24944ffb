#pragma once

#include "domain/controlplanecapabilities.h"
#include "domain/rolloutstate.h"
#include "domain/weight.h"

#include <nlohmann/json_fwd.hpp>

#include <QObject>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace canary {

// Why a call to a control plane did not succeed, in words an operator can act on. The kinds are
// the Control API's; other backends map their failures onto them (an HAProxy socket below admin
// level is Unauthorized, an unknown server Rejected) and put the system's own words in `detail`,
// naming the system ("HAProxy runtime API at unix:///run/haproxy.sock: ...").
struct ControlError
{
    enum class Kind {
        None,
        Unreachable,   // no HTTP answer: refused, timed out, TLS (see requestSent)
        BadAnswer,     // an answer that is not a valid Control API document, or too large
        Unauthorized,  // 401/403
        Conflict,      // 409: the action does not fit the rollout's state
        StaleRevision, // 412: someone else changed the rollout; `current` holds the new state
        Rejected,      // any other 4xx: the request was refused
        ServerError,   // 5xx
    };

    Kind kind = Kind::None;
    long httpStatus = 0; // 0 for backends that do not speak HTTP
    std::string title;   // from problem+json, when there is one
    std::string detail;  // from problem+json, or the transport's error
    std::optional<RolloutState> current;
    // False only when the request certainly never left this machine (the connection was refused,
    // the host not found): then nothing can have been applied. True whenever it may have arrived,
    // so "not known whether the action arrived" is said only when it is true.
    bool requestSent = true;
    // Set when the answer was cut off for being larger than this many bytes (kind BadAnswer).
    std::size_t answerLimitBytes = 0;

    explicit operator bool() const { return kind != Kind::None; }
    // One line: "409 Conflict: no canary is staged".
    std::string message() const;
};

struct ControlResult
{
    std::optional<RolloutState> state;
    ControlError error;
    // The answer's body exactly as the backend sent it (empty when no answer came), for output
    // that must show the document as it is, such as `canaryctl status --json`.
    std::string body;
};

// The traffic side of a backend: reads the rollout and moves it. Every call is asynchronous; the
// callback runs on the thread of `context` and is dropped if `context` is gone by then. Errors
// come back in ControlResult::error, never as exceptions, and an action that fails leaves the
// rollout as it was or says it cannot know (ControlError::requestSent).
//
// To add a kind of backend, see docs/backends.md: implement this (and MetricsSource when the kind
// has metrics), then add its URL scheme to backends/backendfactory.cpp.
class ControlPlane : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(ControlResult)>;
    using QObject::QObject;

    virtual ControlPlaneCapabilities capabilities() const = 0;
    // Where the backend is, fit to show and log: never a secret.
    virtual std::string address() const = 0;
    // The canary weight the backend will really apply when `requested` is asked for (HAProxy's
    // integer server weights cannot express every tenth of a percent).
    virtual Weight nearestWeight(Weight requested) const { return requested; }

    virtual void fetchState(QObject *context, Callback onDone) = 0;
    // `revision` is the revision the decision was made on; a kind without revisions ignores it.
    virtual void setCanaryWeight(Weight weight, std::int64_t revision, QObject *context,
                                 Callback onDone) = 0;
    virtual void promote(std::int64_t revision, QObject *context, Callback onDone) = 0;
    virtual void rollback(std::int64_t revision, QObject *context, Callback onDone) = 0;
    // `canary` holds model, version and whatever the backend needs to serve it. Kinds without
    // staging answer with a Rejected error saying so.
    virtual void stageCanary(const nlohmann::json &canary, std::int64_t revision, QObject *context,
                             Callback onDone) = 0;
};

} // namespace canary
