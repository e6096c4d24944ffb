#pragma once

#include "report/reportdata.h"

#include <string>
#include <string_view>
#include <vector>

// The report as one self-contained HTML page (styles inline, charts as data: URIs, no script, no
// external resource), and the same content in the subset of HTML Qt's text engine lays out for
// the PDF (reportpdf.h). Every string from a backend or the trail is escaped.
namespace canary::report {

// A chart image, rendered by the caller (the console's chart look lives in widgets/).
struct ReportImage
{
    std::string title; // "Latency, errors, accuracy and throughput, production | canary"
    std::string png;   // the PNG file's bytes
    int width = 0;     // pixels
    int height = 0;
};

enum class HtmlFlavor {
    Browser, // a standalone page: CSS, images as data: URIs
    Print,   // for QTextDocument: attributes instead of CSS, images named "chart:N"
};

// Text for HTML: & < > " ' as entities, invalid UTF-8 replaced by U+FFFD, control characters
// other than tab and newline dropped.
std::string escapeHtml(std::string_view text);

std::string renderHtml(const ReportData &report, const std::vector<ReportImage> &charts,
                       HtmlFlavor flavor = HtmlFlavor::Browser);

// The resource name the Print flavor gives chart `index`.
std::string printImageName(std::size_t index);

} // namespace canary::report
