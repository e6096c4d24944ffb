#include "report/reportcsv.h"

#include "report/reportbuilder.h"
#include "report/reportformat.h"
#include "util/join.h"

#include <cmath>

namespace canary::report {

std::string csvTextCell(std::string_view text)
{
    std::string cell;
    cell.reserve(text.size() + 3);
    // OWASP's advice for CSV injection: a leading apostrophe makes the cell text.
    if (!text.empty() && (text.front() == '=' || text.front() == '+' || text.front() == '-' ||
                          text.front() == '@' || text.front() == '\t' || text.front() == '\r'))
        cell += '\'';
    cell += text;
    const bool quote = cell.find_first_of(",\"\r\n") != std::string::npos ||
                       (!cell.empty() && (cell.front() == ' ' || cell.back() == ' '));
    if (!quote)
        return cell;
    std::string quoted = "\"";
    for (const char c : cell) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

bool writeCsv(const ReportData &report, std::ostream &out, const Progress &progress)
{
    const std::size_t total = report.pointCount();
    std::size_t done = 0;
    out << "time,variant,model,version,kpi,unit,value\r\n";
    for (const ReportSeries &line : report.series) {
        const ReportVariant &variant = report.variant(line.role);
        const KpiUnit unit = unitOf(line.kpi);
        // The same for every row of the series.
        const std::string middle = join(",", toString(line.role), ",", csvTextCell(variant.model),
                                        ",", csvTextCell(variant.version), ",",
                                        metrics::toString(line.kpi), ",", unit.name, ",");
        for (const auto &[time, value] : line.points) {
            out << formatRfc3339(time) << middle;
            if (std::isfinite(value))
                out << formatFixed(value * unit.scale, 6);
            out << "\r\n";
            if (progress && ++done % 20000 == 0 && !progress(done, total))
                return false;
        }
    }
    if (progress)
        progress(total, total);
    return true;
}

} // namespace canary::report
