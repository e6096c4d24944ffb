#pragma once

#include "analysis/judge.h"

#include <QWidget>

class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace canary {

class GateTableModel;

// The judge's verdicts, live: the overall verdict and its sentence on top, then one sortable row
// per gate (GateTableModel). It shows what a running plan's judge says and nothing else: without
// a plan there is no judge, and the panel says so rather than judge on numbers of its own.
class AnalysisPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit AnalysisPanel(QWidget *parent = nullptr);

    // The judge's verdicts now; `caption` says what they are of ("step 2 of 3, 5 % canary").
    void setJudgement(const analysis::Judgement &judgement, const QString &caption = {});
    // No judge runs: the rows go, and `why` says what to do ("No plan running: ...").
    void showNoJudge(const QString &why);

    QString overallText() const;
    QString captionText() const;
    // The whole sentence of the selected gate, under the table.
    QString detailText() const;
    GateTableModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    QTableView *view() const { return m_view; }

    static QString noPlanText();

private:
    void updateDetail();
    void showOverall(const QColor &accent);

    QString m_overallText;
    QString m_captionText;
    QLabel *m_overall = nullptr;
    QLabel *m_detail = nullptr;
    GateTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
};

} // namespace canary
