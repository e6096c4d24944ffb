#include "kpichart.h"

#include <QDateTime>
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
    ticker->setTickCount(6);
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
        QColor colour = line.spec.quantileIndex >= 0
                            ? p.quantiles[static_cast<std::size_t>(line.spec.quantileIndex)]
                            : p.variant(line.role);
        QPen pen(colour, kLineWidth);
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
    m_needsReplot = true;
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
    for (Line &line : m_lines) {
        const TimeSeries &series = m_store.series(line.role, line.spec.kpi);
        const auto &points = line.lod.points(series, firstBucket, lastBucket, bucketWidth);
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

    QString html = QStringLiteral("<b>%1</b><table cellspacing=\"0\" cellpadding=\"1\">")
                       .arg(QDateTime::fromMSecsSinceEpoch(time.time_since_epoch().count())
                                .toString(QStringLiteral("HH:mm:ss")));
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
            const QColor colour =
                spec.quantileIndex >= 0
                    ? m_palette.quantiles[static_cast<std::size_t>(spec.quantileIndex)]
                    : m_palette.variant(role);
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
    QToolTip::showText(event->globalPosition().toPoint(), readOut(key), this);
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

void KpiChart::resizeEvent(QResizeEvent *event)
{
    QCustomPlot::resizeEvent(event);
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
