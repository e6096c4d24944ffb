#include "stagecanarydialog.h"

#include "ui_stagecanarydialog.h"

#include <QPushButton>
#include <QUrl>

namespace canary {

namespace {

bool isPrintable(const QString &text)
{
    for (QChar c : text) {
        if (!c.isPrint())
            return false;
    }
    return true;
}

} // namespace

StageCanaryDialog::StageCanaryDialog(const std::optional<RolloutState> &state, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::StageCanaryDialog>())
{
    m_ui->setupUi(this);
    setObjectName(QStringLiteral("stageCanaryDialog"));
    stageButton()->setText(tr("Stage canary"));
    stageButton()->setObjectName(QStringLiteral("stageButton"));
    if (state)
        m_ui->model->setText(QString::fromStdString(state->production.model));

    connect(m_ui->buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_ui->buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (QLineEdit *edit : {m_ui->model, m_ui->version, m_ui->upstreamUrl})
        connect(edit, &QLineEdit::textChanged, this, &StageCanaryDialog::validate);
    for (QRadioButton *radio : {m_ui->likeProduction, m_ui->simulated, m_ui->upstream})
        connect(radio, &QRadioButton::toggled, this, &StageCanaryDialog::validate);
    for (QDoubleSpinBox *spin : {m_ui->p50, m_ui->p99, m_ui->errorRate, m_ui->accuracy})
        connect(spin, &QDoubleSpinBox::valueChanged, this, &StageCanaryDialog::validate);
    validate();
    m_ui->version->setFocus();
}

StageCanaryDialog::~StageCanaryDialog() = default;

QPushButton *StageCanaryDialog::stageButton() const
{
    return m_ui->buttons->button(QDialogButtonBox::Ok);
}

void StageCanaryDialog::setModel(const QString &model)
{
    m_ui->model->setText(model);
}

void StageCanaryDialog::setVersion(const QString &version)
{
    m_ui->version->setText(version);
}

void StageCanaryDialog::useSimulated(double p50Ms, double p99Ms, double errorPercent,
                                     double accuracyPercent)
{
    m_ui->simulated->setChecked(true);
    m_ui->p50->setValue(p50Ms);
    m_ui->p99->setValue(p99Ms);
    m_ui->errorRate->setValue(errorPercent);
    m_ui->accuracy->setValue(accuracyPercent);
}

void StageCanaryDialog::useUpstream(const QString &url, int timeoutMs)
{
    m_ui->upstream->setChecked(true);
    m_ui->upstreamUrl->setText(url);
    m_ui->timeout->setValue(timeoutMs);
}

QString StageCanaryDialog::problem() const
{
    const QString model = m_ui->model->text().trimmed();
    const QString version = m_ui->version->text().trimmed();
    if (model.isEmpty())
        return tr("Enter the model name.");
    if (version.isEmpty())
        return tr("Enter the model version.");
    if (!isPrintable(model) || !isPrintable(version))
        return tr("Model and version may contain printable characters only.");
    if (m_ui->simulated->isChecked() && m_ui->p99->value() < m_ui->p50->value())
        return tr("Latency p99 cannot be below p50.");
    if (m_ui->upstream->isChecked()) {
        const QUrl url(m_ui->upstreamUrl->text().trimmed(), QUrl::StrictMode);
        if (!url.isValid() || url.scheme() != QStringLiteral("http") || url.host().isEmpty())
            return tr("The model server URL must look like http://host:port/path.");
    }
    return {};
}

nlohmann::json StageCanaryDialog::spec() const
{
    nlohmann::json body = {{"model", m_ui->model->text().trimmed().toStdString()},
                           {"version", m_ui->version->text().trimmed().toStdString()}};
    if (m_ui->simulated->isChecked()) {
        body["simulate"] = {{"latency_p50_ms", m_ui->p50->value()},
                            {"latency_p99_ms", m_ui->p99->value()},
                            {"error_rate", m_ui->errorRate->value() / 100.0},
                            {"accuracy", m_ui->accuracy->value() / 100.0}};
    } else if (m_ui->upstream->isChecked()) {
        body["upstream"] = m_ui->upstreamUrl->text().trimmed().toStdString();
        body["timeout_ms"] = m_ui->timeout->value();
    }
    return body;
}

void StageCanaryDialog::validate()
{
    m_ui->simulatedBox->setEnabled(m_ui->simulated->isChecked());
    m_ui->upstreamBox->setEnabled(m_ui->upstream->isChecked());
    const QString why = problem();
    m_ui->problem->setText(why);
    stageButton()->setEnabled(why.isEmpty());
}

} // namespace canary
