#include "reportexport.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QThread>

namespace canary {

ReportExporter::ReportExporter(QObject *parent)
    : QObject(parent)
{}

ReportExporter::~ReportExporter()
{
    if (m_thread) {
        m_cancelled->store(true);
        m_thread->wait();
    }
}

bool ReportExporter::start(report::ReportData data, std::vector<report::ReportImage> charts,
                           report::Format format, const QString &path)
{
    if (m_thread)
        return false;
    m_cancelled = std::make_shared<std::atomic<bool>>(false);
    auto result = std::make_shared<std::pair<bool, std::string>>();
    // The thread owns its copies of the data: the window keeps changing its own meanwhile.
    m_thread = QThread::create([this, data = std::move(data), charts = std::move(charts), format,
                                path = path.toStdString(), cancelled = m_cancelled, result] {
        const report::Progress progress = [this, cancelled](std::size_t done, std::size_t total) {
            const int permille = total > 0 ? static_cast<int>(done * 1000 / total) : 1000;
            QMetaObject::invokeMethod(
                this, [this, permille] { Q_EMIT progressed(permille); }, Qt::QueuedConnection);
            return !cancelled->load();
        };
        std::string error;
        result->first = report::writeReport(data, charts, format, path, progress, &error);
        result->second = std::move(error);
    });
    connect(m_thread, &QThread::finished, this, [this, path, result] {
        m_thread->deleteLater();
        m_thread = nullptr;
        Q_EMIT finished(result->first, result->first ? tr("The report was written to %1.").arg(path)
                                                     : QString::fromStdString(result->second));
    });
    m_thread->start(QThread::LowPriority);
    return true;
}

void ReportExporter::cancel()
{
    if (m_cancelled)
        m_cancelled->store(true);
}

ExportReportDialog::ExportReportDialog(std::chrono::seconds shownWindow, const QString &folder,
                                       QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Export comparison report"));
    auto *form = new QFormLayout;
    m_format = new QComboBox(this);
    m_format->addItem(tr("PDF: to read and hand on"), int(report::Format::Pdf));
    m_format->addItem(tr("HTML: one self-contained page"), int(report::Format::Html));
    m_format->addItem(tr("CSV: the time series, for a spreadsheet"), int(report::Format::Csv));
    m_format->addItem(tr("JSON: everything, for scripts"), int(report::Format::Json));
    form->addRow(tr("&Format:"), m_format);

    m_window = new QComboBox(this);
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(shownWindow).count();
    m_window->addItem(minutes >= 60 ? tr("What the charts show (the last %1 h)").arg(minutes / 60)
                                    : tr("What the charts show (the last %1 min)").arg(minutes),
                      qlonglong(shownWindow.count()));
    m_window->addItem(tr("The last hour"), qlonglong(3600));
    m_window->addItem(tr("The last 24 hours"), qlonglong(86400));
    m_window->addItem(tr("All the history the console holds"), qlonglong(0));
    form->addRow(tr("&Covering:"), m_window);

    auto *pathRow = new QHBoxLayout;
    m_path = new QLineEdit(QDir(folder).filePath(QStringLiteral("canary-report.pdf")), this);
    auto *browse = new QPushButton(tr("&Browse…"), this);
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);
    auto *fileLabel = new QLabel(tr("&File:"), this);
    fileLabel->setBuddy(m_path); // the row holds a layout, which cannot take the mnemonic itself
    form->addRow(fileLabel, pathRow);

    auto *note = new QLabel(tr("The report holds the verdict, both variants' figures, the charts, "
                               "the plan and every action and decision of the audit trail in "
                               "that time. It is written in the background."),
                            this);
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    auto *exportButton = buttons->addButton(tr("&Export"), QDialogButtonBox::AcceptRole);
    exportButton->setDefault(true);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(browse, &QPushButton::clicked, this, &ExportReportDialog::browse);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ExportReportDialog::onFormatChanged);
    connect(m_path, &QLineEdit::textChanged, this, [exportButton](const QString &text) {
        exportButton->setEnabled(!text.trimmed().isEmpty());
    });
    setMinimumWidth(520);
}

report::Format ExportReportDialog::format() const
{
    return static_cast<report::Format>(m_format->currentData().toInt());
}

std::optional<std::chrono::seconds> ExportReportDialog::window() const
{
    const qlonglong seconds = m_window->currentData().toLongLong();
    if (seconds <= 0)
        return std::nullopt;
    return std::chrono::seconds(seconds);
}

QString ExportReportDialog::path() const
{
    return m_path->text().trimmed();
}

void ExportReportDialog::onFormatChanged()
{
    // Keep the file's name in step with the format, so report.csv never holds a PDF.
    const QString suffix = QString::fromUtf8(report::fileSuffix(format()).data());
    QFileInfo info(path());
    if (info.fileName().isEmpty())
        return;
    m_path->setText(QDir(info.path()).filePath(info.completeBaseName() + suffix));
}

void ExportReportDialog::browse()
{
    const QString suffix = QString::fromUtf8(report::fileSuffix(format()).data());
    const QString chosen =
        QFileDialog::getSaveFileName(this, tr("Export comparison report"), path(),
                                     tr("%1 files (*%2)").arg(suffix.mid(1).toUpper(), suffix));
    if (!chosen.isEmpty())
        m_path->setText(chosen);
}

} // namespace canary
