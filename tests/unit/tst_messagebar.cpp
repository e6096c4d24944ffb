#include "messagebar.h"

#include <QTest>
#include <QToolButton>

using namespace canary;
using Level = MessageBar::Level;

class TestMessageBar final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void keyedMessageEndsWithItsCondition();
    void newerMessageOutlivesAnOldKey();
    void messageWithoutKeyStaysUntilClosed();
    void closeButtonClearsAKeyedMessage();

private:
    std::unique_ptr<QWidget> m_window;
    MessageBar *m_bar = nullptr;
};

void TestMessageBar::init()
{
    m_window = std::make_unique<QWidget>();
    m_bar = new MessageBar(m_window.get());
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestMessageBar::cleanup()
{
    m_window.reset();
    m_bar = nullptr;
}

void TestMessageBar::keyedMessageEndsWithItsCondition()
{
    m_bar->showMessage(Level::Error, QStringLiteral("The backend cannot be reached."),
                       QStringLiteral("poll"));
    QVERIFY(m_bar->isVisible());
    QCOMPARE(m_bar->key(), QStringLiteral("poll"));
    m_bar->clear(QStringLiteral("action")); // another condition: not this message
    QVERIFY(m_bar->isVisible());
    m_bar->clear(QString());
    QVERIFY(m_bar->isVisible());
    m_bar->clear(QStringLiteral("poll")); // the backend answers again
    QVERIFY(!m_bar->isVisible());
    QVERIFY(m_bar->text().isEmpty());
    QVERIFY(m_bar->key().isEmpty());
}

void TestMessageBar::newerMessageOutlivesAnOldKey()
{
    m_bar->showMessage(Level::Error, QStringLiteral("The backend cannot be reached."),
                       QStringLiteral("poll"));
    m_bar->showMessage(Level::Error, QStringLiteral("Promote failed: 409 conflict."));
    QVERIFY(m_bar->key().isEmpty());
    m_bar->clear(QStringLiteral("poll")); // recovery must not hide the newer failure
    QVERIFY(m_bar->isVisible());
    QCOMPARE(m_bar->text(), QStringLiteral("Promote failed: 409 conflict."));

    m_bar->showMessage(Level::Warning, QStringLiteral("Metrics are stale."),
                       QStringLiteral("metrics"));
    m_bar->showMessage(Level::Error, QStringLiteral("The backend cannot be reached."),
                       QStringLiteral("poll"));
    m_bar->clear(QStringLiteral("metrics"));
    QVERIFY(m_bar->isVisible());
    QCOMPARE(m_bar->key(), QStringLiteral("poll"));
}

void TestMessageBar::messageWithoutKeyStaysUntilClosed()
{
    m_bar->showMessage(Level::Error, QStringLiteral("Rollback failed."));
    m_bar->clear(QStringLiteral("poll"));
    QVERIFY(m_bar->isVisible());
    m_bar->clear();
    QVERIFY(!m_bar->isVisible());
}

void TestMessageBar::closeButtonClearsAKeyedMessage()
{
    m_bar->showMessage(Level::Error, QStringLiteral("The backend cannot be reached."),
                       QStringLiteral("poll"));
    auto *close = m_bar->findChild<QToolButton *>();
    QVERIFY(close);
    QTest::mouseClick(close, Qt::LeftButton);
    QVERIFY(!m_bar->isVisible());
    QVERIFY(m_bar->key().isEmpty());
}

QTEST_MAIN(TestMessageBar)
#include "tst_messagebar.moc"
