#include "plancontroller.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace canary::rollout {

namespace {

using std::chrono::milliseconds;

std::string percent(Weight weight)
{
    return weight.toString() + " %";
}

// "300 s", "2.5 s": bakes and windows as a person reads them.
std::string secondsText(milliseconds duration)
{
    const auto ms = duration.count();
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + " s";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", double(ms) / 1000.0);
    return buf;
}

bool passes(analysis::Verdict verdict)
{
    return verdict == analysis::Verdict::Pass || verdict == analysis::Verdict::Better;
}

// "errors: <sentence>; latency: <sentence>" for the gates that match `which`.
template<typename Predicate>
std::string gateSentences(const analysis::Judgement &judgement, Predicate which)
{
    std::string text;
    for (const analysis::GateResult &gate : judgement.gates) {
        if (!which(gate))
            continue;
        if (!text.empty())
            text += "; ";
        text += "gate " + gate.spec.name + ": " + std::string(analysis::toString(gate.verdict));
        if (!gate.sentence.empty())
            text += ", " + gate.sentence;
    }
    return text;
}

} // namespace

std::string_view toString(RunPhase phase)
{
    switch (phase) {
    case RunPhase::Idle:
        return "idle";
    case RunPhase::Applying:
        return "applying";
    case RunPhase::Baking:
        return "baking";
    case RunPhase::Paused:
        return "paused";
    case RunPhase::Promoting:
        return "promoting";
    case RunPhase::RollingBack:
        return "rolling-back";
    case RunPhase::Promoted:
        return "promoted";
    case RunPhase::RolledBack:
        return "rolled-back";
    case RunPhase::Stopped:
        return "stopped";
    case RunPhase::Failed:
        return "failed";
    }
    return "unknown";
}

bool isFinished(RunPhase phase)
{
    return phase == RunPhase::Promoted || phase == RunPhase::RolledBack ||
           phase == RunPhase::Stopped || phase == RunPhase::Failed;
}

std::string_view toString(DecisionKind kind)
{
    switch (kind) {
    case DecisionKind::Start:
        return "start";
    case DecisionKind::SetWeight:
        return "set-weight";
    case DecisionKind::Advance:
        return "advance";
    case DecisionKind::EndBakeEarly:
        return "end-bake-early";
    case DecisionKind::ExtendBake:
        return "extend-bake";
    case DecisionKind::Pause:
        return "pause";
    case DecisionKind::Resume:
        return "resume";
    case DecisionKind::Skip:
        return "skip";
    case DecisionKind::Promote:
        return "promote";
    case DecisionKind::Rollback:
        return "rollback";
    case DecisionKind::Hold:
        return "hold";
    case DecisionKind::Override:
        return "override";
    case DecisionKind::Error:
        return "error";
    }
    return "unknown";
}

struct PlanController::Private
{
    // Why the plan is paused: each asks something different of resume().
    enum class PauseKind {
        None,
        MidBake,    // by a person, or the maximum duration: the bake's rest is frozen
        BakeEnded,  // the gates did not decide at the end of a bake: resume re-judges
        PlanDone,   // the last step passed and the plan does not promote: nothing to resume
        AfterApply, // asked while a weight was on its way: the bake starts paused
    };
    enum class Manual { None, Promote, Rollback };

    Private(PlanController *owner, Plan p, ControlPlane *c, MetricsSource *m, Scheduler &s,
            ControllerOptions o)
        : q(owner)
        , plan(std::move(p))
        , control(c)
        , metrics(m)
        , scheduler(s)
        , options(o)
        , judge(plan.judge)
    {}

    PlanController *q;
    Plan plan;
    ControlPlane *control;
    MetricsSource *metrics;
    Scheduler &scheduler;
    ControllerOptions options;
    PlanController::ActionGate actionGate;
    analysis::Judge judge;

    RunPhase phase = RunPhase::Idle;
    int step = -1;
    std::string pauseReason;
    PauseKind pauseKind = PauseKind::None;
    analysis::Judgement judgement;
    std::vector<Decision> decisions;
    std::optional<RolloutState> state;
    std::optional<KpiSnapshot> lastWindow; // the last window judged
    std::unique_ptr<Timer> ticker;
    SystemTime startedAt{};

    // The bake of the current step: nullopt until its weight is applied (and, on a backend that
    // converges over time, has converged).
    std::optional<SystemTime> bakeStartedAt;
    milliseconds bakeLength{0};
    milliseconds frozenRemaining{0}; // while paused mid-bake
    int extensions = 0;

    // The canary weight the plan set, as the backend applies it: anything else is an override.
    std::optional<Weight> expectedWeight;

    bool readInFlight = false;
    bool fetchInFlight = false;
    bool actionInFlight = false;
    // Bumped when an action is sent: a state read sent before it says nothing about overrides.
    std::uint64_t actionGeneration = 0;
    Manual queuedManual = Manual::None;

    std::optional<SystemTime> lastEnd; // the end of the last interval given to the judge
    bool metricsFailing = false;       // the last read gave no usable data
    bool controlFailing = false;       // the last state read failed
    std::string metricsHoldCause;      // the cause said last, so each is said once
    std::string controlHoldCause;
    bool maxDurationSaid = false;
    bool maxDurationWaived = false; // a person resumed after the limit: it is theirs now

    SystemTime now() const { return scheduler.clock().now(); }
    const PlanStep *currentStep() const
    {
        return step >= 0 && step < int(plan.steps.size()) ? &plan.steps[std::size_t(step)]
                                                          : nullptr;
    }
    std::int64_t minimumRequests() const
    {
        const PlanStep *s = currentStep();
        return s ? s->minimumRequests : 0;
    }
    analysis::Judgement evaluate() const
    {
        return judge.evaluate(minimumRequests(), plan.minimumLabels);
    }
    std::string stepName(int index) const
    {
        return "step " + std::to_string(index + 1) + " of " + std::to_string(plan.steps.size()) +
               " at " + percent(plan.steps[std::size_t(index)].weight);
    }
    std::string stepRequests() const
    {
        return analysis::formatCount(judge.stepRequests(VariantRole::Production)) +
               " production and " + analysis::formatCount(judge.stepRequests(VariantRole::Canary)) +
               " canary requests in the step";
    }
    // How far the judged data has come: the end of the last window given to the judge, or now.
    // For a source whose data lags behind now (CloudWatch's minutes), a bake ends once its data
    // covers the whole bake, not when the clock says so.
    SystemTime dataTime() const { return lastEnd ? std::min(now(), *lastEnd) : now(); }

    std::optional<milliseconds> remaining() const
    {
        if (bakeStartedAt)
            return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                                 *bakeStartedAt + bakeLength - dataTime()));
        if (phase == RunPhase::Paused && pauseKind == PauseKind::MidBake)
            return frozenRemaining;
        return std::nullopt;
    }

    // --- decisions and phases

    Decision make(DecisionKind kind, bool automatic, std::string reason) const
    {
        Decision made;
        made.time = now();
        made.kind = kind;
        made.automatic = automatic;
        made.step = step;
        made.reason = std::move(reason);
        made.judgement = judgement;
        return made;
    }

    std::size_t decide(Decision decision)
    {
        decisions.push_back(std::move(decision));
        const std::size_t index = decisions.size() - 1;
        // A copy: a receiver may make the controller decide again, which can move the vector.
        const Decision emitted = decisions.back();
        Q_EMIT q->decided(emitted);
        return index;
    }

    // Whether the decision at `index` may be sent (PlanController::setActionGate): empty, or why
    // not.
    std::string gateRefusal(std::size_t index) const
    {
        return actionGate ? actionGate(decisions[index]) : std::string();
    }

    // A decision that could not be recorded is not sent: it fails with the reason, and so does
    // the plan, which leaves the rollout as it is.
    void refuseUnrecorded(std::size_t index, const std::string &why)
    {
        Decision &made = decisions[index];
        made.outcome = Decision::Outcome::Failed;
        made.error = why;
        const Decision emitted = made;
        Q_EMIT q->decided(emitted);
        fail("the plan stopped before sending its decision, which could not be recorded: " + why +
                 "; nothing was sent and the rollout stays as it is",
             why);
    }

    // The answer to a decision's action: the state it reports first, so that whoever hears the
    // outcome reads the rollout as it is now.
    void settle(std::size_t index, const ControlResult &result)
    {
        const ControlError &error = result.error;
        if (!error && result.state)
            state = result.state;
        Decision &made = decisions[index];
        made.outcome = error ? Decision::Outcome::Failed : Decision::Outcome::Succeeded;
        made.error = error.message();
        const Decision emitted = made;
        Q_EMIT q->decided(emitted);
    }

    void setPhase(RunPhase next)
    {
        if (phase == next)
            return;
        phase = next;
        if (next != RunPhase::Paused) {
            pauseKind = PauseKind::None;
            pauseReason.clear();
        }
        if (isFinished(next)) {
            ticker->stop();
            bakeStartedAt.reset();
        }
        Q_EMIT q->phaseChanged(next);
    }

    void pauseFor(PauseKind kind, Decision decision)
    {
        if (bakeStartedAt && kind == PauseKind::MidBake) {
            frozenRemaining = *remaining();
        }
        bakeStartedAt.reset();
        pauseKind = kind;
        pauseReason = decision.reason;
        decide(std::move(decision));
        setPhase(RunPhase::Paused); // keeps pauseKind and pauseReason, as it is Paused
    }

    void fail(std::string reason, std::string error = {})
    {
        Decision made = make(DecisionKind::Error, true, std::move(reason));
        // Not an action of its own: the outcome stays None, the error is the backend's words.
        made.error = std::move(error);
        decide(std::move(made));
        setPhase(RunPhase::Failed);
    }

    void overrideBy(std::string reason, bool automatic)
    {
        decide(make(DecisionKind::Override, automatic, std::move(reason)));
        setPhase(RunPhase::Stopped);
    }

    std::string holdsStep() const
    {
        const PlanStep *s = currentStep();
        return "the plan holds " + (s ? "the " + percent(s->weight) + " step" : "the rollout") +
               " and will not advance on missing data";
    }

    void holdOnce(std::string &said, const std::string &cause, const std::string &reason)
    {
        if (said == cause)
            return;
        said = cause;
        decide(make(DecisionKind::Hold, true, reason));
    }

    // --- the loop

    void tick()
    {
        if (isFinished(phase))
            return;
        ticker->start(plan.interval);
        checkMaxDuration();
        if (isFinished(phase))
            return;
        if (!fetchInFlight && !actionInFlight)
            fetch();
        // Single flight: a read still out is not doubled; its window grows instead.
        if (!readInFlight)
            read();
    }

    void checkMaxDuration()
    {
        if (plan.maxDuration.count() <= 0 || maxDurationSaid || maxDurationWaived ||
            phase != RunPhase::Baking)
            return;
        if (now() - startedAt < plan.maxDuration)
            return;
        maxDurationSaid = true;
        pauseFor(PauseKind::MidBake,
                 make(DecisionKind::Pause, true,
                      "the plan's maximum duration of " + secondsText(plan.maxDuration) +
                          " was reached at " + stepName(step) +
                          "; it will not advance without a person: resume to go on, skip, "
                          "promote or roll back"));
    }

    void fetch()
    {
        fetchInFlight = true;
        const std::uint64_t generation = actionGeneration;
        control->fetchState(q, [this, generation](ControlResult result) {
            fetchInFlight = false;
            onState(std::move(result), generation);
        });
    }

    void onState(ControlResult result, std::uint64_t generation)
    {
        if (isFinished(phase) || actionInFlight || generation != actionGeneration)
            return;
        if (result.error || !result.state) {
            controlFailing = true;
            const std::string message = result.error.message();
            holdOnce(controlHoldCause, message,
                     "the rollout at " + control->address() + " could not be read: " + message +
                         "; the plan cannot see changes made outside it and will not advance "
                         "until it reads the rollout again");
            return;
        }
        controlFailing = false;
        controlHoldCause.clear();
        state = result.state;
        if (noticeOverride())
            return;
        // A backend that applies a change over time: the bake starts once it is done.
        if (phase == RunPhase::Applying && !bakeStartedAt && expectedWeight && !state->updating)
            beginBake();
    }

    // True (and the plan stopped) when the rollout changed outside the plan.
    bool noticeOverride()
    {
        if (state->updating)
            return false;
        std::string what;
        if (state->phase == RolloutPhase::Promoted)
            what = "the rollout was promoted outside the plan";
        else if (state->phase == RolloutPhase::RolledBack)
            what = "the rollout was rolled back outside the plan";
        else if (state->phase != RolloutPhase::Canary || !state->canary)
            what = "the canary slot was emptied outside the plan";
        else if (expectedWeight && state->canaryWeight() != *expectedWeight)
            what = "the canary weight moved to " + percent(state->canaryWeight()) +
                   " outside the plan (the plan set " + percent(*expectedWeight) + ")";
        if (what.empty())
            return false;
        overrideBy(what + " (revision " + std::to_string(state->revision) +
                       "); the plan stops and sends nothing more",
                   true);
        return true;
    }

    void read()
    {
        readInFlight = true;
        // Each window starts where the last judged one ended, so none overlap and none leave a
        // gap the source could have filled.
        auto onDone = [this](MetricsReading reading) {
            readInFlight = false;
            onReading(std::move(reading));
        };
        if (!lastEnd) {
            metrics->read({plan.interval}, q, std::move(onDone));
            return;
        }
        const auto since = std::chrono::duration_cast<milliseconds>(now() - *lastEnd);
        metrics->readSince(*lastEnd, since > milliseconds(0) ? since : plan.interval, q,
                           std::move(onDone));
    }

    std::string metricsName() const
    {
        return "metrics from " + metrics->capabilities().kind + " at " + metrics->address();
    }

    void onReading(MetricsReading reading)
    {
        if (isFinished(phase))
            return;
        if (!reading.ok()) {
            metricsFailing = true;
            holdOnce(metricsHoldCause, reading.error,
                     metricsName() + " could not be read: " + reading.error + "; " + holdsStep());
            return;
        }
        const std::optional<KpiSnapshot> &window =
            reading.windows.empty() ? std::nullopt : reading.windows.front();
        // No window yet (a scraping source's first scrape is only a baseline): nothing to add,
        // nothing wrong.
        if (window) {
            const std::optional<analysis::JudgeInterval> interval = analysis::intervalFrom(*window);
            if (!interval) {
                metricsFailing = true;
                const std::string why = !window->kpis.error.empty()
                                            ? window->kpis.error
                                            : "a variant's request count is unknown";
                holdOnce(metricsHoldCause, why,
                         metricsName() + " gave a window the judge cannot use: " + why + "; " +
                             holdsStep());
                return;
            }
            // An overlapping window is skipped (the judge would refuse it): the next one starts
            // at the end of the last judged one again.
            if (!lastEnd || interval->from >= *lastEnd) {
                if (!judge.add(*interval)) {
                    metricsFailing = true;
                    const std::string why = "the window holds impossible counts";
                    holdOnce(metricsHoldCause, why,
                             metricsName() + " gave a window the judge cannot use: " + why + "; " +
                                 holdsStep());
                    return;
                }
                lastEnd = interval->to;
                lastWindow = *window;
            }
        }
        metricsFailing = false;
        metricsHoldCause.clear();
        afterInterval();
    }

    void afterInterval()
    {
        if (options.liveJudgement)
            judgement = evaluate();
        const bool guarding =
            phase == RunPhase::Baking || phase == RunPhase::Paused || phase == RunPhase::Applying;
        if (guarding && !actionInFlight && judge.criticalFailure()) {
            judgement = evaluate();
            Q_EMIT q->judged();
            rollBack(make(DecisionKind::Rollback, true,
                          "a critical gate failed at " +
                              (step >= 0 ? stepName(step) : std::string("the start")) + ": " +
                              judgement.sentence + "; the canary goes back to 0 %"));
            return;
        }
        Q_EMIT q->judged();
        if (phase == RunPhase::Baking)
            checkBake();
    }

    void checkBake()
    {
        if (!bakeStartedAt)
            return;
        const auto elapsed = std::chrono::duration_cast<milliseconds>(dataTime() - *bakeStartedAt);
        if (elapsed < bakeLength) {
            if (plan.endBakeEarly)
                checkEarlyEnd(elapsed);
            return;
        }
        // Missing data holds the step: the Hold said why; the plan advances on data only.
        if (metricsFailing || controlFailing)
            return;
        endOfBake();
    }

    void checkEarlyEnd(milliseconds elapsed)
    {
        const analysis::Judgement current = evaluate();
        const bool proven =
            !current.gates.empty() &&
            std::all_of(current.gates.begin(), current.gates.end(),
                        [](const auto &g) { return passes(g.verdict) && g.provenWithinTolerance; });
        if (!proven || metricsFailing || controlFailing)
            return;
        judgement = current;
        decide(make(DecisionKind::EndBakeEarly, true,
                    "every gate is proven within its tolerance after " + secondsText(elapsed) +
                        " of the " + secondsText(bakeLength) + " bake (" + stepRequests() +
                        "): " + judgement.sentence));
        advance(true);
    }

    void endOfBake()
    {
        judgement = evaluate();
        Q_EMIT q->judged();
        const auto &gates = judgement.gates;
        const bool noData = std::any_of(gates.begin(), gates.end(), [](const auto &g) {
            return g.verdict == analysis::Verdict::NoData;
        });
        if (noData) {
            pauseFor(PauseKind::BakeEnded,
                     make(DecisionKind::Pause, true,
                          "the bake of " + stepName(step) +
                              " ended without data for every gate, and the plan never advances "
                              "on missing data: " +
                              gateSentences(judgement,
                                            [](const auto &g) {
                                                return g.verdict == analysis::Verdict::NoData;
                                            }) +
                              "; waiting for a person"));
            return;
        }
        if (judgement.failed()) {
            rollBack(make(DecisionKind::Rollback, true,
                          "a critical gate failed at the end of the bake of " + stepName(step) +
                              ": " + judgement.sentence + "; the canary goes back to 0 %"));
            return;
        }
        if (std::all_of(gates.begin(), gates.end(),
                        [](const auto &g) { return passes(g.verdict); })) {
            advance(false);
            return;
        }
        const std::string undecided =
            gateSentences(judgement, [](const auto &g) { return !passes(g.verdict); });
        if (plan.onInconclusive == OnInconclusive::ExtendBake && extensions < plan.maxExtensions) {
            ++extensions;
            const milliseconds more = plan.extendBy.count() > 0 ? milliseconds(plan.extendBy)
                                                                : milliseconds(currentStep()->bake);
            bakeLength += more;
            decide(make(DecisionKind::ExtendBake, true,
                        "the gates did not decide at the end of the bake of " + stepName(step) +
                            " (" + stepRequests() + "): " + undecided + "; baking " +
                            secondsText(more) + " more (extension " + std::to_string(extensions) +
                            " of " + std::to_string(plan.maxExtensions) + ")"));
            return;
        }
        std::string why = "the gates did not decide at the end of the bake of " + stepName(step);
        if (plan.onInconclusive == OnInconclusive::ExtendBake)
            why += " after " + std::to_string(extensions) + " extensions";
        pauseFor(PauseKind::BakeEnded,
                 make(DecisionKind::Pause, true,
                      why + " (" + stepRequests() + "): " + undecided +
                          "; waiting for a person: resume re-judges, skip advances anyway"));
    }

    // The current step passed (or was ended by a person): the next step, or the end.
    void advance(bool early)
    {
        const bool last = step + 1 >= int(plan.steps.size());
        // The gates' own sentences carry the numbers the step passed on.
        const std::string passed =
            stepName(step) + (early ? " ended its bake early" : " passed its bake") + " (" +
            stepRequests() +
            "): " + gateSentences(judgement, [](const analysis::GateResult &) { return true; });
        if (!last) {
            Decision made =
                make(DecisionKind::Advance, true, passed + "; " + stepName(step + 1) + " begins");
            sendWeight(step + 1, std::move(made));
            return;
        }
        if (plan.promoteAtEnd) {
            promote(make(DecisionKind::Promote, true,
                         passed + "; it was the last step, so the canary is promoted to 100 %"));
            return;
        }
        pauseFor(PauseKind::PlanDone,
                 make(DecisionKind::Pause, true,
                      passed + "; the plan is done and does not promote by itself: promote or "
                               "roll back by hand"));
    }

    // --- actions

    std::int64_t revision() const { return state ? state->revision : 0; }

    void sendWeight(int nextStep, Decision decision)
    {
        const Weight weight = plan.steps[std::size_t(nextStep)].weight;
        step = nextStep;
        extensions = 0;
        bakeStartedAt.reset();
        decision.step = nextStep;
        decision.weight = weight;
        decision.outcome = Decision::Outcome::Pending;
        const std::size_t index = decide(std::move(decision));
        if (const std::string why = gateRefusal(index); !why.empty()) {
            refuseUnrecorded(index, why);
            return;
        }
        if (phase != RunPhase::Paused || pauseKind != PauseKind::AfterApply)
            setPhase(RunPhase::Applying);
        actionInFlight = true;
        ++actionGeneration;
        control->setCanaryWeight(weight, revision(), q, [this, index, weight](ControlResult r) {
            actionInFlight = false;
            onWeightDone(index, weight, std::move(r));
        });
    }

    void onWeightDone(std::size_t index, Weight weight, ControlResult result)
    {
        settle(index, result);
        if (isFinished(phase))
            return;
        if (result.error) {
            onActionRefused(result, "the backend did not take " + percent(weight) + " for " +
                                        stepName(step));
            return;
        }
        expectedWeight = control->nearestWeight(weight);
        if (runQueuedManual())
            return;
        if (state && state->updating)
            return; // the bake starts when a state read shows the change applied
        beginBake();
    }

    // A refused action: a concurrent change is an override, anything else a failure. The state
    // is read again so that what the plan reports is what the backend holds.
    void onActionRefused(const ControlResult &result, const std::string &what)
    {
        if (result.error.kind == ControlError::Kind::StaleRevision) {
            if (result.error.current)
                state = result.error.current;
            overrideBy(what + ": someone else changed the rollout meanwhile (" +
                           result.error.message() + "); the plan stops and sends nothing more",
                       true);
            return;
        }
        const std::string message = result.error.message();
        std::string reason = what + ": " + message + "; the plan stopped";
        if (result.error.requestSent && result.error.kind == ControlError::Kind::Unreachable)
            reason += " (the request may have arrived: check the rollout)";
        fail(reason, message);
        control->fetchState(q, [this](ControlResult r) {
            if (r.state)
                state = r.state;
        });
    }

    void beginBake()
    {
        const PlanStep *s = currentStep();
        if (!s)
            return;
        judge.startStep();
        bakeLength = s->bake;
        if (phase == RunPhase::Paused && pauseKind == PauseKind::AfterApply) {
            pauseKind = PauseKind::MidBake;
            frozenRemaining = bakeLength;
            return;
        }
        bakeStartedAt = now();
        setPhase(RunPhase::Baking);
    }

    void promote(Decision decision)
    {
        decision.weight = Weight::fromTenths(Weight::kMaxTenths);
        decision.outcome = Decision::Outcome::Pending;
        const std::size_t index = decide(std::move(decision));
        if (const std::string why = gateRefusal(index); !why.empty()) {
            refuseUnrecorded(index, why);
            return;
        }
        setPhase(RunPhase::Promoting);
        actionInFlight = true;
        ++actionGeneration;
        control->promote(revision(), q, [this, index](ControlResult r) {
            actionInFlight = false;
            settle(index, r);
            if (phase == RunPhase::Stopped)
                return;
            if (r.error) {
                onActionRefused(r, "the backend did not promote the canary");
                return;
            }
            setPhase(RunPhase::Promoted);
        });
    }

    void rollBack(Decision decision)
    {
        decision.weight = Weight();
        decision.outcome = Decision::Outcome::Pending;
        const std::size_t index = decide(std::move(decision));
        // Not gated (setActionGate): a rollback is sent even when it could not be recorded.
        setPhase(RunPhase::RollingBack);
        sendRollback(index, revision(), true);
    }

    void sendRollback(std::size_t index, std::int64_t rev, bool mayRetry)
    {
        actionInFlight = true;
        ++actionGeneration;
        control->rollback(rev, q, [this, index, mayRetry](ControlResult r) {
            actionInFlight = false;
            // Rolling back is the safe way: a concurrent change does not stop it, it is decided
            // again once on the state the backend reports.
            if (mayRetry && r.error.kind == ControlError::Kind::StaleRevision && r.error.current &&
                phase == RunPhase::RollingBack) {
                state = r.error.current;
                sendRollback(index, state->revision, false);
                return;
            }
            settle(index, r);
            if (phase == RunPhase::Stopped)
                return;
            if (r.error) {
                onActionRefused(r, "the backend did not roll the canary back");
                return;
            }
            setPhase(RunPhase::RolledBack);
        });
    }

    bool runQueuedManual()
    {
        const Manual manual = std::exchange(queuedManual, Manual::None);
        if (manual == Manual::Promote)
            promote(make(DecisionKind::Promote, false, manualPromoteReason()));
        else if (manual == Manual::Rollback)
            rollBack(make(DecisionKind::Rollback, false, manualRollbackReason()));
        return manual != Manual::None;
    }

    std::string where() const { return step >= 0 ? " at " + stepName(step) : std::string(); }
    std::string manualPromoteReason() const
    {
        return "promoted by a person" + where() + "; the plan ends";
    }
    std::string manualRollbackReason() const
    {
        return "rolled back by a person" + where() + "; the plan ends";
    }

    void start()
    {
        startedAt = now();
        std::string steps;
        for (const PlanStep &s : plan.steps)
            steps +=
                (steps.empty() ? "" : " → ") + percent(s.weight) + " for " + secondsText(s.bake);
        std::string gates;
        for (const analysis::GateSpec &g : plan.judge.gates)
            gates += (gates.empty() ? "" : ", ") + g.name + (g.critical ? " (critical)" : "");
        decide(make(DecisionKind::Start, false,
                    "plan \"" + plan.name + "\" started: " + steps +
                        (plan.promoteAtEnd ? ", then promote" : ", then wait for a person") +
                        "; gates: " + gates));
        setPhase(RunPhase::Applying);
        ticker->start(plan.interval);
        fetchInFlight = true;
        control->fetchState(q, [this](ControlResult r) {
            fetchInFlight = false;
            onStartState(std::move(r));
        });
        readInFlight = false;
        read();
    }

    void onStartState(ControlResult result)
    {
        if (isFinished(phase))
            return;
        if (result.error || !result.state) {
            fail("the rollout at " + control->address() +
                     " could not be read, so the plan did not start: " + result.error.message(),
                 result.error.message());
            return;
        }
        state = result.state;
        if (state->phase != RolloutPhase::Canary || !state->canary) {
            fail("the plan needs a staged canary, but the rollout is " +
                 std::string(canary::toString(state->phase)) + "; nothing was sent");
            return;
        }
        if (runQueuedManual())
            return;
        const Weight first = plan.steps.front().weight;
        if (state->canaryWeight() == control->nearestWeight(first)) {
            step = 0;
            expectedWeight = state->canaryWeight();
            decide(make(DecisionKind::SetWeight, true,
                        "the canary is already at " + percent(first) + ": " + stepName(0) +
                            " bakes for " + secondsText(plan.steps.front().bake)));
            if (!state->updating) // else the bake starts once a state read shows it applied
                beginBake();
            return;
        }
        Decision made =
            make(DecisionKind::SetWeight, true,
                 stepName(0) + ": the canary goes from " + percent(state->canaryWeight()) + " to " +
                     percent(first) + " for " + secondsText(plan.steps.front().bake));
        sendWeight(0, std::move(made));
    }
};

PlanController::PlanController(Plan plan, ControlPlane *control, MetricsSource *metrics,
                               Scheduler &scheduler, ControllerOptions options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this, std::move(plan), control, metrics, scheduler, options))
{
    d->ticker = scheduler.createTimer([this] { d->tick(); });
}

PlanController::~PlanController() = default;

void PlanController::start()
{
    if (d->phase != RunPhase::Idle)
        return;
    d->start();
}

void PlanController::pause()
{
    if (d->phase == RunPhase::Baking) {
        d->pauseFor(Private::PauseKind::MidBake,
                    d->make(DecisionKind::Pause, false,
                            "paused by a person at " + d->stepName(d->step) + " with " +
                                secondsText(d->remaining().value_or(milliseconds(0))) +
                                " of the bake left; the gates are still watched and a critical "
                                "failure still rolls back"));
    } else if (d->phase == RunPhase::Applying) {
        d->pauseFor(Private::PauseKind::AfterApply,
                    d->make(DecisionKind::Pause, false,
                            "paused by a person while the step's weight was applied; the bake "
                            "starts paused. The gates are still watched and a critical failure "
                            "still rolls back"));
    }
}

void PlanController::resume()
{
    if (d->phase != RunPhase::Paused || d->pauseKind == Private::PauseKind::PlanDone)
        return;
    const Private::PauseKind kind = d->pauseKind;
    if (d->maxDurationSaid)
        d->maxDurationWaived = true;
    if (kind == Private::PauseKind::AfterApply) {
        d->decide(d->make(DecisionKind::Resume, false, "resumed by a person"));
        d->setPhase(RunPhase::Applying);
        if (!d->actionInFlight && d->expectedWeight && !(d->state && d->state->updating))
            d->beginBake();
        return;
    }
    if (kind == Private::PauseKind::MidBake) {
        d->decide(d->make(DecisionKind::Resume, false,
                          "resumed by a person: " + d->stepName(d->step) + " bakes " +
                              secondsText(d->frozenRemaining) + " more"));
        d->bakeLength = d->frozenRemaining;
        d->bakeStartedAt = d->now();
        d->setPhase(RunPhase::Baking);
        return;
    }
    // Paused at the end of a bake: judge again; if the gates still do not decide, bake again.
    d->judgement = d->evaluate();
    const auto &gates = d->judgement.gates;
    if (!d->metricsFailing && !d->controlFailing && !d->judgement.failed() &&
        std::all_of(gates.begin(), gates.end(), [](const auto &g) { return passes(g.verdict); })) {
        d->decide(d->make(DecisionKind::Resume, false,
                          "resumed by a person; the gates pass now: " + d->judgement.sentence));
        d->advance(false);
        return;
    }
    const PlanStep *s = d->currentStep();
    const milliseconds more =
        d->plan.extendBy.count() > 0 ? milliseconds(d->plan.extendBy) : milliseconds(s->bake);
    d->decide(d->make(DecisionKind::Resume, false,
                      "resumed by a person; the gates still do not decide (" +
                          d->judgement.sentence + "), so " + d->stepName(d->step) + " bakes " +
                          secondsText(more) + " more"));
    d->bakeLength = more;
    d->bakeStartedAt = d->now();
    d->setPhase(RunPhase::Baking);
}

void PlanController::skipStep()
{
    const bool during =
        d->phase == RunPhase::Baking ||
        (d->phase == RunPhase::Paused && d->pauseKind != Private::PauseKind::PlanDone &&
         d->pauseKind != Private::PauseKind::AfterApply);
    if (!during || d->actionInFlight)
        return;
    d->judgement = d->evaluate();
    d->decide(d->make(DecisionKind::Skip, false,
                      d->stepName(d->step) + " skipped by a person (" + d->stepRequests() +
                          "); the gates were: " + d->judgement.sentence));
    const int next = d->step + 1;
    if (next < int(d->plan.steps.size())) {
        d->sendWeight(next, d->make(DecisionKind::SetWeight, false, d->stepName(next) + " begins"));
        return;
    }
    d->promote(d->make(DecisionKind::Promote, false,
                       "the last step was skipped by a person, so the canary is promoted to "
                       "100 %"));
}

void PlanController::promoteNow()
{
    if (d->phase == RunPhase::Idle || isFinished(d->phase) || d->phase == RunPhase::Promoting)
        return;
    if (d->actionInFlight || (d->fetchInFlight && !d->state)) {
        d->queuedManual = Private::Manual::Promote;
        return;
    }
    d->promote(d->make(DecisionKind::Promote, false, d->manualPromoteReason()));
}

void PlanController::rollbackNow()
{
    if (d->phase == RunPhase::Idle || isFinished(d->phase) || d->phase == RunPhase::RollingBack)
        return;
    if (d->actionInFlight || (d->fetchInFlight && !d->state)) {
        d->queuedManual = Private::Manual::Rollback;
        return;
    }
    d->rollBack(d->make(DecisionKind::Rollback, false, d->manualRollbackReason()));
}

void PlanController::stopForOverride(const std::string &reason)
{
    if (isFinished(d->phase))
        return;
    d->overrideBy(reason, false);
}

const Plan &PlanController::plan() const
{
    return d->plan;
}

RunPhase PlanController::phase() const
{
    return d->phase;
}

int PlanController::currentStep() const
{
    return d->step;
}

std::string PlanController::pauseReason() const
{
    return d->phase == RunPhase::Paused ? d->pauseReason : std::string();
}

std::optional<std::chrono::milliseconds> PlanController::bakeRemaining() const
{
    if (isFinished(d->phase))
        return std::nullopt;
    return d->remaining();
}

std::optional<Weight> PlanController::nextWeight() const
{
    const int next = d->step + 1;
    if (next < int(d->plan.steps.size()))
        return d->plan.steps[std::size_t(next)].weight;
    if (d->plan.promoteAtEnd && !isFinished(d->phase))
        return Weight::fromTenths(Weight::kMaxTenths);
    return std::nullopt;
}

const analysis::Judgement &PlanController::judgement() const
{
    return d->judgement;
}

const std::vector<Decision> &PlanController::decisions() const
{
    return d->decisions;
}

std::optional<RolloutState> PlanController::lastState() const
{
    return d->state;
}

const std::optional<KpiSnapshot> &PlanController::lastWindow() const
{
    return d->lastWindow;
}

void PlanController::setActionGate(ActionGate gate)
{
    d->actionGate = std::move(gate);
}

} // namespace canary::rollout
