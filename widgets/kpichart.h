#pragma once

#include "chartpalette.h"
#include "chartrowspec.h"
#include "domain/rolloutstate.h"
#include "domain/timelineevent.h"
#include "lodcache.h"
#include "metrics/timeseriesstore.h"
#include "qcustomplotinclude.h"

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace canary {

// One chart of the grid: one KPI row for one variant, or for both (overlay). Keys on the time
// axis are seconds since the epoch (what QCPAxisTickerDateTime expects); values are in the row's
// display unit. Data is pulled from the store at about two points per pixel, and only when the
// store or the visible range changed since the last load.
class KpiChart final : public QCustomPlot
{
    Q_OBJECT

public:
    KpiChart(const metrics::TimeSeriesStore &store, const ChartRowSpec &row,
             std::vector<VariantRole> variants, QWidget *parent = nullptr);

    const ChartRowSpec &row() const { return m_row; }
    const std::vector<VariantRole> &variants() const { return m_variants; }
    QCPGraph *graphFor(VariantRole role, metrics::Kpi kpi) const;

    // Loads the lines for [from, to] if the store or the range changed since the last load (or
    // `dataMayHaveChanged` is false and only the range is compared). True when it reloaded.
    bool sync(SystemTime from, SystemTime to, bool dataMayHaveChanged);
    // Lowest and highest finite value loaded inside the visible range (display units).
    std::optional<QCPRange> valueExtent() const { return m_extent; }
    void setValueRange(const QCPRange &range);
    // A vertical cursor line at `key` (NaN hides it); cheap: only the overlay layer is redrawn.
    void setCursorKey(double key);
    double cursorKey() const;
    void setTimeLabelsVisible(bool visible);

    bool needsReplot() const { return m_needsReplot; }
    bool needsSync() const { return m_needsSync; }
    // Replots when anything changed since the last replot; true if it did.
    bool replotIfNeeded();
    // The number of time buckets the store's series are decimated to: the plot area's width.
    std::size_t bucketCount() const;
    bool hasVisibleData() const { return m_extent.has_value(); }

    // An event on the time axis: a vertical line with a short label at the top of the plot, the
    // event's detail as the tooltip near the line. Items in plot coordinates, so they pan and zoom
    // with the axis and are only laid out when the chart is replotted anyway.
    struct EventMarker
    {
        TimelineEvent event;
        QCPItemStraightLine *line = nullptr;
        QCPItemText *label = nullptr;
        QSize labelSize; // in pixels, with its padding
    };
    // A column chart shows the events of its variant and those of both; the overlay chart all.
    bool showsEvent(const TimelineEvent &event) const;
    // Adds a marker (in time order) if this chart shows the event; the next replot draws it.
    void addEvent(const TimelineEvent &event);
    void removeEventsBefore(SystemTime time);
    void clearEvents();
    const std::deque<EventMarker> &eventMarkers() const { return m_markers; }
    // What a label says: the event's label, "now v2.1" for a version change, "↻ restart".
    static QString markerText(const TimelineEvent &event);
    // The plain-text tooltip of a marker: time, what happened, and the detail.
    static QString markerToolTip(const TimelineEvent &event);

    // The tooltip for the pointer at `pos` (widget pixels): a marker's when within a few pixels
    // of its line, otherwise the values of every line at that time (HTML).
    QString toolTipAt(const QPointF &pos) const;

    // Where none of this chart's lines has a value (missed polls, unknown KPIs) in the loaded
    // range, and the shaded "no data" bands drawn over them.
    using TimeSpan = std::pair<SystemTime, SystemTime>;
    const std::vector<TimeSpan> &gaps() const { return m_gaps; }
    QList<QCPItemRect *> gapBands() const;

    // A line's colour: by variant; latency quantiles by quantile in a column, and in the overlay
    // by variant with a lighter shade for the lower quantiles.
    QColor lineColour(VariantRole role, const ChartLineSpec &spec) const;

    // The time axis' labels in UTC (reports, whose tables say UTC) instead of local time.
    void setTimeInUtc(bool utc);
    // How many time labels fit in `widthPixels`.
    static int timeTickCount(int widthPixels);

    static double toKey(SystemTime time);
    static SystemTime fromKey(double key);
    static constexpr int kMarkerHitPixels = 4;

    static constexpr int kLeftMargin = 62;
    static constexpr int kRightMargin = 14;

Q_SIGNALS:
    void timeRangeEdited(const QCPRange &range); // the user dragged or zoomed the time axis
    void hoverKeyChanged(double key);            // NaN when the pointer left the plot
    void liveRequested();                        // double click: back to live scrolling
    void refreshWanted();                        // resized or restyled: reload at the next chance

protected:
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    struct SeriesStamp
    {
        std::size_t size = 0;
        SystemTime front{};
        SystemTime back{};
        bool operator==(const SeriesStamp &) const = default;
    };
    struct Line
    {
        VariantRole role;
        ChartLineSpec spec;
        QCPGraph *graph = nullptr;
        SeriesStamp stamp;
        LodCache lod;
    };

    void buildLayout();
    void applyPalette();
    void styleMarker(EventMarker &marker) const;
    void updateGapBands();
    // Before each full replot: staggers marker labels so they do not overlap, and labels the gap
    // bands wide enough to hold a word.
    void layoutOverlays();
    const EventMarker *markerAt(double pixelX) const;
    void onXRangeChanged(const QCPRange &range);
    bool dataChangedInRange(const Line &line, SystemTime loadFrom, SystemTime loadTo) const;
    SeriesStamp stampOf(const Line &line) const;
    QString readOut(double key) const;

    const metrics::TimeSeriesStore &m_store;
    ChartRowSpec m_row;
    std::vector<VariantRole> m_variants;
    std::vector<Line> m_lines;
    ChartPalette m_palette;
    QCPItemStraightLine *m_cursor = nullptr;
    QSharedPointer<QCPAxisTickerDateTime> m_timeTicker;
    QCPItemText *m_emptyText = nullptr;
    std::deque<EventMarker> m_markers; // in time order
    std::vector<TimeSpan> m_gaps;
    std::vector<std::pair<QCPItemRect *, QCPItemText *>> m_gapBands; // pooled; unused ones hidden
    int m_gapTextWidth = 0;                                          // of "no data", in pixels

    SystemTime m_loadedFrom{};
    SystemTime m_loadedTo{};
    std::size_t m_loadedBuckets = 0;
    std::optional<QCPRange> m_extent;
    bool m_settingRange = false;
    bool m_needsReplot = true;
    bool m_needsSync = true;
};

} // namespace canary
