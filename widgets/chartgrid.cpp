#include "chartgrid.h"

#include "kpichart.h"

#include <QGridLayout>
#include <QLabel>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace canary {

namespace {

constexpr std::array<VariantRole, 2> kColumns = {VariantRole::Production, VariantRole::Canary};

std::size_t columnOf(VariantRole role)
{
    return role == VariantRole::Production ? 0 : 1;
}

SystemTime systemNow()
{
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

} // namespace

ChartGrid::ChartGrid(const metrics::TimeSeriesStore &store, QWidget *parent)
    : QWidget(parent)
    , m_store(store)
    , m_now(systemNow())
{
    m_layout = new QGridLayout(this);
    m_layout->setContentsMargins(0, 4, 0, 0);
    m_layout->setHorizontalSpacing(4);
    m_layout->setVerticalSpacing(2);

    for (const VariantRole role : kColumns) {
        auto *title = new QLabel(role == VariantRole::Production ? QStringLiteral("production")
                                                                 : QStringLiteral("canary"),
                                 this);
        QFont font = title->font();
        font.setBold(true);
        if (font.pointSizeF() > 0) {
            font.setPointSizeF(font.pointSizeF() * 1.1);
        }
        title->setFont(font);
        title->setIndent(KpiChart::kLeftMargin);
        title->setObjectName(QStringLiteral("columnTitle"));
        m_columnTitles[columnOf(role)] = title;
        m_layout->addWidget(title, 0, static_cast<int>(columnOf(role)));
    }
    const auto &rows = ChartRowSpec::all();
    for (std::size_t row = 0; row < rows.size(); ++row) {
        for (const VariantRole role : kColumns) {
            auto *chart = new KpiChart(m_store, rows[row], {role}, this);
            m_columnCharts[row][columnOf(role)] = chart;
            m_layout->addWidget(chart, static_cast<int>(row) + 1, static_cast<int>(columnOf(role)));
            connectChart(chart);
        }
        m_layout->setRowStretch(static_cast<int>(row) + 1, 1);
    }
    m_layout->setColumnStretch(0, 1);
    m_layout->setColumnStretch(1, 1);
    applyLiveRange();
    updateLayoutVisibility();
}

ChartGrid::~ChartGrid() = default;

void ChartGrid::connectChart(KpiChart *chart)
{
    connect(chart, &KpiChart::timeRangeEdited, this, &ChartGrid::onTimeRangeEdited);
    connect(chart, &KpiChart::hoverKeyChanged, this, &ChartGrid::onHoverKeyChanged);
    connect(chart, &KpiChart::liveRequested, this, [this] { setPaused(false); });
    connect(chart, &KpiChart::refreshWanted, this, &ChartGrid::scheduleRefresh);
}

void ChartGrid::createOverlayCharts()
{
    const auto &rows = ChartRowSpec::all();
    for (std::size_t row = 0; row < rows.size(); ++row) {
        auto *chart = new KpiChart(m_store, rows[row], {kColumns.begin(), kColumns.end()}, this);
        m_overlayCharts[row] = chart;
        m_layout->addWidget(chart, static_cast<int>(row) + 1, 0, 1, 2);
        connectChart(chart);
        for (const TimelineEvent &event : m_events) {
            chart->addEvent(event);
        }
    }
}

QList<KpiChart *> ChartGrid::allCharts() const
{
    QList<KpiChart *> charts;
    for (std::size_t row = 0; row < m_columnCharts.size(); ++row) {
        charts.append(m_columnCharts[row][0]);
        charts.append(m_columnCharts[row][1]);
        if (m_overlayCharts[row]) {
            charts.append(m_overlayCharts[row]);
        }
    }
    return charts;
}

void ChartGrid::addEvent(const TimelineEvent &event)
{
    const auto later = std::upper_bound(
        m_events.begin(), m_events.end(), event.time,
        [](SystemTime time, const TimelineEvent &other) { return time < other.time; });
    m_events.insert(later, event);
    for (KpiChart *chart : allCharts()) {
        chart->addEvent(event);
    }
    dropExpiredEvents();
}

void ChartGrid::clearEvents()
{
    m_events.clear();
    for (KpiChart *chart : allCharts()) {
        chart->clearEvents();
    }
}

void ChartGrid::dropExpiredEvents()
{
    SystemTime keepFrom = m_now - m_store.retention();
    if (m_events.size() > kMaxEvents) {
        keepFrom = std::max(keepFrom, m_events[m_events.size() - kMaxEvents].time);
    }
    if (m_events.empty() || m_events.front().time >= keepFrom) {
        return;
    }
    while (!m_events.empty() && m_events.front().time < keepFrom) {
        m_events.pop_front();
    }
    for (KpiChart *chart : allCharts()) {
        chart->removeEventsBefore(keepFrom);
    }
}

void ChartGrid::updateLayoutVisibility()
{
    for (QLabel *title : m_columnTitles) {
        title->setVisible(!m_overlay);
    }
    for (std::size_t row = 0; row < m_columnCharts.size(); ++row) {
        for (KpiChart *chart : m_columnCharts[row]) {
            chart->setVisible(!m_overlay);
            chart->setTimeLabelsVisible(true);
        }
        if (m_overlayCharts[row]) {
            m_overlayCharts[row]->setVisible(m_overlay);
        }
    }
}

KpiChart *ChartGrid::chart(std::size_t row, std::optional<VariantRole> role) const
{
    if (row >= m_columnCharts.size()) {
        return nullptr;
    }
    return role ? m_columnCharts[row][columnOf(*role)] : m_overlayCharts[row];
}

QList<KpiChart *> ChartGrid::visibleCharts() const
{
    QList<KpiChart *> charts;
    for (std::size_t row = 0; row < m_columnCharts.size(); ++row) {
        if (m_overlay) {
            charts.append(m_overlayCharts[row]);
        } else {
            charts.append(m_columnCharts[row][0]);
            charts.append(m_columnCharts[row][1]);
        }
    }
    return charts;
}

void ChartGrid::setTimeWindow(std::chrono::seconds window)
{
    window = std::clamp(window, kMinimumSpan, kMaximumWindow);
    if (window == m_window) {
        return;
    }
    m_window = window;
    if (m_paused) {
        // Keep the right edge the user chose; only the span changes.
        m_viewFrom = m_viewTo - m_window;
        m_viewDirty = true;
    } else {
        applyLiveRange();
    }
    scheduleRefresh();
}

void ChartGrid::setOverlay(bool overlay)
{
    if (overlay == m_overlay) {
        return;
    }
    m_overlay = overlay;
    if (m_overlay && !m_overlayCharts[0]) {
        createOverlayCharts();
    }
    m_rowRanges.fill(std::nullopt);
    updateLayoutVisibility();
    m_viewDirty = true;
    scheduleRefresh();
}

void ChartGrid::setPaused(bool paused)
{
    if (paused == m_paused) {
        return;
    }
    m_paused = paused;
    if (!m_paused) {
        applyLiveRange();
        scheduleRefresh();
    }
    Q_EMIT pausedChanged(m_paused);
}

void ChartGrid::setNow(SystemTime now)
{
    m_now = now;
    dropExpiredEvents();
    if (!m_paused) {
        applyLiveRange();
    }
}

void ChartGrid::applyLiveRange()
{
    const SystemTime from = m_now - m_window;
    if (from != m_viewFrom || m_now != m_viewTo) {
        m_viewFrom = from;
        m_viewTo = m_now;
        m_viewDirty = true;
    }
}

void ChartGrid::markDirty()
{
    m_dataDirty = true;
}

void ChartGrid::scheduleRefresh()
{
    if (m_refreshQueued) {
        return;
    }
    m_refreshQueued = true;
    QTimer::singleShot(0, this, &ChartGrid::refresh);
}

void ChartGrid::refresh()
{
    m_refreshQueued = false;
    const QList<KpiChart *> charts = visibleCharts();
    const bool chartAsked = std::any_of(charts.begin(), charts.end(), [](const KpiChart *chart) {
        return chart->needsSync() || chart->needsReplot();
    });
    if (!m_dataDirty && !m_viewDirty && !chartAsked) {
        return;
    }

    for (KpiChart *chart : charts) {
        chart->sync(m_viewFrom, m_viewTo, m_dataDirty);
    }
    // One value range per row over every variant's visible data.
    const auto &rows = ChartRowSpec::all();
    for (std::size_t row = 0; row < rows.size(); ++row) {
        std::optional<ChartRowSpec::Span> extent;
        for (KpiChart *chart : charts) {
            if (chart->row().id != rows[row].id) {
                continue;
            }
            if (const auto chartExtent = chart->valueExtent()) {
                extent = extent ? ChartRowSpec::Span{std::min(extent->first, chartExtent->lower),
                                                     std::max(extent->second, chartExtent->upper)}
                                : ChartRowSpec::Span{chartExtent->lower, chartExtent->upper};
            }
        }
        const ChartRowSpec::Span range = rows[row].valueRange(extent, m_rowRanges[row]);
        m_rowRanges[row] = range;
        for (KpiChart *chart : charts) {
            if (chart->row().id == rows[row].id) {
                chart->setValueRange(QCPRange(range.first, range.second));
            }
        }
    }
    for (KpiChart *chart : charts) {
        chart->replotIfNeeded();
    }
    m_dataDirty = false;
    m_viewDirty = false;
}

void ChartGrid::onTimeRangeEdited(const QCPRange &range)
{
    if (!std::isfinite(range.lower) || !std::isfinite(range.upper)) {
        return;
    }
    SystemTime from = KpiChart::fromKey(range.lower);
    SystemTime to = KpiChart::fromKey(range.upper);
    const auto span =
        std::clamp<std::chrono::milliseconds>(to - from, kMinimumSpan, kMaximumWindow);
    if (to - from != span) {
        const SystemTime middle = from + (to - from) / 2;
        from = middle - span / 2;
        to = from + span;
    }
    m_viewFrom = from;
    m_viewTo = to;
    m_viewDirty = true;
    setPaused(true);
    scheduleRefresh();
}

void ChartGrid::onHoverKeyChanged(double key)
{
    for (KpiChart *chart : visibleCharts()) {
        chart->setCursorKey(key);
    }
}

} // namespace canary
