#pragma once

#include "report/reportdata.h"
#include "report/reporthtml.h"
#include "report/reportwriter.h"

#include <QDialog>
#include <QObject>
#include <QString>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

class QComboBox;
class QLineEdit;
class QThread;

namespace canary {

// Writes a report file on a thread of its own, so a long export (a day of history) never blocks
// the window: progress and the outcome arrive as signals on the GUI thread. One export at a time.
class ReportExporter final : public QObject
{
    Q_OBJECT

public:
    explicit ReportExporter(QObject *parent = nullptr);
    ~ReportExporter() override; // waits for a running export, cancelled

    // False (and nothing started) while another export runs.
    bool start(report::ReportData data, std::vector<report::ReportImage> charts,
               report::Format format, const QString &path);
    void cancel();
    bool busy() const { return m_thread != nullptr; }

Q_SIGNALS:
    void progressed(int permille);
    // Written (the file is complete), or not (nothing was left behind) with the reason.
    void finished(bool written, const QString &message);

private:
    QThread *m_thread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelled;
};

// File → Export comparison report…: the format, the time the report covers and the file.
class ExportReportDialog final : public QDialog
{
    Q_OBJECT

public:
    // `shownWindow`: the span the charts show now, offered first.
    ExportReportDialog(std::chrono::seconds shownWindow, const QString &folder,
                       QWidget *parent = nullptr);

    report::Format format() const;
    // How far back from now the report reaches; nullopt: all the history the console holds.
    std::optional<std::chrono::seconds> window() const;
    QString path() const;

private:
    void browse();
    void onFormatChanged();

    QComboBox *m_format = nullptr;
    QComboBox *m_window = nullptr;
    QLineEdit *m_path = nullptr;
};

} // namespace canary
