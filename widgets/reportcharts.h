#pragma once

#include "report/reportdata.h"
#include "report/reporthtml.h"

#include <QSize>

#include <vector>

namespace canary {

// The report's charts in the console's look: the same ChartGrid the window shows (side-by-side
// columns, shared value ranges, gaps as gaps, the actions as markers), drawn off screen in the
// light palette so the page prints. `size` is the grid's size in device-independent pixels; the
// image has twice as many. Runs on the GUI thread (widgets do); the rest of an export
// may then run elsewhere.
std::vector<report::ReportImage> renderReportCharts(const report::ReportData &report,
                                                    QSize size = QSize(1000, 760));

} // namespace canary
