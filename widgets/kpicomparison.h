#pragma once

#include "domain/rolloutstate.h"
#include "metrics/kpi.h"
#include "metrics/kpisnapshot.h"

#include <QWidget>

#include <array>
#include <optional>

class QGridLayout;
class QLabel;

namespace canary {

// The decision snapshot of both variants in one small table (the numbers the confirmations and
// the action log use too), side by side, so the decision to promote or roll back does not need a
// chart read-out. Whether the canary is worse is the judge's to say (AnalysisPanel): a fixed
// threshold on a window's figures would flag noise on twenty requests.
class KpiComparison final : public QWidget
{
    Q_OBJECT

public:
    enum Row { LatencyP50, LatencyP99, ErrorRate, Accuracy, Labels, Requests, RowCount };

    explicit KpiComparison(QWidget *parent = nullptr);

    // An invalid snapshot shows "—" everywhere; `live` false greys the numbers out.
    void setSnapshot(const KpiSnapshot &snapshot, bool live);
    QString text(Row row, VariantRole role) const;
    // The top-left corner: the window the numbers cover, e.g. "30 s to 12:00:31".
    void setCaption(const QString &caption);
    QString caption() const;

    // "—" for unknown values, as everywhere in the console.
    static QString formatPercent(double ratio, int decimals = 2);
    static QString formatMs(double seconds);
    static QString formatCount(double count);
    static QString formatRate(double perSecond);

private:
    QLabel *m_caption = nullptr;
    std::array<std::array<QLabel *, 2>, RowCount> m_cells{};
};

} // namespace canary
