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
// the action log use too), with the canary's worse values marked, so the decision to promote or
// roll back does not need a chart read-out.
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
    // Whether the canary's value in `row` is marked as worse than production's.
    bool canaryFlagged(Row row) const { return m_flagged[row]; }

    // "—" for unknown values, as everywhere in the console.
    static QString formatPercent(double ratio, int decimals = 2);
    static QString formatMs(double seconds);
    static QString formatCount(double count);
    static QString formatRate(double perSecond);
    // Clearly worse, not noise: error rate up by 20 % and 0.1 points, latency up 20 %, accuracy
    // down two points.
    static bool canaryWorse(Row row, const metrics::VariantKpis &production,
                            const metrics::VariantKpis &canary);

private:
    QLabel *m_caption = nullptr;
    std::array<std::array<QLabel *, 2>, RowCount> m_cells{};
    std::array<bool, RowCount> m_flagged{};
};

} // namespace canary
