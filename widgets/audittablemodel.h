#pragma once

#include "audit/auditsink.h"

#include <QAbstractTableModel>
#include <QColor>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace canary {

// The audit trail's entries as a table (the History dock's): one row per AuditEntry, in the words
// canaryctl history uses. Every text comes from the trail and so is untrusted: Qt::DisplayRole is
// one line of plain text, Qt::ToolTipRole is escaped HTML (a tooltip would render markup),
// kSortRole the value that orders the column (times as times, outcomes by severity) and kIdRole
// the entry's id.
class AuditTableModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Time, Actor, Action, Parameters, Outcome, Backend, Message, ColumnCount };
    static constexpr int kSortRole = Qt::UserRole + 1;
    static constexpr int kIdRole = Qt::UserRole + 2;

    explicit AuditTableModel(QObject *parent = nullptr);

    void setEntries(std::vector<audit::AuditEntry> entries);
    const std::vector<audit::AuditEntry> &entries() const { return m_entries; }
    // The entry of a row of this model (not of a proxy's); null outside.
    const audit::AuditEntry *entry(int row) const;
    // The row holding entry `id`, or -1.
    int rowOf(std::int64_t id) const;

    // Untrusted text as one line of plain text: line breaks and tabs become spaces, other control
    // characters and the bidirectional overrides (which could reorder what is read) become �,
    // and past `maxChars` it is cut with "…".
    static QString oneLine(std::string_view text, qsizetype maxChars = 300);
    // Untrusted text for a tooltip, which renders markup: escaped, line breaks kept.
    static QString tooltipText(const QString &plain);
    // "2026-12-01 10:41:07" in local time; the UTC RFC 3339 form is formatRfc3339().
    static QString localTimeText(SystemTime time);
    // The parameters in a few words: "step 2 · canary 25 % · verdict pass". The plan's name and
    // the judge's sentence are left out (the actor column and the details show them).
    static QString parametersText(const nlohmann::json &parameters);
    // A mark whose shape says it without colour, and the word: "✔ succeeded", "✖ failed", ...
    static QString outcomeText(std::string_view outcome);
    static QString outcomeMark(std::string_view outcome);
    // An accent that goes with the mark (never the only cue); invalid for an outcome without one.
    static QColor outcomeColor(std::string_view outcome);
    // Worst first: failed, conflict, pending, decided, succeeded.
    static int outcomeSeverity(std::string_view outcome);
    // "Control API http://127.0.0.1:8080"
    static QString backendText(const audit::AuditEntry &entry);
    // What the operator saw (the message), or why when there is none.
    static QString messageText(const audit::AuditEntry &entry);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QVariant display(const audit::AuditEntry &entry, int column) const;
    QVariant sortValue(const audit::AuditEntry &entry, int column) const;
    QVariant toolTip(const audit::AuditEntry &entry, int column) const;

    std::vector<audit::AuditEntry> m_entries;
};

} // namespace canary
