#pragma once

#include "domain/rolloutstate.h"
#include "domain/timelineevent.h"
#include "metrics/timeseriesstore.h"

#include <QList>
#include <QWidget>

#include <array>
#include <chrono>
#include <deque>
#include <optional>

class QGridLayout;
class QLabel;
class QCPRange;

namespace canary {

class KpiChart;

// The live side-by-side charts: rows latency (p50/p95/p99), errors, accuracy, throughput;
// columns production | canary, or one chart per row with both variants (overlay). All charts
// share one time range, and both columns of a row share one value range, so the eye compares
// directly. Data arrival only marks the grid dirty; refresh() (driven by the owner's tick) loads
// and replots the charts whose data or range changed. Events (actions, version changes, restarts)
// are markers on the shared time axis of every chart they concern.
class ChartGrid final : public QWidget
{
    Q_OBJECT

public:
    explicit ChartGrid(const metrics::TimeSeriesStore &store, QWidget *parent = nullptr);
    ~ChartGrid() override;

    void setTimeWindow(std::chrono::seconds window); // 5 min, 15 min, 1 h, 6 h, 24 h
    std::chrono::seconds timeWindow() const { return m_window; }
    void setOverlay(bool overlay);
    bool overlay() const { return m_overlay; }
    void setPaused(bool paused);
    bool paused() const { return m_paused; }
    void setNow(SystemTime now); // the right edge while live
    void markDirty();
    void refresh();

    // A marker at the event's time on every chart, or only on the role's column when it has one
    // (the overlay chart shows all). Drawn at the next refresh. Events older than the store's
    // retention (counted back from now) are dropped, like the data they annotate.
    void addEvent(const canary::TimelineEvent &event);
    void clearEvents(); // e.g. when connecting to another backend
    const std::deque<TimelineEvent> &events() const { return m_events; }
    static constexpr std::size_t kMaxEvents = 1000; // the oldest go first beyond this

    // The time span the charts show (after the next refresh while live).
    SystemTime viewFrom() const { return m_viewFrom; }
    SystemTime viewTo() const { return m_viewTo; }
    // The chart of a row: a column's chart, or the overlay chart with `role` unset. Null when that
    // layout has not been shown yet.
    KpiChart *chart(std::size_t row, std::optional<VariantRole> role) const;
    // The charts of the current layout, row by row.
    QList<KpiChart *> visibleCharts() const;

    static constexpr std::chrono::seconds kMinimumSpan{10};
    static constexpr std::chrono::seconds kMaximumWindow{7 * 24 * 3600};

Q_SIGNALS:
    void pausedChanged(bool paused); // also when the user zoomed or panned

private:
    void createOverlayCharts();
    void connectChart(KpiChart *chart);
    void updateLayoutVisibility();
    void applyLiveRange();
    void onTimeRangeEdited(const QCPRange &range);
    void onHoverKeyChanged(double key);
    void scheduleRefresh();
    void dropExpiredEvents();
    QList<KpiChart *> allCharts() const; // both layouts, whether shown or not

    const metrics::TimeSeriesStore &m_store;
    QGridLayout *m_layout = nullptr;
    std::array<QLabel *, 2> m_columnTitles{};
    std::array<std::array<KpiChart *, 2>, 4> m_columnCharts{};
    std::array<KpiChart *, 4> m_overlayCharts{};
    std::array<std::optional<std::pair<double, double>>, 4> m_rowRanges;
    std::deque<TimelineEvent> m_events; // in time order

    std::chrono::seconds m_window{std::chrono::minutes(15)};
    SystemTime m_now;
    SystemTime m_viewFrom;
    SystemTime m_viewTo;
    bool m_overlay = false;
    bool m_paused = false;
    bool m_dataDirty = true;
    bool m_viewDirty = true;
    bool m_refreshQueued = false;
};

} // namespace canary
