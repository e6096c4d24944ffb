#include "trafficcontrol.h"

#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>

#include <cmath>

namespace canary {

namespace {

QString percentText(Weight weight)
{
    return QStringLiteral("%1 %").arg(QString::fromStdString(weight.toString()));
}

} // namespace

TrafficControl::TrafficControl(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("trafficControl"));

    auto *title = new QLabel(tr("Canary traffic"), this);
    QFont titleFont = title->font();
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_busyBar = new QProgressBar(this);
    m_busyBar->setRange(0, 0); // indeterminate: an action is in flight
    m_busyBar->setTextVisible(false);
    m_busyBar->setMaximumSize(64, 10);
    m_busyBar->setVisible(false);
    m_busyLabel = new QLabel(tr("Applying…"), this);
    m_busyLabel->setVisible(false);

    auto *titleRow = new QHBoxLayout;
    titleRow->addWidget(title);
    titleRow->addStretch(1);
    titleRow->addWidget(m_busyLabel);
    titleRow->addWidget(m_busyBar);

    m_confirmedLabel = new QLabel(this);
    m_confirmedLabel->setObjectName(QStringLiteral("confirmedWeight"));
    QFont big = m_confirmedLabel->font();
    big.setPointSizeF(big.pointSizeF() * 2.0);
    big.setBold(true);
    m_confirmedLabel->setFont(big);
    m_confirmedLabel->setToolTip(tr("The canary weight the backend confirmed"));
    m_productionLabel = new QLabel(this);
    m_productionLabel->setToolTip(tr("Production always receives the rest of the traffic"));
    auto *weightRow = new QHBoxLayout;
    weightRow->addWidget(m_confirmedLabel, 0, Qt::AlignBaseline);
    weightRow->addWidget(new QLabel(tr("to canary"), this), 0, Qt::AlignBaseline);
    weightRow->addStretch(1);
    weightRow->addWidget(m_productionLabel, 0, Qt::AlignBaseline);

    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName(QStringLiteral("weightSlider"));
    m_slider->setRange(0, Weight::kMaxTenths); // 0.1 % per tick
    m_slider->setSingleStep(1);
    m_slider->setPageStep(50);
    m_slider->setTickPosition(QSlider::TicksBelow);
    m_slider->setTickInterval(100);
    m_slider->setToolTip(tr("Drag and release to send this share of traffic to the canary"));

    auto *scale = new QHBoxLayout;
    for (int p : {0, 25, 50, 75, 100}) {
        auto *label = new QLabel(QStringLiteral("%1").arg(p), this);
        label->setForegroundRole(QPalette::PlaceholderText);
        if (p != 0)
            scale->addStretch(1);
        scale->addWidget(label);
    }

    auto *quickRow = new QHBoxLayout;
    quickRow->setSpacing(4);
    for (std::size_t i = 0; i < kQuickStepPercents.size(); ++i) {
        const int percent = kQuickStepPercents[i];
        auto *button = new QPushButton(QStringLiteral("%1 %").arg(percent), this);
        button->setObjectName(QStringLiteral("quickStep%1").arg(percent));
        button->setToolTip(tr("Send %1 % of traffic to the canary").arg(percent));
        button->setMinimumWidth(10);
        button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        connect(button, &QPushButton::clicked, this,
                [this, percent] { request(Weight::fromTenths(percent * 10)); });
        quickRow->addWidget(button);
        m_quickSteps[i] = button;
    }

    m_spin = new QDoubleSpinBox(this);
    m_spin->setObjectName(QStringLiteral("weightSpin"));
    m_spin->setRange(0.0, 100.0);
    m_spin->setDecimals(1);
    m_spin->setSingleStep(0.1);
    m_spin->setSuffix(QStringLiteral(" %"));
    m_spin->setAccelerated(true);
    m_spin->setToolTip(tr("Canary weight in 0.1 % steps; press Enter or Apply to send it"));
    m_spin->installEventFilter(this);
    m_apply = new QPushButton(tr("Apply"), this);
    m_apply->setObjectName(QStringLiteral("applyWeight"));
    m_apply->setToolTip(tr("Send the weight in the box to the backend"));
    auto *applyRow = new QHBoxLayout;
    applyRow->addWidget(m_spin, 1);
    applyRow->addWidget(m_apply);

    m_pendingLabel = new QLabel(this);
    m_pendingLabel->setObjectName(QStringLiteral("pendingWeight"));
    m_pendingLabel->setWordWrap(true);
    // Room for three lines, always: the longest texts here (a refusal, a weight the backend
    // rounds) take three at the panel's width. A height-for-width label was given less than it
    // needs by the dock, which cut a refusal in half.
    QSizePolicy fixedLines(QSizePolicy::Preferred, QSizePolicy::Fixed);
    fixedLines.setHeightForWidth(false);
    m_pendingLabel->setSizePolicy(fixedLines);
    m_pendingLabel->setFixedHeight(3 * fontMetrics().lineSpacing());
    m_pendingLabel->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_pendingLabel->setForegroundRole(QPalette::PlaceholderText);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(titleRow);
    layout->addLayout(weightRow);
    layout->addWidget(m_slider);
    layout->addLayout(scale);
    layout->addSpacing(4);
    layout->addLayout(quickRow);
    layout->addLayout(applyRow);
    layout->addWidget(m_pendingLabel);

    connect(m_slider, &QSlider::valueChanged, this, &TrafficControl::onSliderMoved);
    connect(m_slider, &QSlider::sliderReleased, this,
            [this] { request(Weight::fromTenths(m_slider->value())); });
    connect(m_spin, &QDoubleSpinBox::valueChanged, this, &TrafficControl::onSpinChanged);
    connect(m_apply, &QPushButton::clicked, this, [this] { request(shownWeight()); });

    showWeight(m_confirmed);
    m_confirmedLabel->setText(QStringLiteral("—"));
    m_productionLabel->clear();
    updateEnabled();
}

Weight TrafficControl::shownWeight() const
{
    return Weight::fromTenths(static_cast<int>(std::lround(m_spin->value() * 10.0)));
}

QPushButton *TrafficControl::quickStepButton(int percent) const
{
    for (std::size_t i = 0; i < kQuickStepPercents.size(); ++i) {
        if (kQuickStepPercents[i] == percent)
            return m_quickSteps[i];
    }
    return nullptr;
}

void TrafficControl::setConfirmedWeight(Weight weight)
{
    const bool changed = weight != m_confirmed || m_confirmedLabel->text() == QStringLiteral("—");
    m_confirmed = weight;
    m_confirmedLabel->setText(percentText(weight));
    m_productionLabel->setText(tr("production %1").arg(percentText(weight.complement())));
    // A changed backend weight wins over an edit in progress; an unchanged one leaves the edit.
    if (changed && !m_slider->isSliderDown())
        showWeight(weight);
    updatePending();
}

void TrafficControl::revertToConfirmed()
{
    showWeight(m_confirmed);
}

void TrafficControl::setBusy(bool busy)
{
    m_busy = busy;
    m_busyBar->setVisible(busy);
    m_busyLabel->setVisible(busy);
    updateEnabled();
    updatePending();
}

void TrafficControl::setAllowed(bool allowed, const QString &whyNot)
{
    m_stateAllows = allowed;
    const QString why = allowed ? QString() : whyNot;
    setToolTip(why);
    updateEnabled();
    updatePending();
    if (!why.isEmpty())
        m_pendingLabel->setText(why);
}

void TrafficControl::setStateUnknown(const QString &why)
{
    m_stateAllows = false;
    updateEnabled();
    m_pendingLabel->setText(why.isEmpty() ? tr("Waiting for the backend…") : why);
}

void TrafficControl::setNearestWeight(std::function<Weight(Weight)> nearest, const QString &kind)
{
    m_nearest = std::move(nearest);
    m_kind = kind;
    updatePending();
}

Weight TrafficControl::effectiveWeight(Weight requested) const
{
    return m_nearest ? m_nearest(requested) : requested;
}

void TrafficControl::request(Weight requested)
{
    if (m_busy || !m_stateAllows)
        return;
    // Never ask for a tenth the backend cannot apply: what is sent, confirmed and logged is the
    // weight that will really serve.
    const Weight weight = effectiveWeight(requested);
    if (weight == m_confirmed) {
        showWeight(m_confirmed);
        return;
    }
    if (needsConfirmation(m_confirmed, weight) && !confirmJump(m_confirmed, weight)) {
        revertToConfirmed();
        return;
    }
    showWeight(weight);
    Q_EMIT weightRequested(weight);
}

bool TrafficControl::needsConfirmation(Weight from, Weight to)
{
    // Only more canary traffic puts more users at risk; a step down, however large, is the safe
    // direction and must not be slowed by a dialog.
    return to.tenths() - from.tenths() > kConfirmJumpTenths;
}

bool TrafficControl::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_spin && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            // Take what is typed even if it was not committed yet, then act as Apply does.
            m_spin->interpretText();
            request(shownWeight());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

bool TrafficControl::confirmJump(Weight from, Weight to)
{
    QMessageBox box(QMessageBox::Warning, tr("Large traffic change"),
                    tr("Move the canary from %1 to %2 of live traffic?")
                        .arg(percentText(from), percentText(to)),
                    QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("confirmWeightJump"));
    box.setInformativeText(
        tr("That raises the canary's share by %1 points at once: many more users "
           "would be served by the canary.")
            .arg((to.tenths() - from.tenths()) / 10.0, 0, 'f', 1));
    QPushButton *move =
        box.addButton(tr("Move to %1").arg(percentText(to)), QMessageBox::AcceptRole);
    move->setObjectName(QStringLiteral("confirmJump"));
    QPushButton *cancel = box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(cancel);
    box.setEscapeButton(cancel);
    box.exec();
    return box.clickedButton() == move;
}

void TrafficControl::showWeight(Weight weight)
{
    m_syncing = true;
    m_slider->setValue(weight.tenths());
    m_spin->setValue(weight.percent());
    m_syncing = false;
    updatePending();
}

void TrafficControl::onSliderMoved(int tenths)
{
    if (m_syncing)
        return;
    m_syncing = true;
    m_spin->setValue(tenths / 10.0);
    m_syncing = false;
    updatePending();
}

void TrafficControl::onSpinChanged(double percent)
{
    if (m_syncing)
        return;
    m_syncing = true;
    m_slider->setValue(static_cast<int>(std::lround(percent * 10.0)));
    m_syncing = false;
    updatePending();
}

void TrafficControl::updateEnabled()
{
    const bool on = m_stateAllows && !m_busy;
    m_slider->setEnabled(on);
    m_spin->setEnabled(on);
    m_apply->setEnabled(on);
    for (QPushButton *button : m_quickSteps)
        button->setEnabled(on);
}

void TrafficControl::updatePending()
{
    if (!m_stateAllows)
        return;
    const Weight shown = shownWeight();
    const Weight effective = effectiveWeight(shown);
    if (m_busy)
        m_pendingLabel->setText(tr("Sending %1 to the backend…").arg(percentText(shown)));
    else if (effective != shown)
        m_pendingLabel->setText(
            tr("Not applied yet: %1 asked, but %2 can only apply %3, which will be sent. "
               "Release the slider, or press Enter or Apply.")
                .arg(percentText(shown), m_kind.isEmpty() ? tr("the backend") : m_kind,
                     percentText(effective)));
    else if (shown != m_confirmed)
        m_pendingLabel->setText(
            tr("Not applied yet: %1. Release the slider, or press Enter or Apply.")
                .arg(percentText(shown)));
    else
        m_pendingLabel->setText(
            tr("Drag and release, type a value and press Enter, or pick a step."));
}

} // namespace canary
