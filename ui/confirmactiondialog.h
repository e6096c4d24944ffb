#pragma once

#include "domain/rolloutstate.h"
#include "metrics/kpi.h"

#include <QDialog>

#include <memory>
#include <optional>

class QPushButton;

namespace Ui {
class ConfirmActionDialog;
}

namespace canary {

// Asks before promote or roll back, with the numbers the decision rests on side by side and the
// consequence in words. Cancel is the default button: Enter under stress does nothing harmful.
class ConfirmActionDialog final : public QDialog
{
    Q_OBJECT

public:
    enum class Action { Promote, Rollback };
    enum Row { Version, Weight, Requests, RequestRate, ErrorRate, LatencyP99, Accuracy, RowCount };

    ConfirmActionDialog(Action action, const RolloutState &state,
                        const std::optional<metrics::KpiResult> &kpis, QWidget *parent = nullptr);
    ~ConfirmActionDialog() override;

    Action action() const { return m_action; }
    QPushButton *actionButton() const;
    QPushButton *cancelButton() const;
    QString cellText(Row row, VariantRole role) const;

private:
    void fill(const RolloutState &state, const std::optional<metrics::KpiResult> &kpis);

    std::unique_ptr<Ui::ConfirmActionDialog> m_ui;
    Action m_action;
};

} // namespace canary
