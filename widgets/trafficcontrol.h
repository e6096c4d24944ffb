#pragma once

#include "domain/rolloutstate.h"
#include "domain/weight.h"

#include <QWidget>

#include <array>
#include <functional>

class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;

namespace canary {

// The canary's traffic lever. Shows the weight the backend confirmed; the operator picks a new
// one with the slider (sent when it is released, never while dragging), the spin box + Apply (or
// Enter in the box), or a quick step. Raising the canary's share by more than 25 points asks to
// confirm first; lowering it never does, since that moves users back to production.
class TrafficControl final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int kConfirmJumpTenths = 250;
    static constexpr std::array<int, 5> kQuickStepPercents = {1, 5, 10, 25, 50};

    explicit TrafficControl(QWidget *parent = nullptr);

    Weight confirmedWeight() const { return m_confirmed; }
    // What the controls show now (may differ from the confirmed weight while editing).
    Weight shownWeight() const;
    bool isBusy() const { return m_busy; }
    bool isEnabledForState() const { return m_stateAllows; }

    // The backend's word. Moves the controls there unless the operator is mid-drag.
    void setConfirmedWeight(Weight weight);
    // Back to the confirmed weight, e.g. after a request failed.
    void revertToConfirmed();
    void setBusy(bool busy);
    // Whether the weight can be set now (decided by the rollout rules, core/domain/rolloutrules.h)
    // and, when not, the sentence that says why, shown in place of the controls.
    void setAllowed(bool allowed, const QString &whyNot = {});
    // No state known (yet): controls off, `why` shown in their place.
    void setStateUnknown(const QString &why = {});
    // What the backend really applies for a requested weight (ControlPlane::nearestWeight) and
    // its kind's name. A request is sent as that weight, and while the controls show one the
    // backend cannot apply, the hint says which it will apply instead. Unset: every tenth.
    void setNearestWeight(std::function<Weight(Weight)> nearest, const QString &kind = {});
    // The weight a request for `requested` sends.
    Weight effectiveWeight(Weight requested) const;
    QLabel *pendingLabel() const { return m_pendingLabel; }

    QSlider *slider() const { return m_slider; }
    QDoubleSpinBox *spinBox() const { return m_spin; }
    QPushButton *applyButton() const { return m_apply; }
    QPushButton *quickStepButton(int percent) const;

Q_SIGNALS:
    void weightRequested(canary::Weight weight);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void request(Weight weight);
    static bool needsConfirmation(Weight from, Weight to);
    bool confirmJump(Weight from, Weight to);
    void showWeight(Weight weight);
    void onSliderMoved(int tenths);
    void onSpinChanged(double percent);
    void updateEnabled();
    void updatePending();

    QLabel *m_confirmedLabel = nullptr;
    QLabel *m_productionLabel = nullptr;
    QLabel *m_pendingLabel = nullptr;
    QSlider *m_slider = nullptr;
    QDoubleSpinBox *m_spin = nullptr;
    QPushButton *m_apply = nullptr;
    std::array<QPushButton *, kQuickStepPercents.size()> m_quickSteps{};
    QProgressBar *m_busyBar = nullptr;
    QLabel *m_busyLabel = nullptr;

    Weight m_confirmed;
    std::function<Weight(Weight)> m_nearest;
    QString m_kind;
    bool m_busy = false;
    bool m_stateAllows = false;
    bool m_syncing = false; // guards slider <-> spin box echo
};

} // namespace canary
