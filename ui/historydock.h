#pragma once

#include "audit/auditsink.h"
#include "util/clock.h"

#include <QDockWidget>

#include <cstddef>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QStackedWidget;
class QTableView;

namespace canary {

class AuditEntryDialog;
class AuditTableModel;

// The audit trail in the window (docs/audit.md, "History"): its entries, newest first, narrowed by
// backend (a part of its address; the current connection's by default), action, actor and time.
// Enter or a double click on a row opens the entry with the numbers it was decided on. It reads
// through the AuditSink interface only; without a trail it says why instead of showing an empty
// table.
class HistoryDock final : public QDockWidget
{
    Q_OBJECT

public:
    // The most entries shown at once (the newest); the status line says when there are more.
    static constexpr std::size_t kLimit = 1000;

    enum class Period { LastHour, LastDay, LastWeek, All };

    explicit HistoryDock(QWidget *parent = nullptr);

    // The trail to read (not owned; it must outlive the dock). Refreshes.
    void setSink(const audit::AuditSink *sink);
    // There is no trail: the dock shows `why` (the store's error) in place of the table.
    void setUnavailable(const QString &why);
    // The clock the periods count back from (tests give a ManualClock). Must outlive the dock.
    void setClock(const Clock &clock) { m_clock = &clock; }
    // The backend the console is connected to: the backend filter is set to its address.
    void setCurrentBackend(const QString &address);

    // Reads the trail again with the filters as they are.
    void refresh();
    // Whether a person can see it: docked behind another dock's tab it is "visible" but moved
    // out of the window.
    bool isSeen() const;
    // Something was written to the trail: refreshes now when the dock is seen, else when it is
    // next shown.
    void trailChanged();

    // The filters as the query gets them.
    audit::AuditFilter filter() const;
    void setPeriod(Period period);

    // Opens the details of a row of view() (a proxy index); null when it is no entry's.
    AuditEntryDialog *openEntry(const QModelIndex &index);

    // The pieces, for tests.
    QLineEdit *backendEdit() const { return m_backend; }
    QCheckBox *allBackendsBox() const { return m_allBackends; }
    QComboBox *actionCombo() const { return m_action; }
    QComboBox *actorCombo() const { return m_actor; }
    QComboBox *periodCombo() const { return m_period; }
    QPushButton *refreshButton() const { return m_refresh; }
    QTableView *view() const { return m_view; }
    AuditTableModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    // "12 entries", or that none matches (the trail's file is in its tooltip).
    QString statusText() const;
    QString statusToolTip() const;
    // What the dock says in place of the table; empty while the table is shown.
    QString unavailableText() const;

private:
    // Adds what the combo does not offer yet (an action or actor seen in the trail).
    static void offer(QComboBox *combo, const QString &value, const QString &text = {});
    void showTable(bool table);

    const audit::AuditSink *m_sink = nullptr;
    const Clock *m_clock = &SystemClock::instance();
    bool m_stale = false;

    QLineEdit *m_backend = nullptr;
    QCheckBox *m_allBackends = nullptr;
    QComboBox *m_action = nullptr;
    QComboBox *m_actor = nullptr;
    QComboBox *m_period = nullptr;
    QPushButton *m_refresh = nullptr;
    QLabel *m_status = nullptr;
    QStackedWidget *m_stack = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_unavailable = nullptr;
    AuditTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
};

} // namespace canary
