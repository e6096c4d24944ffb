#include "reportcharts.h"

#include "chartgrid.h"
#include "kpichart.h"
#include "metrics/timeseriesstore.h"
#include "report/reportformat.h"
#include "util/join.h"

#include <QBuffer>
#include <QImage>
#include <QPainter>
#include <QPixmap>
#include <QStyle>
#include <QStyleFactory>

#include <algorithm>
#include <cmath>
#include <memory>

namespace canary {

namespace {

// A short marker label for an audit entry, like the live markers ("plan roll back", "25 %").
std::string markerLabel(const audit::AuditEntry &entry)
{
    std::string label = entry.action;
    if (label.rfind("plan_", 0) == 0)
        label = join("plan ", label.substr(5));
    std::replace(label.begin(), label.end(), '_', ' ');
    const auto weight = entry.parameters.find(entry.action == "set_weight" ? "weight" : "canary");
    if (weight != entry.parameters.end() && weight->is_number())
        label += join(" ", report::formatFixed(weight->get<double>(), 1), " %");
    if (entry.outcome == "failed" || entry.outcome == "conflict")
        label += " \u2716";
    return label;
}

bool marksTheChart(const audit::AuditEntry &entry)
{
    // What changed traffic or the plan's course: a hold or a pending-only entry would clutter.
    return entry.action != "plan_hold" && entry.action != "plan_start";
}

} // namespace

std::vector<report::ReportImage> renderReportCharts(const report::ReportData &report, QSize size)
{
    // A line needs two points: with fewer in every series there is nothing to draw but axes,
    // which would read as "no data" where there is some (the tables have it).
    const bool anyLine =
        std::any_of(report.series.begin(), report.series.end(), [](const auto &line) {
            return std::count_if(line.points.begin(), line.points.end(), [](const auto &point) {
                       return std::isfinite(point.second);
                   }) >= 2;
        });
    if (!anyLine || report.to <= report.from)
        return {};
    const auto span =
        std::chrono::duration_cast<std::chrono::milliseconds>(report.to - report.from);
    metrics::TimeSeriesStore store(std::max<std::chrono::milliseconds>(
        span + std::chrono::minutes(1), std::chrono::hours(24)));
    for (const report::ReportSeries &line : report.series) {
        for (const auto &[time, value] : line.points)
            store.append(line.role, line.kpi, time, value);
    }

    ChartGrid grid(store);
    // Paper is white: the light palette whatever the desktop's theme.
    const std::unique_ptr<QStyle> fusion(QStyleFactory::create(QStringLiteral("Fusion")));
    if (fusion)
        grid.setPalette(fusion->standardPalette());
    grid.setAttribute(Qt::WA_DontShowOnScreen);
    grid.resize(size);
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(span);
    grid.setTimeWindow(std::clamp(seconds, ChartGrid::kMinimumSpan, ChartGrid::kMaximumWindow));
    grid.setNow(report.to);
    for (const audit::AuditEntry &entry : report.timeline) {
        if (!marksTheChart(entry))
            continue;
        TimelineEvent event;
        event.time = entry.time;
        event.kind = TimelineEvent::Kind::Action;
        event.label = markerLabel(entry);
        event.detail = entry.message;
        grid.addEvent(event);
    }
    for (KpiChart *chart : grid.visibleCharts())
        chart->setTimeInUtc(true); // as the report's tables
    grid.show();                   // not on screen: lays the grid out so it can be drawn
    grid.markDirty();
    grid.refresh();
    // Drawn at twice the pixels: the page shows it about 17 cm wide, where 1x text would blur.
    // Each chart draws itself afresh at that scale (QCustomPlot::toPixmap), not from the screen
    // buffers it keeps at the window's own scale; the column titles are text, drawn scaled.
    constexpr double kScale = 2.0;
    QImage image(size * kScale, QImage::Format_ARGB32_Premultiplied);
    image.fill(grid.palette().color(QPalette::Window));
    QPainter painter(&image);
    for (QWidget *child : grid.findChildren<QWidget *>(Qt::FindDirectChildrenOnly)) {
        if (!child->isVisible())
            continue;
        const QPoint at = child->geometry().topLeft() * kScale;
        if (auto *chart = qobject_cast<KpiChart *>(child)) {
            painter.drawPixmap(at, chart->toPixmap(chart->width(), chart->height(), kScale));
        } else {
            painter.save();
            painter.scale(kScale, kScale);
            child->render(&painter, child->geometry().topLeft(), QRegion(), QWidget::DrawChildren);
            painter.restore();
        }
    }
    painter.end();
    grid.hide();

    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    report::ReportImage out;
    out.title = "Latency (p50, p95, p99), error rate, accuracy and throughput: production on the "
                "left, canary on the right, on the same scales; times in UTC.";
    out.png = png.toStdString();
    out.width = image.width();
    out.height = image.height();
    return {out};
}

} // namespace canary
