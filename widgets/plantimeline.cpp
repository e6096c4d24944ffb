#include "plantimeline.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace canary {

namespace {

QString percentText(Weight weight)
{
    return QString::fromStdString(weight.toString()) + QStringLiteral(" %");
}

} // namespace

PlanStatus PlanStatus::of(const rollout::PlanController &controller)
{
    PlanStatus status;
    status.phase = controller.phase();
    status.currentStep = controller.currentStep();
    status.bakeRemaining = controller.bakeRemaining();
    status.nextWeight = controller.nextWeight();
    status.pauseReason = QString::fromStdString(controller.pauseReason());
    return status;
}

PlanTimeline::PlanTimeline(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("planTimeline"));
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("planTitle"));
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_stripLayout = new QHBoxLayout;
    m_stripLayout->setSpacing(4);
    m_phase = new QLabel(this);
    m_phase->setObjectName(QStringLiteral("planPhase"));
    m_phase->setWordWrap(true);
    m_phase->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_bake = new QLabel(this);
    m_bake->setObjectName(QStringLiteral("planBake"));
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("planError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette errorPalette = m_error->palette();
    errorPalette.setColor(QPalette::WindowText, QColor(0xc6, 0x28, 0x28));
    m_error->setPalette(errorPalette);
    m_error->setVisible(false);

    const auto makeButton = [this](const QString &text, const char *name, const QString &tip) {
        auto *button = new QPushButton(text, this);
        button->setObjectName(QLatin1String(name));
        button->setToolTip(tip);
        return button;
    };
    m_start = makeButton(tr("Start plan"), "planStart",
                         tr("Run the plan: set each step's weight, judge the canary live, roll "
                            "back on a failing gate"));
    m_pause = makeButton(tr("Pause"), "planPause", tr("Hold the plan at this step"));
    m_resume = makeButton(tr("Resume"), "planResume", tr("Judge again and go on"));
    m_skip =
        makeButton(tr("Skip step"), "planSkip", tr("End this step as if its gates had passed"));
    m_load = makeButton(tr("Load plan…"), "planLoad", tr("Read a plan file (docs/plans.md)"));
    connect(m_start, &QPushButton::clicked, this, [this] { Q_EMIT startRequested(m_plan); });
    connect(m_pause, &QPushButton::clicked, this, &PlanTimeline::pauseRequested);
    connect(m_resume, &QPushButton::clicked, this, &PlanTimeline::resumeRequested);
    connect(m_skip, &QPushButton::clicked, this, &PlanTimeline::skipRequested);
    connect(m_load, &QPushButton::clicked, this, &PlanTimeline::choosePlanFile);

    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(4);
    for (QPushButton *button : {m_start, m_pause, m_resume, m_skip})
        buttons->addWidget(button);
    buttons->addStretch(1);
    buttons->addWidget(m_load);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_title);
    layout->addLayout(m_stripLayout);
    layout->addWidget(m_phase);
    layout->addWidget(m_bake);
    layout->addLayout(buttons);
    layout->addWidget(m_error);

    setPlan(rollout::defaultPlan(), tr("built-in plan"));
}

void PlanTimeline::setPlan(const rollout::Plan &plan, const QString &source)
{
    m_plan = plan;
    m_source = source;
    const QString name = QString::fromStdString(plan.name);
    m_title->setText(name.isEmpty() ? tr("Plan (%1)").arg(source)
                                    : tr("Plan “%1” (%2)").arg(name, source));
    m_title->setToolTip(source);
    rebuildStrip();
    updateTexts();
}

bool PlanTimeline::loadPlanFile(const QString &path)
{
    if (!canAct(Button::Load, m_status.phase)) {
        m_error->setText(tr("A plan is running: stop it before loading another."));
        m_error->setVisible(true);
        return false;
    }
    std::string error;
    const std::optional<rollout::Plan> plan = rollout::loadPlanFile(path.toStdString(), &error);
    if (!plan) {
        m_error->setText(tr("The plan was not loaded; the current one stays. %1")
                             .arg(QString::fromStdString(error)));
        m_error->setVisible(true);
        return false;
    }
    m_error->clear();
    m_error->setVisible(false);
    setPlan(*plan, path);
    return true;
}

void PlanTimeline::choosePlanFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Load a rollout plan"), {},
                                                      tr("Plans (*.json);;All files (*)"));
    if (!path.isEmpty())
        loadPlanFile(path);
}

void PlanTimeline::setStatus(const PlanStatus &status)
{
    const bool stepChanged =
        status.currentStep != m_status.currentStep || status.phase != m_status.phase;
    m_status = status;
    if (stepChanged)
        rebuildStrip();
    updateTexts();
}

void PlanTimeline::setAvailable(bool available, const QString &why)
{
    m_available = available;
    m_unavailableWhy = why;
    updateTexts();
}

bool PlanTimeline::canAct(Button button, rollout::RunPhase phase)
{
    using rollout::RunPhase;
    switch (button) {
    case Button::Start:
    case Button::Load:
        // A finished plan can run again, from its first step with a fresh judge.
        return phase == RunPhase::Idle || rollout::isFinished(phase);
    case Button::Pause:
        return phase == RunPhase::Baking || phase == RunPhase::Applying;
    case Button::Resume:
        return phase == RunPhase::Paused;
    case Button::Skip:
        return phase == RunPhase::Baking || phase == RunPhase::Paused;
    }
    return false;
}

QPushButton *PlanTimeline::button(Button which) const
{
    switch (which) {
    case Button::Start:
        return m_start;
    case Button::Pause:
        return m_pause;
    case Button::Resume:
        return m_resume;
    case Button::Skip:
        return m_skip;
    case Button::Load:
        break;
    }
    return m_load;
}

QString PlanTimeline::phaseName(rollout::RunPhase phase)
{
    using rollout::RunPhase;
    switch (phase) {
    case RunPhase::Idle:
        return tr("Not started");
    case RunPhase::Applying:
        return tr("Setting the step's weight");
    case RunPhase::Baking:
        return tr("Baking");
    case RunPhase::Paused:
        return tr("Paused");
    case RunPhase::Promoting:
        return tr("Promoting");
    case RunPhase::RollingBack:
        return tr("Rolling back");
    case RunPhase::Promoted:
        return tr("Promoted");
    case RunPhase::RolledBack:
        return tr("Rolled back");
    case RunPhase::Stopped:
        return tr("Stopped: a person took over");
    case RunPhase::Failed:
        return tr("Failed: the backend refused a step");
    }
    return {};
}

QString PlanTimeline::durationText(std::chrono::milliseconds duration)
{
    // Counted down, so never rounded down to 0 while time is left.
    const auto seconds = std::max<std::int64_t>(0, (duration.count() + 999) / 1000);
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    if (seconds < 3600)
        return tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return tr("%1 h %2 min").arg(seconds / 3600).arg(seconds % 3600 / 60, 2, 10, QLatin1Char('0'));
}

QString PlanTimeline::stepBakeText(std::chrono::seconds bake)
{
    const auto seconds = bake.count();
    if (seconds < 60 || (seconds < 3600 && seconds % 60 != 0))
        return durationText(bake);
    if (seconds < 3600)
        return tr("%1 min").arg(seconds / 60);
    return durationText(bake);
}

QString PlanTimeline::phaseText() const
{
    return m_phase->text();
}

QString PlanTimeline::bakeText() const
{
    return m_bake->text();
}

QString PlanTimeline::errorText() const
{
    return m_error->text();
}

QStringList PlanTimeline::stripTexts() const
{
    QStringList texts;
    for (const QLabel *label : m_stepLabels)
        texts << label->text();
    return texts;
}

void PlanTimeline::rebuildStrip()
{
    for (QLabel *label : m_stepLabels)
        delete label;
    m_stepLabels.clear();
    using rollout::RunPhase;
    const int current = m_status.currentStep;
    const bool promoted = m_status.phase == RunPhase::Promoted;
    const int count = int(m_plan.steps.size());
    const auto addBox = [this](const QString &text, bool highlighted, bool done,
                               const QString &tip) {
        auto *label = new QLabel(text, this);
        label->setAlignment(Qt::AlignCenter);
        label->setFrameStyle(QFrame::Box | (highlighted ? QFrame::Plain : QFrame::Sunken));
        label->setLineWidth(highlighted ? 2 : 1);
        label->setMargin(3);
        label->setToolTip(tip);
        QFont font = label->font();
        font.setBold(highlighted);
        label->setFont(font);
        if (highlighted) {
            label->setAutoFillBackground(true);
            QPalette p = label->palette();
            p.setColor(QPalette::Window, p.color(QPalette::Highlight).lighter(175));
            label->setPalette(p);
        } else if (!done) {
            label->setForegroundRole(QPalette::PlaceholderText);
        }
        m_stepLabels.push_back(label);
        m_stripLayout->addWidget(label, 1);
    };
    for (int i = 0; i < count; ++i) {
        const rollout::PlanStep &step = m_plan.steps[std::size_t(i)];
        const bool done = promoted || (current >= 0 && i < current);
        const bool here = i == current && !rollout::isFinished(m_status.phase);
        // Where a plan ended other than by promoting: the step it ended at.
        const bool endedHere = i == current && rollout::isFinished(m_status.phase) && !promoted;
        // The mark says where a step stands without colour: done, current, ended, to come.
        const QString mark = done        ? QStringLiteral("✔ ")
                             : here      ? QStringLiteral("▶ ")
                             : endedHere ? QStringLiteral("✖ ")
                                         : QString();
        const QString bake = stepBakeText(step.bake);
        addBox(mark + percentText(step.weight) + QStringLiteral(" · ") + bake, here || endedHere,
               done,
               tr("Step %1 of %2: %3 of the traffic for %4, at least %5 requests per variant")
                   .arg(i + 1)
                   .arg(count)
                   .arg(percentText(step.weight), bake)
                   .arg(step.minimumRequests));
    }
    if (m_plan.promoteAtEnd)
        addBox((promoted ? QStringLiteral("✔ ") : QString()) + tr("promote"), false, promoted,
               tr("After the last step passes, the canary takes all traffic"));
}

void PlanTimeline::updateTexts()
{
    using rollout::RunPhase;
    const int count = int(m_plan.steps.size());
    QString phase = phaseName(m_status.phase);
    if (m_status.currentStep >= 0 && m_status.currentStep < count &&
        !rollout::isFinished(m_status.phase))
        phase = tr("%1 · step %2 of %3 (%4)")
                    .arg(phase)
                    .arg(m_status.currentStep + 1)
                    .arg(count)
                    .arg(percentText(m_plan.steps[std::size_t(m_status.currentStep)].weight));
    if (m_status.phase == RunPhase::Paused && !m_status.pauseReason.isEmpty())
        phase += QStringLiteral(": ") + m_status.pauseReason;
    if (!m_available && !m_unavailableWhy.isEmpty() &&
        (m_status.phase == RunPhase::Idle || rollout::isFinished(m_status.phase)))
        phase += QStringLiteral(" · ") + m_unavailableWhy;
    m_phase->setText(phase);

    QStringList bake;
    if (m_status.bakeRemaining)
        bake << tr("%1 left in the bake").arg(durationText(*m_status.bakeRemaining));
    if (m_status.nextWeight && !rollout::isFinished(m_status.phase))
        bake << tr("next %1").arg(percentText(*m_status.nextWeight));
    m_bake->setText(bake.join(QStringLiteral(" · ")));
    m_bake->setVisible(!bake.isEmpty());
    updateButtons();
}

void PlanTimeline::updateButtons()
{
    for (Button which :
         {Button::Start, Button::Pause, Button::Resume, Button::Skip, Button::Load}) {
        const bool needsBackend = which != Button::Load;
        button(which)->setEnabled(canAct(which, m_status.phase) && (m_available || !needsBackend));
    }
}

} // namespace canary
