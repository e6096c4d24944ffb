#pragma once

#include <QWidget>

class QLabel;
class QToolButton;

namespace canary {

// A non-modal message strip: the outcome of the last action, in words, until dismissed or
// replaced. Successes fade on their own; failures stay until the operator closes them, or, when
// shown with a key, until the condition behind them ends and its owner calls clear(key).
class MessageBar final : public QWidget
{
    Q_OBJECT

public:
    enum class Level { Info, Success, Warning, Error };
    static constexpr int kSuccessTimeoutMs = 8000;

    explicit MessageBar(QWidget *parent = nullptr);

    void showMessage(Level level, const QString &text);
    // A message about a condition that can end on its own ("backend unreachable"), named by
    // `key`: it stays until clear(key), the operator's close button, or a newer message.
    void showMessage(Level level, const QString &text, const QString &key);
    void clear();
    // The condition `key` ended: hides the bar if it still shows that key's message, and leaves
    // any newer message alone.
    void clear(const QString &key);

    Level level() const { return m_level; }
    QString text() const;
    QString key() const { return m_key; } // empty for a message without one

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QColor accent() const;

    QLabel *m_label = nullptr;
    QToolButton *m_close = nullptr;
    Level m_level = Level::Info;
    QString m_key;
    int m_generation = 0; // a newer message cancels the older one's timeout
};

} // namespace canary
