#pragma once

#include "domain/rolloutstate.h"

#include <nlohmann/json.hpp>

#include <QDialog>

#include <memory>

class QPushButton;

namespace Ui {
class StageCanaryDialog;
}

namespace canary {

// Model, version and how to serve the next canary, as the body of PUT /v1/rollout/canary.
class StageCanaryDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit StageCanaryDialog(const std::optional<RolloutState> &state, QWidget *parent = nullptr);
    ~StageCanaryDialog() override;

    // The request body; only meaningful when problem() is empty.
    nlohmann::json spec() const;
    // Why the form cannot be sent yet, in words; empty when it can.
    QString problem() const;
    QPushButton *stageButton() const;

    void setModel(const QString &model);
    void setVersion(const QString &version);
    void useSimulated(double p50Ms, double p99Ms, double errorPercent, double accuracyPercent);
    void useUpstream(const QString &url, int timeoutMs);

private:
    void validate();

    std::unique_ptr<Ui::StageCanaryDialog> m_ui;
};

} // namespace canary
