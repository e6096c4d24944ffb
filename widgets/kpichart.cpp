#include "kpichart.h"

#include <QDateTime>
#include <QFontMetrics>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>

namespace canary {

using metrics::Kpi;
using metrics::TimePoint;
using metrics::TimeSeries;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLineWidth = 1.0;

QString variantName(VariantRole role)
{
    return role == VariantRole::Production ? QStringLiteral("production")
                                           : QStringLiteral("canary");
}

QFont smallerFont(QFont font, double factor)
{
    if (font.pointSizeF() > 0) {
        font.setPointSizeF(std::max(7.0, font.pointSizeF() * factor));
    } else if (font.pixelSize() > 0) {
        font.setPixelSize(std::max(9, static_cast<int>(font.pixelSize() * factor)));
    }
    return font;
}

QString clock(SystemTime time)
{
    return QDateTime::fromMSecsSinceEpoch(time.time_since_epoch().count())
        .toString(QStringLiteral("HH:mm:ss"));
}

// Where a line has no value, from its decimated points: from a gap point to the next value, or
// to `end` while the gap lasts. Before the first point is "no history yet", not a gap.
std::vector<KpiChart::TimeSpan> gapsOf(const std::deque<TimePoint> &points, SystemTime end)
{
    std::vector<KpiChart::TimeSpan> gaps;
    // A flag and a time rather than std::optional: GCC 12 at -O3 reports a false
    // -Wmaybe-uninitialized on the optional's value here.
    bool inGap = false;
    SystemTime gapStart{};
    for (const TimePoint &point : points) {
        if (point.isGap()) {
            if (!inGap) {
                inGap = true;
                gapStart = point.time;
            }
        } else if (inGap) {
            gaps.emplace_back(gapStart, point.time);
            inGap = false;
        }
    }
    if (inGap && gapStart < end) {
        gaps.emplace_back(gapStart, end);
    }
    return gaps;
}

// The spans in both lists (each sorted and disjoint).
std::vector<KpiChart::TimeSpan> intersect(const std::vector<KpiChart::TimeSpan> &a,
                                          const std::vector<KpiChart::TimeSpan> &b)
{
    std::vector<KpiChart::TimeSpan> both;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        const SystemTime from = std::max(a[i].first, b[j].first);
        const SystemTime to = std::min(a[i].second, b[j].second);
        if (from < to) {
            both.emplace_back(from, to);
        }
        if (a[i].second < b[j].second) {
            ++i;
        } else {
            ++j;
        }
    }
    return both;
}

constexpr int kLabelRows = 3;
constexpr int kLabelGap = 4; // pixels between staggered labels

} // namespace

KpiChart::KpiChart(const metrics::TimeSeriesStore &store, const ChartRowSpec &row,
                   std::vector<VariantRole> variants, QWidget *parent)
    : QCustomPlot(parent)
    , m_store(store)
    , m_row(row)
    , m_variants(std::move(variants))
{
    setPlottingHints(QCP::phCacheLabels | QCP::phFastPolylines);
    setNoAntialiasingOnDrag(true);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeDrag(Qt::Horizontal);
    axisRect()->setRangeZoom(Qt::Horizontal);
    axisRect()->setRangeZoomFactor(0.8, 1.0);
    setMinimumSize(160, 90);

    for (const VariantRole role : m_variants) {
        for (const ChartLineSpec &spec : m_row.lines) {
            QCPGraph *graph = addGraph();
            // The store's decimation already keeps min and max per pixel; QCustomPlot's own
            // sampling on top of it could merge a gap away.
            graph->setAdaptiveSampling(false);
            QString name = spec.name;
            if (m_variants.size() > 1) {
                name = spec.name.isEmpty() ? variantName(role)
                                           : variantName(role) + QLatin1Char(' ') + spec.name;
            }
            graph->setName(name);
            m_lines.push_back({role, spec, graph, {}, {}});
        }
    }

    auto ticker = QSharedPointer<QCPAxisTickerDateTime>::create();
    ticker->setDateTimeFormat(QStringLiteral("HH:mm:ss"));
    ticker->setDateTimeSpec(Qt::LocalTime);
    ticker->setTickCount(timeTickCount(width()));
    m_timeTicker = ticker;
    xAxis->setTicker(ticker);
    yAxis->ticker()->setTickCount(4);
    yAxis->setLabel(m_row.axisLabel());
    yAxis->setNumberFormat(QStringLiteral("g"));
    yAxis->setNumberPrecision(6);

    m_cursor = new QCPItemStraightLine(this);
    m_cursor->setLayer(QStringLiteral("overlay"));
    m_cursor->point1->setTypeX(QCPItemPosition::ptPlotCoords);
    m_cursor->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_cursor->point2->setTypeX(QCPItemPosition::ptPlotCoords);
    m_cursor->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_cursor->setVisible(false);

    m_emptyText = new QCPItemText(this);
    m_emptyText->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_emptyText->position->setCoords(0.5, 0.5);
    m_emptyText->setText(QStringLiteral("No data in this time window"));
    m_emptyText->setVisible(false);

    buildLayout();
    applyPalette();

    connect(xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            &KpiChart::onXRangeChanged);
    connect(this, &QCustomPlot::beforeReplot, this, &KpiChart::layoutOverlays);
}

void KpiChart::buildLayout()
{
    axisRect()->setAutoMargins(QCP::msTop | QCP::msBottom);
    axisRect()->setMinimumMargins(QMargins(kLeftMargin, 4, kRightMargin, 4));
    axisRect()->setMargins(QMargins(kLeftMargin, 4, kRightMargin, 4));
    yAxis->setPadding(2);
    yAxis->setLabelPadding(4);
    xAxis->setPadding(2);
    xAxis->setTickLabelPadding(3);
    yAxis->setTickLabelPadding(4);
    plotLayout()->setMargins(QMargins(0, 0, 0, 0));
    plotLayout()->setRowSpacing(0);

    if (m_lines.size() > 1) {
        // The legend goes in a strip above the plot area, aligned with it, so no line hides
        // under it.
        plotLayout()->insertRow(0);
        auto *strip = new QCPLayoutGrid;
        plotLayout()->addElement(0, 0, strip);
        plotLayout()->setRowStretchFactor(0, 0.001);
        strip->setMargins(QMargins(kLeftMargin, 2, kRightMargin, 0));
        strip->addElement(0, 0, legend);
        strip->addElement(0, 1, new QCPLayoutElement(this));
        strip->setColumnStretchFactor(0, 0.001);
        strip->setColumnStretchFactor(1, 1.0);
        legend->setVisible(true);
        legend->setFillOrder(QCPLegend::foColumnsFirst);
        legend->setWrap(6);
        legend->setBorderPen(Qt::NoPen);
        legend->setBrush(Qt::NoBrush);
        legend->setMargins(QMargins(0, 0, 0, 0));
        legend->setColumnSpacing(14);
        legend->setRowSpacing(0);
        legend->setIconSize(18, 8);
        legend->setIconTextPadding(5);
    } else {
        legend->setVisible(false);
    }
}

void KpiChart::applyPalette()
{
    m_palette = ChartPalette::fromPalette(palette());
    const ChartPalette &p = m_palette;

    setBackground(QBrush(p.window));
    axisRect()->setBackground(QBrush(p.background));

    const QFont tickFont = smallerFont(font(), 0.88);
    for (QCPAxis *axis : {xAxis, yAxis}) {
        axis->setBasePen(QPen(p.axis, 1));
        axis->setTickPen(QPen(p.axis, 1));
        axis->setSubTickPen(Qt::NoPen);
        axis->setTickLengthOut(3);
        axis->setTickLengthIn(0);
        axis->setTickLabelColor(p.mutedForeground);
        axis->setTickLabelFont(tickFont);
        axis->setLabelColor(p.foreground);
        axis->setLabelFont(smallerFont(font(), 0.92));
        axis->grid()->setPen(QPen(p.grid, 1));
        axis->grid()->setZeroLinePen(Qt::NoPen);
        axis->grid()->setSubGridVisible(false);
    }

    const bool overlay = m_variants.size() > 1;
    for (const Line &line : m_lines) {
        QPen pen(lineColour(line.role, line.spec), kLineWidth);
        if (overlay && line.role == VariantRole::Canary) {
            pen.setStyle(Qt::DashLine);
        }
        line.graph->setPen(pen);
    }

    legend->setFont(tickFont);
    legend->setTextColor(p.foreground);
    m_cursor->setPen(QPen(p.cursor, 1, Qt::DotLine));
    m_emptyText->setColor(p.mutedForeground);
    m_emptyText->setFont(tickFont);
    for (EventMarker &marker : m_markers) {
        styleMarker(marker);
    }
    m_gapTextWidth = QFontMetrics(tickFont).horizontalAdvance(QStringLiteral("no data")) + 6;
    for (const auto &[band, text] : m_gapBands) {
        band->setBrush(QBrush(p.gapBand, Qt::BDiagPattern));
        text->setColor(p.gapText);
        text->setFont(tickFont);
    }
    m_needsReplot = true;
}

QColor KpiChart::lineColour(VariantRole role, const ChartLineSpec &spec) const
{
    if (spec.quantileIndex < 0) {
        return m_palette.variant(role);
    }
    const auto quantile = static_cast<std::size_t>(spec.quantileIndex);
    return m_variants.size() > 1 ? m_palette.variantQuantile(role, quantile)
                                 : m_palette.quantiles[quantile];
}

bool KpiChart::showsEvent(const TimelineEvent &event) const
{
    return !event.role ||
           std::find(m_variants.begin(), m_variants.end(), *event.role) != m_variants.end();
}

QString KpiChart::markerText(const TimelineEvent &event)
{
    const QString label = QString::fromStdString(event.label).simplified();
    switch (event.kind) {
    case TimelineEvent::Kind::VersionChange:
        return label.startsWith(QStringLiteral("now ")) ? label : QStringLiteral("now ") + label;
    case TimelineEvent::Kind::Restart:
        return QStringLiteral("\u21bb ") + (label.isEmpty() ? QStringLiteral("restart") : label);
    case TimelineEvent::Kind::Action:
        break;
    }
    return label;
}

QString KpiChart::markerToolTip(const TimelineEvent &event)
{
    // Rich text, so a long detail wraps; everything from the event is escaped.
    QString html = QStringLiteral("<b>%1 &nbsp;%2</b>")
                       .arg(clock(event.time), markerText(event).toHtmlEscaped());
    const QString detail = QString::fromStdString(event.detail).trimmed();
    if (!detail.isEmpty()) {
        html += QStringLiteral("<br>") + detail.toHtmlEscaped();
    }
    return html;
}

void KpiChart::styleMarker(EventMarker &marker) const
{
    // One neutral colour for every kind, so a marker never reads as a data line; the kind shows
    // in the line's pattern and the label's tag: outlined for an action, filled for a version
    // change, dotted for a restart. The same in light and dark palettes.
    const ChartPalette &p = m_palette;
    QPen line(p.marker, 1);
    QPen border(p.marker, 1);
    QBrush fill(p.background);
    QColor text = p.foreground;
    switch (marker.event.kind) {
    case TimelineEvent::Kind::Action:
        break;
    case TimelineEvent::Kind::VersionChange:
        line.setStyle(Qt::DashLine);
        line.setWidth(2);
        fill = QBrush(p.marker);
        text = p.background;
        break;
    case TimelineEvent::Kind::Restart:
        line.setStyle(Qt::DotLine);
        line.setWidth(2);
        border.setStyle(Qt::DotLine);
        break;
    }
    marker.line->setPen(line);
    marker.label->setPen(border);
    marker.label->setBrush(fill);
    marker.label->setColor(text);
    marker.label->setFont(smallerFont(font(), 0.85));
    // Measured once here, not at every replot: a font lookup per label per replot adds up.
    const QFontMetrics metrics(marker.label->font());
    marker.labelSize =
        QSize(metrics.horizontalAdvance(marker.label->text()) + 6, metrics.height() + 2);
}

void KpiChart::addEvent(const TimelineEvent &event)
{
    if (!showsEvent(event)) {
        return;
    }
    EventMarker marker{event, new QCPItemStraightLine(this), new QCPItemText(this), {}};
    const double key = toKey(event.time);
    marker.line->point1->setTypeX(QCPItemPosition::ptPlotCoords);
    marker.line->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
    marker.line->point1->setCoords(key, 0.0);
    marker.line->point2->setTypeX(QCPItemPosition::ptPlotCoords);
    marker.line->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
    marker.line->point2->setCoords(key, 1.0);
    marker.line->setSelectable(false);
    // A vertical line on whole pixels gains nothing from smoothing, which costs the raster
    // engine several times more.
    marker.line->setAntialiased(false);
    marker.label->setAntialiased(false);
    // The label hangs from the top of its line; layoutOverlays() moves it in pixels from there.
    marker.label->position->setType(QCPItemPosition::ptAbsolute);
    marker.label->position->setParentAnchor(marker.line->point1);
    marker.label->position->setCoords(3, 2);
    marker.label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    marker.label->setPadding(QMargins(3, 1, 3, 1));
    marker.label->setText(markerText(event));
    marker.label->setSelectable(false);
    // Above every marker line, so a later event's line never crosses an earlier label.
    marker.label->setLayer(QStringLiteral("axes"));
    styleMarker(marker);

    const auto later = std::upper_bound(
        m_markers.begin(), m_markers.end(), event.time,
        [](SystemTime time, const EventMarker &other) { return time < other.event.time; });
    m_markers.insert(later, marker);
    m_needsReplot = true;
}

void KpiChart::removeEventsBefore(SystemTime time)
{
    while (!m_markers.empty() && m_markers.front().event.time < time) {
        removeItem(m_markers.front().label);
        removeItem(m_markers.front().line);
        m_markers.pop_front();
        m_needsReplot = true;
    }
}

void KpiChart::clearEvents()
{
    for (const EventMarker &marker : m_markers) {
        removeItem(marker.label);
        removeItem(marker.line);
    }
    m_needsReplot = m_needsReplot || !m_markers.empty();
    m_markers.clear();
}

const KpiChart::EventMarker *KpiChart::markerAt(double pixelX) const
{
    const EventMarker *nearest = nullptr;
    double nearestDistance = kMarkerHitPixels + 0.5;
    for (const EventMarker &marker : m_markers) {
        const double distance = std::abs(xAxis->coordToPixel(toKey(marker.event.time)) - pixelX);
        if (distance <= nearestDistance) {
            nearest = &marker;
            nearestDistance = distance;
        }
    }
    return nearest;
}

QString KpiChart::toolTipAt(const QPointF &pos) const
{
    if (const EventMarker *marker = markerAt(pos.x())) {
        return markerToolTip(marker->event);
    }
    return readOut(xAxis->pixelToCoord(pos.x()));
}

QList<QCPItemRect *> KpiChart::gapBands() const
{
    QList<QCPItemRect *> bands;
    for (const auto &pair : m_gapBands) {
        if (pair.first->visible()) {
            bands.append(pair.first);
        }
    }
    return bands;
}

void KpiChart::updateGapBands()
{
    while (m_gapBands.size() < m_gaps.size()) {
        auto *band = new QCPItemRect(this);
        band->setLayer(QStringLiteral("grid"));
        band->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
        band->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
        band->bottomRight->setTypeX(QCPItemPosition::ptPlotCoords);
        band->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
        band->setPen(Qt::NoPen);
        band->setBrush(QBrush(m_palette.gapBand, Qt::BDiagPattern));
        band->setSelectable(false);
        auto *text = new QCPItemText(this);
        text->setLayer(QStringLiteral("grid"));
        text->position->setType(QCPItemPosition::ptAxisRectRatio);
        text->position->setTypeX(QCPItemPosition::ptPlotCoords);
        text->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        text->setText(QStringLiteral("no data"));
        text->setColor(m_palette.gapText);
        text->setFont(smallerFont(font(), 0.88));
        text->setSelectable(false);
        m_gapBands.emplace_back(band, text);
    }
    for (std::size_t i = 0; i < m_gapBands.size(); ++i) {
        auto &[band, text] = m_gapBands[i];
        const bool used = i < m_gaps.size();
        band->setVisible(used);
        text->setVisible(false); // layoutOverlays() shows it where there is room
        if (used) {
            const double from = toKey(m_gaps[i].first);
            const double to = toKey(m_gaps[i].second);
            band->topLeft->setCoords(from, 0.0);
            band->bottomRight->setCoords(to, 1.0);
            text->position->setCoords((from + to) / 2, 0.97);
        }
    }
}

void KpiChart::layoutOverlays()
{
    const QRect plot = axisRect()->rect();
    for (std::size_t i = 0; i < m_gapBands.size() && i < m_gaps.size(); ++i) {
        auto &[band, text] = m_gapBands[i];
        const double width = xAxis->coordToPixel(toKey(m_gaps[i].second)) -
                             xAxis->coordToPixel(toKey(m_gaps[i].first));
        text->setVisible(width >= m_gapTextWidth);
    }

    // Greedy rows: each label takes the first row where it clears the previous label; with no
    // row free it is hidden (its tooltip still tells). Near the right edge it hangs to the left.
    std::array<double, kLabelRows> rowEnds;
    rowEnds.fill(-std::numeric_limits<double>::infinity());
    for (const EventMarker &marker : m_markers) {
        const double x = xAxis->coordToPixel(toKey(marker.event.time));
        if (x < plot.left() - 1 || x > plot.right() + 1) {
            marker.label->setVisible(false);
            continue;
        }
        const int width = marker.labelSize.width();
        const int height = marker.labelSize.height();
        const bool leftOfLine = x + 3 + width > plot.right();
        const double left = leftOfLine ? x - 3 - width : x + 3;
        int row = 0;
        while (row < kLabelRows && rowEnds[static_cast<std::size_t>(row)] + kLabelGap > left) {
            ++row;
        }
        if (row == kLabelRows || 2 + (row + 1) * (height + 2) > plot.height()) {
            marker.label->setVisible(false);
            continue;
        }
        rowEnds[static_cast<std::size_t>(row)] = left + width;
        marker.label->setVisible(true);
        marker.label->setPositionAlignment((leftOfLine ? Qt::AlignRight : Qt::AlignLeft) |
                                           Qt::AlignTop);
        marker.label->position->setCoords(leftOfLine ? -3 : 3, 2 + row * (height + 2));
    }
}

void KpiChart::setTimeLabelsVisible(bool visible)
{
    if (xAxis->tickLabels() != visible) {
        xAxis->setTickLabels(visible);
        m_needsReplot = true;
    }
}

QCPGraph *KpiChart::graphFor(VariantRole role, Kpi kpi) const
{
    for (const Line &line : m_lines) {
        if (line.role == role && line.spec.kpi == kpi) {
            return line.graph;
        }
    }
    return nullptr;
}

double KpiChart::toKey(SystemTime time)
{
    return static_cast<double>(time.time_since_epoch().count()) / 1000.0;
}

SystemTime KpiChart::fromKey(double key)
{
    return SystemTime(std::chrono::milliseconds(std::llround(key * 1000.0)));
}

std::size_t KpiChart::bucketCount() const
{
    return static_cast<std::size_t>(std::max(64, width() - kLeftMargin - kRightMargin));
}

KpiChart::SeriesStamp KpiChart::stampOf(const Line &line) const
{
    const TimeSeries &series = m_store.series(line.role, line.spec.kpi);
    if (series.empty()) {
        return {};
    }
    return {series.size(), series.front().time, series.back().time};
}

bool KpiChart::dataChangedInRange(const Line &line, SystemTime loadFrom, SystemTime loadTo) const
{
    const SeriesStamp now = stampOf(line);
    if (now == line.stamp) {
        return false;
    }
    // New points past the right edge, or old ones trimmed before the left edge, do not change
    // what is on screen (a paused chart then stays still).
    const bool appendedOutside = line.stamp.size > 0 && line.stamp.back > loadTo;
    const bool trimmedOutside = now.size > 0 && now.front < loadFrom;
    return !(appendedOutside && trimmedOutside);
}

bool KpiChart::sync(SystemTime from, SystemTime to, bool dataMayHaveChanged)
{
    if (to <= from) {
        return false;
    }
    const std::size_t buckets = bucketCount();
    const auto span = (to - from).count();
    const std::chrono::milliseconds bucketWidth(std::max<std::int64_t>(
        1, (span + static_cast<std::int64_t>(buckets) - 1) / static_cast<std::int64_t>(buckets)));
    // A little beyond both edges, so lines run to the border instead of stopping short of it.
    const auto margin =
        std::max<std::chrono::milliseconds>(2 * bucketWidth, std::chrono::seconds(2));
    const SystemTime loadFrom = from - margin;
    const SystemTime loadTo = to + margin;

    const QCPRange wanted(toKey(from), toKey(to));
    if (xAxis->range().lower != wanted.lower || xAxis->range().upper != wanted.upper) {
        m_settingRange = true;
        xAxis->setRange(wanted);
        m_settingRange = false;
        m_needsReplot = true;
    }

    bool reload =
        m_needsSync || from != m_loadedFrom || to != m_loadedTo || buckets != m_loadedBuckets;
    if (!reload && dataMayHaveChanged) {
        reload = std::any_of(m_lines.begin(), m_lines.end(), [&](const Line &line) {
            return dataChangedInRange(line, loadFrom, loadTo);
        });
    }
    if (!reload) {
        return false;
    }

    const std::int64_t firstBucket = LodCache::bucketOf(loadFrom, bucketWidth);
    const std::int64_t lastBucket = LodCache::bucketOf(loadTo, bucketWidth);
    double lowest = std::numeric_limits<double>::infinity();
    double highest = -std::numeric_limits<double>::infinity();
    QVector<QCPGraphData> buffer;
    std::optional<std::vector<TimeSpan>> noLineHasData;
    for (Line &line : m_lines) {
        const TimeSeries &series = m_store.series(line.role, line.spec.kpi);
        const auto &points = line.lod.points(series, firstBucket, lastBucket, bucketWidth);
        if (!series.empty()) {
            // A shaded band only where nothing is drawn: in the overlay one variant's missing
            // line shows as that line stopping.
            const auto lineGaps = gapsOf(points, loadTo);
            noLineHasData = noLineHasData ? intersect(*noLineHasData, lineGaps) : lineGaps;
        }
        buffer.clear();
        buffer.reserve(static_cast<qsizetype>(points.size()));
        for (const TimePoint &point : points) {
            const double key = toKey(point.time);
            // A gap stays a NaN so QCustomPlot breaks the line there.
            const double value = point.isGap() ? kNaN : point.value * m_row.scale;
            buffer.append(QCPGraphData(key, value));
            if (!point.isGap() && point.time >= from && point.time <= to) {
                lowest = std::min(lowest, value);
                highest = std::max(highest, value);
            }
        }
        line.graph->data()->set(buffer, true);
        // Smoothing a dense min/max zig-zag costs the raster engine several times more and
        // shows nothing more; sparse lines keep their smooth edges.
        line.graph->setAntialiased(buffer.size() < static_cast<qsizetype>(buckets / 2));
        line.stamp = stampOf(line);
    }
    m_extent =
        lowest <= highest ? std::optional<QCPRange>(QCPRange(lowest, highest)) : std::nullopt;
    m_emptyText->setVisible(!m_extent);
    m_gaps = noLineHasData ? std::move(*noLineHasData) : std::vector<TimeSpan>{};
    updateGapBands();
    m_loadedFrom = from;
    m_loadedTo = to;
    m_loadedBuckets = buckets;
    m_needsSync = false;
    m_needsReplot = true;
    return true;
}

void KpiChart::setValueRange(const QCPRange &range)
{
    const QCPRange current = yAxis->range();
    if (current.lower != range.lower || current.upper != range.upper) {
        yAxis->setRange(range);
        m_needsReplot = true;
    }
}

bool KpiChart::replotIfNeeded()
{
    if (!m_needsReplot) {
        return false;
    }
    m_needsReplot = false;
    replot();
    return true;
}

void KpiChart::setCursorKey(double key)
{
    const bool visible = std::isfinite(key);
    if (!visible && !m_cursor->visible()) {
        return;
    }
    m_cursor->setVisible(visible);
    if (visible) {
        m_cursor->point1->setCoords(key, 0.0);
        m_cursor->point2->setCoords(key, 1.0);
    }
    m_cursor->layer()->replot();
}

double KpiChart::cursorKey() const
{
    return m_cursor->visible() ? m_cursor->point1->key() : kNaN;
}

void KpiChart::onXRangeChanged(const QCPRange &range)
{
    if (!m_settingRange) {
        Q_EMIT timeRangeEdited(range);
    }
}

QString KpiChart::readOut(double key) const
{
    const SystemTime time = fromKey(key);
    const double secondsPerPixel = xAxis->range().size() / std::max(1, axisRect()->width());
    const auto tolerance =
        std::chrono::milliseconds(std::llround(std::max(1.5, 3.0 * secondsPerPixel) * 1000.0));

    QString html =
        QStringLiteral("<b>%1</b><table cellspacing=\"0\" cellpadding=\"1\">").arg(clock(time));
    for (const VariantRole role : {VariantRole::Production, VariantRole::Canary}) {
        for (const ChartLineSpec &spec : m_row.lines) {
            const TimeSeries &series = m_store.series(role, spec.kpi);
            const std::size_t index = series.lowerIndex(time);
            std::optional<TimePoint> nearest;
            for (const std::size_t candidate : {index, index - 1}) {
                if (candidate >= series.size()) {
                    continue;
                }
                const TimePoint &point = series.at(candidate);
                const auto distance = point.time > time ? point.time - time : time - point.time;
                if (distance <= tolerance &&
                    (!nearest || distance < (nearest->time > time ? nearest->time - time
                                                                  : time - nearest->time))) {
                    nearest = point;
                }
            }
            const QColor colour = lineColour(role, spec);
            const QString value = nearest && !nearest->isGap()
                                      ? m_row.formatValue(nearest->value * m_row.scale)
                                      : QStringLiteral("no data");
            html += QStringLiteral("<tr><td><span style=\"color:%1\">&#9632;</span> %2 %3</td>"
                                   "<td align=\"right\">&nbsp;&nbsp;%4</td></tr>")
                        .arg(colour.name(), variantName(role), spec.name.toHtmlEscaped(),
                             value.toHtmlEscaped());
        }
    }
    html += QStringLiteral("</table>");
    return html;
}

void KpiChart::mouseMoveEvent(QMouseEvent *event)
{
    QCustomPlot::mouseMoveEvent(event);
    const QPointF pos = event->position();
    if (event->buttons() != Qt::NoButton || !axisRect()->rect().contains(pos.toPoint())) {
        QToolTip::hideText();
        Q_EMIT hoverKeyChanged(kNaN);
        return;
    }
    const double key = xAxis->pixelToCoord(pos.x());
    Q_EMIT hoverKeyChanged(key);
    QToolTip::showText(event->globalPosition().toPoint(), toolTipAt(pos), this);
}

void KpiChart::mouseDoubleClickEvent(QMouseEvent *event)
{
    QCustomPlot::mouseDoubleClickEvent(event);
    if (event->button() == Qt::LeftButton) {
        Q_EMIT liveRequested();
    }
}

void KpiChart::leaveEvent(QEvent *event)
{
    QCustomPlot::leaveEvent(event);
    QToolTip::hideText();
    Q_EMIT hoverKeyChanged(kNaN);
}

int KpiChart::timeTickCount(int widthPixels)
{
    // An "HH:mm:ss" label is about 60 px wide: keep at least as much room between two, so a
    // narrow chart (a half-width column, a report page) never prints them over each other.
    return std::clamp(widthPixels / 130, 2, 6);
}

void KpiChart::setTimeInUtc(bool utc)
{
    m_timeTicker->setDateTimeSpec(utc ? Qt::UTC : Qt::LocalTime);
    m_needsReplot = true;
}

void KpiChart::resizeEvent(QResizeEvent *event)
{
    QCustomPlot::resizeEvent(event);
    m_timeTicker->setTickCount(timeTickCount(width()));
    if (bucketCount() != m_loadedBuckets) {
        m_needsSync = true;
        Q_EMIT refreshWanted();
    }
}

void KpiChart::changeEvent(QEvent *event)
{
    QCustomPlot::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange) {
        applyPalette();
        Q_EMIT refreshWanted();
    }
}

} // namespace canary
