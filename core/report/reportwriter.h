#pragma once

#include "report/reportdata.h"
#include "report/reporthtml.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Writes a report file in one of the four formats. The file appears complete or not at all
// (written beside it, then renamed), so a cancelled or failed export leaves nothing half-written.
// Safe to call off the GUI thread: the PDF is laid out with QTextDocument and QPdfWriter, which
// need a QGuiApplication to exist but not to be on this thread.
namespace canary::report {

enum class Format { Pdf, Html, Csv, Json };

std::optional<Format> formatFromName(std::string_view name); // "pdf", "html", "csv", "json"
std::string_view toString(Format format);
std::string_view fileSuffix(Format format); // ".pdf", ...
// Only PDF and HTML carry chart images.
bool formatHasCharts(Format format);

// `progress` may cancel (then false and `error` says so). Errors name the file.
bool writeReport(const ReportData &report, const std::vector<ReportImage> &charts, Format format,
                 const std::string &path, const Progress &progress, std::string *error);

} // namespace canary::report
