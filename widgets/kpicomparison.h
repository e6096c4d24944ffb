#pragma once

#include "domain/rolloutstate.h"
#include "metrics/kpi.h"
#include "metrics/timeseriesstore.h"

#include <QWidget>

#include <array>
#include <optional>

class QGridLayout;
class QLabel;

namespace canary {

// The latest numbers of both variants in one small table, with the canary's worse values
// marked, so the decision to promote or roll back does not need a chart read-out.
class KpiComparison final : public QWidget
{
    Q_OBJECT

public:
    enum Row { LatencyP50, LatencyP99, ErrorRate, Accuracy, RowCount };

    explicit KpiComparison(QWidget *parent = nullptr);

    // nullopt or a refused result shows "—" everywhere; `live` false greys the numbers out.
    void setKpis(const std::optional<metrics::KpiResult> &kpis, bool live);
    QString text(Row row, VariantRole role) const;
    // The top-left corner, e.g. "last 30 s".
    void setCaption(const QString &caption);
    // Whether the canary's value in `row` is marked as worse than production's.
    bool canaryFlagged(Row row) const { return m_flagged[row]; }

    // Both variants' indicators over the last `span` of the history: one-poll windows are too
    // noisy to judge by. Latencies and error rate are weighted by request rate, accuracy is the
    // mean of the windows that had labels. Unknown where the span holds no points.
    static metrics::KpiResult recent(const metrics::TimeSeriesStore &store, SystemTime now,
                                     std::chrono::seconds span);

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
