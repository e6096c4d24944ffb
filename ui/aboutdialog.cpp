#include "aboutdialog.h"

#include "ui_aboutdialog.h"

#include "backends/httptransport.h"
#include "qcustomplotinclude.h"

#include <QPushButton>

namespace canary {

namespace {

QString qtText()
{
    return QStringLiteral("%1 (built with %2)")
        .arg(QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR));
}

} // namespace

AboutDialog::AboutDialog(QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::AboutDialog>())
{
    m_ui->setupUi(this);
    m_ui->product->setText(QStringLiteral("<h2>Canary Console %1</h2>")
                               .arg(QStringLiteral(CANARY_VERSION).toHtmlEscaped()));
    m_ui->qtVersion->setText(qtText());
    m_ui->plotVersion->setText(QStringLiteral(QCUSTOMPLOT_VERSION_STR));
    m_ui->curlVersion->setText(QString::fromStdString(HttpTransport::curlVersion()));
    connect(m_ui->buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

AboutDialog::~AboutDialog() = default;

QString AboutDialog::versionSummary()
{
    return QStringLiteral("canary-console %1\nQt %2\nQCustomPlot %3\nlibcurl %4")
        .arg(QStringLiteral(CANARY_VERSION), qtText(), QStringLiteral(QCUSTOMPLOT_VERSION_STR),
             QString::fromStdString(HttpTransport::curlVersion()));
}

} // namespace canary
