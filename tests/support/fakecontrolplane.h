#pragma once

#include "answerqueue.h"

#include "backends/controlplane.h"
#include "domain/rolloutrules.h"
#include "domain/rolloutstate.h"
#include "util/clock.h"

#include <nlohmann/json.hpp>

#include <QStringList>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canary::testing {

// A ControlPlane without a socket, for monitor, action and window tests. It keeps a
// RolloutState and applies the levers with the Control API's semantics (docs/control-api.md,
// as gateway/rolloutcontroller.cpp does): a request that would change nothing answers with the
// current state even on a stale revision; with revisions, any other request on a stale revision
// is refused with StaleRevision (412, `current` set); a lever the rollout does not offer is
// refused with Conflict (409) and the sentence of decideLever(); every change bumps the revision
// (when the kind has revisions) and sets updatedAt from the clock.
//
// Answers never come inside the call: they arrive on the next turn of the event loop as a queued
// invocation on the context (see AnswerQueue), or wait until released while holdAnswers(true).
// Drive them with QCoreApplication::processEvents() or QTRY_*. The change itself is made when
// the call is made, as a backend applies a request when it arrives: a held answer is a slow way
// back, not a slow backend.
class FakeControlPlane final : public ControlPlane
{
    Q_OBJECT

public:
    enum class Request { FetchState, SetCanaryWeight, Promote, Rollback, StageCanary };
    static std::string_view toString(Request request); // "fetchState", "setCanaryWeight", ...

    struct Call
    {
        Request request = Request::FetchState;
        std::optional<Weight> weight; // setCanaryWeight: the weight asked for
        std::int64_t revision = 0;    // the revision the call was decided on (0 for fetchState)
        nlohmann::json canary;        // stageCanary: the document asked for
    };

    // Production m 1.0 at 100 % and canary m 2.0 at `canaryWeight`, state "canary", revision 1.
    static RolloutState canaryAt(Weight canaryWeight, std::int64_t revision = 1);
    // Production m 1.0 at 100 %, no canary, state "stable", revision 1.
    static RolloutState stable(std::int64_t revision = 1);

    explicit FakeControlPlane(RolloutState state = canaryAt(Weight()), QObject *parent = nullptr);

    // The kind "Fake control plane" with revisions and staging, applied at once, 0.1 % steps.
    // convergesOverTime is only reported: the fake applies every change at once.
    static ControlPlaneCapabilities defaultCapabilities();
    void setCapabilities(ControlPlaneCapabilities capabilities);
    void setAddress(std::string address) { m_address = std::move(address); }
    // The clock updatedAt is taken from; the system clock unless set. Must outlive the fake.
    void setClock(const Clock &clock) { m_clock = &clock; }

    // The backend's truth, as the next call will find it.
    const RolloutState &state() const { return m_state; }
    // Changes the rollout behind the console's back (another operator, another tool). Taken as
    // it is: the revision is the test's to choose.
    void setState(RolloutState state) { m_state = std::move(state); }

    // Every call in the order made, failed ones included.
    const std::vector<Call> &calls() const { return m_calls; }
    // The calls as short lines for QCOMPARE: "fetchState", "setCanaryWeight 25.0 @3",
    // "promote @3", "rollback @3", "stageCanary m 2.1 @3".
    QStringList callLog() const;
    int callCount(Request request) const;
    void clearCalls() { m_calls.clear(); }

    // Scripted failures, used in the order queued. Each answers one call instead of the fake's
    // own logic, and nothing is applied. With `only` set it answers only a call of that kind
    // (a failure for promote is not used up by the monitor's polling); calls of other kinds pass
    // it by and take the next failure that fits, if any.
    void failNext(ControlError error, std::optional<Request> only = std::nullopt);
    // As failNext, but the change is applied before the failure is answered: a request that
    // arrived whose answer was lost (Unreachable with requestSent, a timeout).
    void failNextAfterApplying(ControlError error, std::optional<Request> only = std::nullopt);
    int scriptedFailures() const { return int(m_failures.size()); }

    // Ready-made errors shaped like the Control API client's.
    static ControlError unreachable(bool requestSent); // refused (false) or timed out (true)
    static ControlError serverError(std::string detail = "internal error");
    static ControlError staleRevision(const RolloutState &current, std::int64_t asked);

    // Holding answers (see AnswerQueue).
    void holdAnswers(bool on) { m_answers.hold(on); }
    int pendingCount() const { return m_answers.pendingCount(); }
    bool releaseNext() { return m_answers.releaseNext(); }
    int releaseAll() { return m_answers.releaseAll(); }
    void dropHeldAnswers() { m_answers.dropAll(); }

    // ControlPlane
    ControlPlaneCapabilities capabilities() const override { return m_capabilities; }
    std::string address() const override { return m_address; }
    // Rounds to the nearest step of capabilities().resolution.
    Weight nearestWeight(Weight requested) const override;
    void fetchState(QObject *context, Callback onDone) override;
    void setCanaryWeight(Weight weight, std::int64_t revision, QObject *context,
                         Callback onDone) override;
    void promote(std::int64_t revision, QObject *context, Callback onDone) override;
    void rollback(std::int64_t revision, QObject *context, Callback onDone) override;
    void stageCanary(const nlohmann::json &canary, std::int64_t revision, QObject *context,
                     Callback onDone) override;

private:
    struct Failure
    {
        ControlError error;
        std::optional<Request> only;
        bool applyFirst = false;
    };

    // The answer of one request on the current state, changing it when the request applies.
    using Apply = std::function<ControlResult()>;

    void handle(Call call, QObject *context, Callback onDone, const Apply &apply);
    std::optional<Failure> takeFailure(Request request);
    ControlResult answerWithState() const;
    ControlResult refuse(ControlError error) const;
    // Stale revision (when the kind has them), else the rule's refusal, else nullopt: go ahead.
    std::optional<ControlResult> precondition(std::int64_t revision, Lever lever) const;
    void bump();

    ControlResult applySetWeight(Weight weight, std::int64_t revision);
    ControlResult applyPromote(std::int64_t revision);
    ControlResult applyRollback(std::int64_t revision);
    ControlResult applyStage(const nlohmann::json &canary, std::int64_t revision);

    RolloutState m_state;
    ControlPlaneCapabilities m_capabilities = defaultCapabilities();
    std::string m_address = "fake://control-plane";
    const Clock *m_clock = &SystemClock::instance();
    std::vector<Call> m_calls;
    std::deque<Failure> m_failures;
    AnswerQueue m_answers;
};

} // namespace canary::testing
