#pragma once

#include "report/reportdata.h"

#include <ostream>
#include <string>
#include <string_view>

// The report's time series as CSV (RFC 4180): a header row, then one row per timestamp per
// variant per KPI ("long" form, so a spreadsheet pivot or pandas reads it without knowing the
// KPIs in advance):
//   time,variant,model,version,kpi,unit,value
// `value` is empty where the series has a gap. Text cells are quoted where RFC 4180 needs it, and
// a cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
// return) gets a leading apostrophe.
namespace canary::report {

// One text cell, quoted and neutralised as above.
std::string csvTextCell(std::string_view text);

// Writes every series; false when `progress` cancelled (the stream then holds a partial table,
// which the caller discards).
bool writeCsv(const ReportData &report, std::ostream &out, const Progress &progress = {});

} // namespace canary::report
