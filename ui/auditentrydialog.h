#pragma once

#include "audit/auditsink.h"

#include <QDialog>

#include <string>

class QLabel;
class QPlainTextEdit;
class QTableWidget;

namespace canary {

// One entry of the audit trail in full (the History dock opens it): who did what on which backend
// and what came of it, the rollout before and after, the numbers it was decided on (both
// variants' KPIs side by side, the judge's verdict and sentence and its gates, as far as the
// snapshot holds them) and the entry as JSON. Every text is from the trail: plain text only.
class AuditEntryDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit AuditEntryDialog(const audit::AuditEntry &entry, QWidget *parent = nullptr);

    const audit::AuditEntry &entry() const { return m_entry; }

    // The KPI table: a row per metric the snapshot has, columns production and canary.
    QTableWidget *kpiTable() const { return m_kpis; }
    // The cell for `key` ("p99_ms") and `variant` ("production", "canary"); empty when no row.
    QString kpiText(const std::string &key, const std::string &variant) const;
    // The gates' table (empty when the snapshot has none).
    QTableWidget *gateTable() const { return m_gates; }
    // What the snapshot is of ("The numbers at that moment, the window …"), or why there is none.
    QString snapshotCaption() const;
    QPlainTextEdit *rawJson() const { return m_json; }

    // A KPI's value as the table shows it: "2.10 %", "84.0 ms", "1,234"; "—" for null/missing.
    static QString kpiValueText(const std::string &key, const nlohmann::json *value);

private:
    QWidget *makeSummary();
    QWidget *makeSnapshot();

    audit::AuditEntry m_entry;
    QTableWidget *m_kpis = nullptr;
    QTableWidget *m_gates = nullptr;
    QLabel *m_snapshotCaption = nullptr;
    QPlainTextEdit *m_json = nullptr;
};

} // namespace canary
