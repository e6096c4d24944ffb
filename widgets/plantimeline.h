#pragma once

#include "domain/weight.h"
#include "rollout/plan.h"
#include "rollout/plancontroller.h"

#include <QString>
#include <QWidget>

#include <chrono>
#include <optional>
#include <vector>

class QHBoxLayout;
class QLabel;
class QPushButton;

namespace canary {

// What the timeline shows of a running plan: PlanController's phase(), currentStep(),
// bakeRemaining(), nextWeight() and pauseReason() at one moment.
struct PlanStatus
{
    rollout::RunPhase phase = rollout::RunPhase::Idle;
    int currentStep = -1;
    std::optional<std::chrono::milliseconds> bakeRemaining;
    std::optional<Weight> nextWeight;
    QString pauseReason;

    static PlanStatus of(const rollout::PlanController &controller);
};

// A plan's steps as a strip (weight and bake each, the current one marked), the phase, the time
// left in the bake and the next weight, and the buttons a person runs it with: each enabled
// exactly when the controller can act on it in the phase shown.
class PlanTimeline final : public QWidget
{
    Q_OBJECT

public:
    enum class Button { Start, Pause, Resume, Skip, Load };

    explicit PlanTimeline(QWidget *parent = nullptr);

    // The plan the strip shows and Start runs; `source` names it ("built-in plan", a path).
    void setPlan(const rollout::Plan &plan, const QString &source);
    const rollout::Plan &plan() const { return m_plan; }
    QString planSource() const { return m_source; }
    // Reads a plan file (rollout::loadPlanFile); on an error keeps the current plan and shows
    // the error in full. Refused while a plan runs.
    bool loadPlanFile(const QString &path);

    void setStatus(const PlanStatus &status);
    const PlanStatus &status() const { return m_status; }
    // Whether a plan can run at all (connected, with backends of its own); `why` when not.
    void setAvailable(bool available, const QString &why = {});

    // Whether `button` can act in `phase` (availability aside).
    static bool canAct(Button button, rollout::RunPhase phase);
    QPushButton *button(Button which) const;
    QString phaseText() const;
    QString bakeText() const;
    QString errorText() const;
    // One entry per step of the strip, as shown ("✔ 5 % · 5 min", "▶ 25 % · 5 min").
    QStringList stripTexts() const;

    // "4 min 05 s", "45 s"
    static QString durationText(std::chrono::milliseconds duration);
    // A step's bake, short: "5 min", "1 min 30 s", "45 s"
    static QString stepBakeText(std::chrono::seconds bake);
    static QString phaseName(rollout::RunPhase phase);

Q_SIGNALS:
    void startRequested(const canary::rollout::Plan &plan);
    void pauseRequested();
    void resumeRequested();
    void skipRequested();

private:
    void rebuildStrip();
    void updateTexts();
    void updateButtons();
    void choosePlanFile();

    rollout::Plan m_plan;
    QString m_source;
    PlanStatus m_status;
    bool m_available = false;
    QString m_unavailableWhy;

    QLabel *m_title = nullptr;
    QHBoxLayout *m_stripLayout = nullptr;
    std::vector<QLabel *> m_stepLabels;
    QLabel *m_phase = nullptr;
    QLabel *m_bake = nullptr;
    QLabel *m_error = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_pause = nullptr;
    QPushButton *m_resume = nullptr;
    QPushButton *m_skip = nullptr;
    QPushButton *m_load = nullptr;
};

} // namespace canary
