#include "runcommand.h"
#include "util/signalwatcher.h"

#include "console/plandecisions.h"
#include "rollout/plancontroller.h"
#include "terminaltext.h"

#include <QEventLoop>
#include <QSocketNotifier>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <functional>
#include <string>

namespace canary::ctl {

namespace {

using rollout::Decision;
using rollout::DecisionKind;
using rollout::PlanController;
using rollout::RunPhase;

std::string percent(Weight weight)
{
    return weight.toString() + " %";
}

// "12:03:07" of an RFC 3339 time: the date is said once, at the start.
std::string clockTime(SystemTime time)
{
    const std::string full = formatRfc3339(time);
    const auto t = full.find('T');
    return t == std::string::npos ? full : full.substr(t + 1, 8);
}

std::string durationText(std::chrono::milliseconds duration)
{
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
    if (seconds < 60)
        return std::to_string(seconds) + " s";
    return std::to_string(seconds / 60) + " min " + std::to_string(seconds % 60) + " s";
}

class RunPrinter
{
public:
    RunPrinter(const PlanController &controller, const Scheduler &scheduler, std::FILE *out,
               std::FILE *err)
        : m_controller(controller)
        , m_scheduler(scheduler)
        , m_out(out)
        , m_err(err)
    {}

    // The step and weight a line is about: "step 2/3 25.0 %", or the rollout's weight outside a
    // step.
    std::string where(int step) const
    {
        const auto &steps = m_controller.plan().steps;
        if (step >= 0 && step < int(steps.size()))
            return "step " + std::to_string(step + 1) + "/" + std::to_string(steps.size()) + " " +
                   percent(steps[std::size_t(step)].weight);
        const auto state = m_controller.lastState();
        return state ? "canary " + percent(state->canaryWeight()) : std::string("-");
    }

    void decision(const Decision &d)
    {
        const std::string head = clockTime(d.time) + "  " + where(d.step) + "  " +
                                 std::string(rollout::toString(d.kind)) +
                                 (d.automatic ? "" : " (by a person)");
        switch (d.outcome) {
        case Decision::Outcome::None:
        case Decision::Outcome::Pending:
            line(d.kind == DecisionKind::Error ? m_err : m_out, head + ": " + d.reason);
            if (d.kind == DecisionKind::Rollback || d.kind == DecisionKind::Pause ||
                d.kind == DecisionKind::ExtendBake)
                gates(d);
            break;
        case Decision::Outcome::Succeeded: {
            // As the backend reports it: it may apply a weight near the one asked (HAProxy).
            const auto state = m_controller.lastState();
            std::string reported;
            if (state && state->phase == RolloutPhase::Promoted)
                reported = ", the backend reports " + state->production.model + " " +
                           state->production.version + " as production at 100 %";
            else if (state)
                reported = ", the backend reports the canary at " + percent(state->canaryWeight());
            line(m_out, head + ": done" + reported);
            break;
        }
        case Decision::Outcome::Failed:
            line(m_err, head + " failed: " + d.error);
            break;
        }
    }

    // At most a line a minute while baking: what is left and where the gates stand.
    void progress()
    {
        if (m_controller.phase() != RunPhase::Baking)
            return;
        const SystemTime now = m_scheduler.clock().now();
        if (m_lastProgress && now - *m_lastProgress < std::chrono::minutes(1))
            return;
        if (!m_lastProgress) { // the first minute starts now; nothing to say yet
            m_lastProgress = now;
            return;
        }
        m_lastProgress = now;
        std::string text = clockTime(now) + "  " + where(m_controller.currentStep()) + "  baking";
        if (const auto left = m_controller.bakeRemaining())
            text += ", " + durationText(*left) + " left";
        std::string verdicts;
        for (const auto &g : m_controller.judgement().gates)
            verdicts += (verdicts.empty() ? "" : ", ") + g.spec.name + " " +
                        std::string(analysis::toString(g.verdict));
        if (!verdicts.empty())
            text += "; " + verdicts;
        line(m_out, text);
    }

    void line(std::FILE *stream, const std::string &text)
    {
        // Reasons quote the backends' own words: never let them drive the terminal.
        std::fprintf(stream, "%s\n", terminalSafe(text).c_str());
        std::fflush(stream);
    }

private:
    // The gates that decided, one line each with their sentence.
    void gates(const Decision &d)
    {
        for (const auto &g : d.judgement.gates) {
            if (g.verdict == analysis::Verdict::Pass || g.verdict == analysis::Verdict::Better)
                continue;
            line(m_out, "          gate " + g.spec.name + ": " +
                            std::string(analysis::toString(g.verdict)) + ": " + g.sentence);
        }
    }

    const PlanController &m_controller;
    const Scheduler &m_scheduler;
    std::FILE *m_out;
    std::FILE *m_err;
    std::optional<SystemTime> m_lastProgress;
};

} // namespace

int runPlan(const rollout::Plan &plan, ControlPlane *control, MetricsSource *metrics,
            Scheduler &scheduler, std::FILE *out, std::FILE *err, ActionLog *log)
{
    PlanController controller(plan, control, metrics, scheduler);
    RunPrinter printer(controller, scheduler, out, err);
    QEventLoop loop;
    bool interrupted = false;
    std::optional<PlanDecisionLog> decisions;
    if (log)
        decisions.emplace(*log);

    std::string unrecorded; // why the pending decision could not be recorded: it is not sent
    controller.setActionGate([&](const Decision &) { return unrecorded; });
    QObject::connect(&controller, &PlanController::decided, &loop, [&](const Decision &d) {
        if (decisions) {
            const std::optional<KpiSnapshot> &window = controller.lastWindow();
            const std::string why = decisions->record(
                d, plan.name,
                {window ? &*window : nullptr, window.has_value(), controller.lastState(), &plan},
                scheduler.clock().now());
            if (d.outcome == Decision::Outcome::Pending)
                unrecorded = why;
            if (!why.empty())
                printer.line(err, "canaryctl: this decision could not be recorded: " + why);
        }
        printer.decision(d);
    });
    QObject::connect(&controller, &PlanController::judged, &loop, [&] { printer.progress(); });
    QObject::connect(&controller, &PlanController::phaseChanged, &loop, [&](RunPhase phase) {
        // Paused, the plan waits for a person; canaryctl has none to ask, so it ends there.
        if (rollout::isFinished(phase) || phase == RunPhase::Paused)
            loop.quit();
    });
    SignalWatcher stopOnSignals({SIGINT, SIGTERM}, [&](int number) {
        interrupted = true;
        controller.stopForOverride(std::string("stopped by the operator (") +
                                   (number == SIGINT ? "SIGINT" : "SIGTERM") + ")");
        loop.quit();
    });

    printer.line(out, "canaryctl: running plan \"" + plan.name + "\" on " +
                          control->capabilities().kind + " at " + control->address() +
                          ", metrics from " + metrics->capabilities().kind + " at " +
                          metrics->address() + ", from " + formatRfc3339(scheduler.clock().now()));
    if (const std::string limits = metrics->capabilities().limits; !limits.empty())
        printer.line(out, "note: " + limits);
    controller.start();
    if (!rollout::isFinished(controller.phase()))
        loop.exec();

    const auto state = controller.lastState();
    const std::string weight = state ? percent(state->canaryWeight()) : std::string("?");
    switch (controller.phase()) {
    case RunPhase::Promoted:
        printer.line(out, "canaryctl: promoted: " +
                              (state ? state->production.model + " " + state->production.version +
                                           " is production at 100 %"
                                     : std::string("the canary took all traffic")));
        return kRunPromoted;
    case RunPhase::RolledBack:
        printer.line(out, "canaryctl: rolled back: the canary is at 0 %");
        return kRunRolledBack;
    case RunPhase::Paused:
        printer.line(out, "canaryctl: paused, waiting for a person: " + controller.pauseReason() +
                              ". The rollout stays at " + weight +
                              " and is no longer watched: decide with `canaryctl set-weight`, "
                              "`promote` or `rollback`, or run the plan again");
        return kRunWaiting;
    case RunPhase::Stopped:
        if (interrupted)
            printer.line(out, "canaryctl: stopped by the operator; the rollout stays at " + weight);
        else
            printer.line(out, "canaryctl: stopped: the rollout changed outside the plan; it is "
                              "at " +
                                  weight);
        return kRunWaiting;
    default:
        break;
    }
    printer.line(err, state ? "canaryctl: the plan failed; the rollout is at " + weight +
                                  " (check `canaryctl status`)"
                            : std::string("canaryctl: the plan failed before the rollout could "
                                          "be read"));
    return kRunError;
}

} // namespace canary::ctl
