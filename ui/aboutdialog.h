#pragma once

#include <QDialog>

#include <memory>

namespace Ui {
class AboutDialog;
}

namespace canary {

// Product, version and the versions of the libraries underneath, for bug reports.
class AboutDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit AboutDialog(QWidget *parent = nullptr);
    ~AboutDialog() override;

    // One line per component, e.g. for --version.
    static QString versionSummary();

private:
    std::unique_ptr<Ui::AboutDialog> m_ui;
};

} // namespace canary
