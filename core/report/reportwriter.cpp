#include "report/reportwriter.h"

#include "report/reportcsv.h"
#include "report/reportjson.h"
#include "util/join.h"

#include <QImage>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextDocument>
#include <QUrl>

#include <sstream>

namespace canary::report {

namespace {

bool writeBytes(QSaveFile &file, std::string_view bytes)
{
    return file.write(bytes.data(), static_cast<qint64>(bytes.size())) ==
           static_cast<qint64>(bytes.size());
}

// The PDF: the Print flavor of the HTML laid out on A4 pages by Qt's text engine, which numbers
// the pages. Text stays text (pdftotext reads it); nothing is interpreted as markup but ours.
bool writePdf(const ReportData &report, const std::vector<ReportImage> &charts, QSaveFile &file)
{
    QPdfWriter writer(&file);
    writer.setTitle(QString::fromStdString(report.title));
    writer.setCreator(QStringLiteral("Canary Console " CANARY_VERSION));
    writer.setPageSize(QPageSize(QPageSize::A4));
    // QTextDocument::print() puts its own 2 cm margin (with the page number in it) inside the
    // page's: the page itself has none, or the text would be only 14 cm wide.
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout::Millimeter);
    writer.setResolution(150);

    QTextDocument document;
    document.setDocumentMargin(0);
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSizeF(8.5);
    document.setDefaultFont(font);
    for (std::size_t i = 0; i < charts.size(); ++i) {
        QImage image;
        image.loadFromData(reinterpret_cast<const uchar *>(charts[i].png.data()),
                           static_cast<int>(charts[i].png.size()), "PNG");
        document.addResource(QTextDocument::ImageResource,
                             QUrl(QString::fromStdString(printImageName(i))), image);
    }
    document.setHtml(QString::fromStdString(renderHtml(report, charts, HtmlFlavor::Print)));
    document.print(&writer);
    return true;
}

} // namespace

std::optional<Format> formatFromName(std::string_view name)
{
    if (name == "pdf")
        return Format::Pdf;
    if (name == "html")
        return Format::Html;
    if (name == "csv")
        return Format::Csv;
    if (name == "json")
        return Format::Json;
    return std::nullopt;
}

std::string_view toString(Format format)
{
    switch (format) {
    case Format::Pdf:
        return "pdf";
    case Format::Html:
        return "html";
    case Format::Csv:
        return "csv";
    case Format::Json:
        return "json";
    }
    return "pdf";
}

std::string_view fileSuffix(Format format)
{
    switch (format) {
    case Format::Pdf:
        return ".pdf";
    case Format::Html:
        return ".html";
    case Format::Csv:
        return ".csv";
    case Format::Json:
        return ".json";
    }
    return "";
}

bool formatHasCharts(Format format)
{
    return format == Format::Pdf || format == Format::Html;
}

bool writeReport(const ReportData &report, const std::vector<ReportImage> &charts, Format format,
                 const std::string &path, const Progress &progress, std::string *error)
{
    QSaveFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly)) {
        *error =
            join("Cannot write the report to ", path, ": ", file.errorString().toStdString(), ".");
        return false;
    }
    bool ok = true;
    switch (format) {
    case Format::Pdf:
        ok = writePdf(report, charts, file);
        break;
    case Format::Html:
        ok = writeBytes(file, renderHtml(report, charts, HtmlFlavor::Browser));
        break;
    case Format::Csv: {
        std::ostringstream out;
        if (!writeCsv(report, out, progress)) {
            file.cancelWriting();
            *error = "The export was cancelled; no file was written.";
            return false;
        }
        ok = writeBytes(file, out.view());
        break;
    }
    case Format::Json:
        ok = writeBytes(
            file,
            toJson(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
        break;
    }
    if (progress && !progress(1, 1)) {
        file.cancelWriting();
        *error = "The export was cancelled; no file was written.";
        return false;
    }
    if (!ok || !file.commit()) {
        *error =
            join("Cannot write the report to ", path, ": ", file.errorString().toStdString(), ".");
        return false;
    }
    return true;
}

} // namespace canary::report
