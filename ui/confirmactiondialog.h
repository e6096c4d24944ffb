#pragma once

#include "domain/controlplanecapabilities.h"
#include "domain/rolloutstate.h"
#include "metrics/kpisnapshot.h"

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
// When the numbers are not live, it says how old they are, and a promote is worded as the
// decision on old numbers that it is.
class ConfirmActionDialog final : public QDialog
{
    Q_OBJECT

public:
    enum class Action { Promote, Rollback };
    enum Row { Version, Weight, Requests, RequestRate, ErrorRate, LatencyP99, Accuracy, RowCount };

    // Whether the numbers are of the last poll, and if not, why and when it is asked.
    struct Freshness
    {
        bool live = true;
        SystemTime now{};
        QString whyNotLive; // the failing feed's reason
    };

    // `backend` words what the confirmation can promise: without revisions a concurrent change by
    // someone else cannot be detected, and the dialog says so.
    ConfirmActionDialog(Action action, const RolloutState &state, const KpiSnapshot &snapshot,
                        const Freshness &freshness, const ControlPlaneCapabilities &backend,
                        QWidget *parent = nullptr);
    ~ConfirmActionDialog() override;

    Action action() const { return m_action; }
    QPushButton *actionButton() const;
    QPushButton *cancelButton() const;
    QString cellText(Row row, VariantRole role) const;
    QString freshnessText() const;
    // What the backend's kind cannot guarantee; empty when it guarantees everything said.
    QString backendNoteText() const;
    // What the live judge says of the canary, under the figures: they are a window's, not
    // evidence, so the dialog says whether a plan's judge found the canary worse.
    void setVerdict(const QString &verdict, bool failing);
    QString verdictText() const;
    QString headlineText() const;
    QString consequenceText() const;
    // The text of one cell of the comparison (row 0 is the model version; column 0 production).
    QString cellText(int row, int column) const;

private:
    void fill(const RolloutState &state, const KpiSnapshot &snapshot);
    void describeFreshness(const KpiSnapshot &snapshot, const Freshness &freshness);
    void describeBackend(const ControlPlaneCapabilities &backend);

    std::unique_ptr<Ui::ConfirmActionDialog> m_ui;
    Action m_action;
};

} // namespace canary
