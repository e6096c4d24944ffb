#include "trafficcontrol.h"

#include "backends/haproxy/haproxystat.h"

#include <QApplication>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QTest>
#include <QTimer>

using namespace canary;

namespace {

// Answers the next modal dialog by clicking the button with `objectName` (or its Cancel button),
// and records whether a dialog was seen at all.
class ModalAnswerer final : public QObject
{
public:
    explicit ModalAnswerer(bool accept)
        : m_accept(accept)
    {
        m_timer.setInterval(10);
        connect(&m_timer, &QTimer::timeout, this, &ModalAnswerer::poll);
        m_timer.start();
    }
    bool seen() const { return m_seen; }

private:
    void poll()
    {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box)
            return;
        m_seen = true;
        m_timer.stop();
        QAbstractButton *button = m_accept
                                      ? box->findChild<QPushButton *>(QStringLiteral("confirmJump"))
                                      : box->button(QMessageBox::Cancel);
        if (!button)
            button = box->button(QMessageBox::Cancel);
        button->click();
    }

    bool m_accept;
    bool m_seen = false;
    QTimer m_timer;
};

Weight tenths(int t)
{
    return Weight::fromTenths(t);
}

QPoint handleCentre(QSlider *slider)
{
    QStyleOptionSlider option;
    option.initFrom(slider);
    option.orientation = slider->orientation();
    option.minimum = slider->minimum();
    option.maximum = slider->maximum();
    option.sliderPosition = slider->sliderPosition();
    option.sliderValue = slider->value();
    option.singleStep = slider->singleStep();
    option.pageStep = slider->pageStep();
    option.tickPosition = slider->tickPosition();
    option.tickInterval = slider->tickInterval();
    option.upsideDown = false;
    option.subControls = QStyle::SC_SliderHandle;
    return slider->style()
        ->subControlRect(QStyle::CC_Slider, &option, QStyle::SC_SliderHandle, slider)
        .center();
}

} // namespace

class TestTrafficControl final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void noRequestWhileDraggingOneOnRelease();
    void mouseDragRequestsOnlyOnRelease();
    void applySendsTheSpinBoxValue();
    void quickSteps_data();
    void quickSteps();
    void largeJumpAsksToConfirm_data();
    void largeJumpAsksToConfirm();
    void enterInTheBoxApplies_data();
    void enterInTheBoxApplies();
    void revertsToConfirmedWeight();
    void confirmedWeightDoesNotYankTheHandleMidDrag();
    void disabledWhenBusyOrNoCanary_data();
    void disabledWhenBusyOrNoCanary();
    void sendsTheWeightTheBackendApplies_data();
    void sendsTheWeightTheBackendApplies();

private:
    std::unique_ptr<TrafficControl> m_control;
};

void TestTrafficControl::init()
{
    m_control = std::make_unique<TrafficControl>();
    m_control->resize(320, 220);
    m_control->setAllowed(true);
    m_control->setConfirmedWeight(tenths(100));
    m_control->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_control.get()));
}

void TestTrafficControl::cleanup()
{
    m_control.reset();
}

void TestTrafficControl::noRequestWhileDraggingOneOnRelease()
{
    QSignalSpy spy(m_control.get(), &TrafficControl::weightRequested);
    QSlider *slider = m_control->slider();
    slider->setSliderDown(true);
    for (int t = 100; t <= 200; t += 7)
        slider->setValue(t);
    slider->setValue(200);
    QCOMPARE(spy.count(), 0);
    QCOMPARE(m_control->shownWeight(), tenths(200)); // the spin box follows the drag
    QCOMPARE(m_control->confirmedWeight(), tenths(100));
    slider->setSliderDown(false); // emits sliderReleased
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<Weight>(), tenths(200));
}

void TestTrafficControl::mouseDragRequestsOnlyOnRelease()
{
    QSignalSpy spy(m_control.get(), &TrafficControl::weightRequested);
    QSlider *slider = m_control->slider();
    const QPoint from = handleCentre(slider);
    QTest::mousePress(slider, Qt::LeftButton, Qt::NoModifier, from);
    QVERIFY(slider->isSliderDown());
    const QPoint to = from + QPoint(slider->width() / 10, 0);
    for (int step = 1; step <= 5; ++step) {
        QMouseEvent move(QEvent::MouseMove, from + (to - from) * step / 5,
                         slider->mapToGlobal(from + (to - from) * step / 5), Qt::NoButton,
                         Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(slider, &move);
    }
    QVERIFY(slider->value() > 100);
    QCOMPARE(spy.count(), 0);
    QTest::mouseRelease(slider, Qt::LeftButton, Qt::NoModifier, to);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<Weight>(), tenths(slider->value()));
}

void TestTrafficControl::applySendsTheSpinBoxValue()
{
    QSignalSpy spy(m_control.get(), &TrafficControl::weightRequested);
    m_control->spinBox()->setValue(12.5);
    QCOMPARE(m_control->slider()->value(), 125);
    QCOMPARE(spy.count(), 0);
    QTest::mouseClick(m_control->applyButton(), Qt::LeftButton);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).value<Weight>(), tenths(125));
}

void TestTrafficControl::quickSteps_data()
{
    QTest::addColumn<int>("percent");
    QTest::addColumn<int>("requests"); // from 10 %: 50 % is a 40-point jump, refused below
    QTest::newRow("1") << 1 << 1;
    QTest::newRow("5") << 5 << 1;
    QTest::newRow("10-is-current") << 10 << 0;
    QTest::newRow("25") << 25 << 1;
    QTest::newRow("50-needs-confirmation") << 50 << 0;
}

void TestTrafficControl::quickSteps()
{
    QFETCH(int, percent);
    QFETCH(int, requests);
    QSignalSpy spy(m_control.get(), &TrafficControl::weightRequested);
    QPushButton *button = m_control->quickStepButton(percent);
    QVERIFY(button);
    ModalAnswerer answerer(false);
    QTest::mouseClick(button, Qt::LeftButton);
    QCOMPARE(spy.count(), requests);
    QCOMPARE(answerer.seen(), percent == 50);
    if (requests)
        QCOMPARE(spy.at(0).at(0).value<Weight>(), tenths(percent * 10));
}

void TestTrafficControl::largeJumpAsksToConfirm_data()
{
    QTest::addColumn<int>("from");
    QTest::addColumn<int>("target");
    QTest::addColumn<bool>("accept");
    QTest::addColumn<bool>("asks");
    QTest::newRow("exactly-25-points") << 100 << 350 << false << false;
    QTest::newRow("25.1-points-accepted") << 100 << 351 << true << true;
    QTest::newRow("25.1-points-rejected") << 100 << 351 << false << true;
    QTest::newRow("down-to-0-is-10-points") << 100 << 0 << false << false;
    QTest::newRow("to-100-accepted") << 100 << 1000 << true << true;
    QTest::newRow("to-100-rejected") << 100 << 1000 << false << true;
    // Steps down move users back to production: never slowed by a dialog, however large.
    QTest::newRow("50-down-to-1") << 500 << 10 << false << false;
    QTest::newRow("100-down-to-0") << 1000 << 0 << false << false;
    QTest::newRow("60-up-from-40-to-100") << 400 << 1000 << false << true;
}

void TestTrafficControl::largeJumpAsksToConfirm()
{
    QFETCH(int, from);
    QFETCH(int, target);
    QFETCH(bool, accept);
    QFETCH(bool, asks);
    m_control->setConfirmedWeight(tenths(from));
    QSignalSpy spy(m_control.get(), &TrafficControl::weightRequested);
    ModalAnswerer answerer(accept);
    m_control->slider()->setSliderDown(true);
    m_control->slider()->setValue(target);
    m_control->slider()->setSliderDown(false);
    QCOMPARE(answerer.seen(), asks);
    const bool sent = !asks || accept;
    QCOMPARE(spy.count(), sent ? 1 : 0);
    if (sent)
        QCOMPARE(spy.at(0).at(0).value<Weight>(), tenths(target));
    // A refused jump puts the controls back where the backend is.
    QCOMPARE(m_control->shownWeight(), sent ? tenths(target) : tenths(from));
    QCOMPARE(m_control->slider()->value(), sent ? target : from);
}

void TestTrafficControl::enterInTheBoxApplies_data()
{
    QTest::addColumn<QString>("typed");
    QTest::addColumn<int>("key");
    QTest::addColumn<int>("expected"); // tenths requested; -1: nothing sent
    QTest::addColumn<bool>("asks");
    QTest::newRow("return") << QStringLiteral("12.5") << int(Qt::Key_Return) << 125 << false;
    QTest::newRow("keypad-enter") << QStringLiteral("3") << int(Qt::Key_Enter) << 30 << false;
    QTest::newRow("same-as-confirmed")
        << QStringLiteral("10") << int(Qt::Key_Return) << -1 << false;
    // Enter goes through the same check as Apply: a big raise still asks (refused here).
    QTest::newRow("big-raise-asks") << QStringLiteral("80") << int(Qt::Key_Return) << -1 << true;
}

void TestTrafficControl::enterInTheBoxApplies()
{
    QFETCH(QString, typed);
    QFETCH(int, key);
    QFETCH(int, expected);
    QFETCH(bool, asks);
    QSignalSpy spy(m_control.get(), &TrafficControl::weightRequested);
    ModalAnswerer answerer(false);
    QDoubleSpinBox *spin = m_control->spinBox();
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, typed);
    QCOMPARE(spy.count(), 0); // typing alone sends nothing
    QTest::keyClick(spin, Qt::Key(key));
    QCOMPARE(answerer.seen(), asks);
    QCOMPARE(spy.count(), expected >= 0 ? 1 : 0);
    if (expected >= 0) {
        QCOMPARE(spy.at(0).at(0).value<Weight>(), tenths(expected));
        QCOMPARE(m_control->slider()->value(), expected);
    }
}

void TestTrafficControl::revertsToConfirmedWeight()
{
    QSignalSpy spy(m_control.get(), &TrafficControl::weightRequested);
    m_control->spinBox()->setValue(20.0);
    QTest::mouseClick(m_control->applyButton(), Qt::LeftButton);
    QCOMPARE(spy.count(), 1);
    m_control->setBusy(true);
    m_control->setConfirmedWeight(tenths(100)); // a poll lands while the request is in flight
    QCOMPARE(m_control->shownWeight(), tenths(200));
    m_control->setBusy(false);
    m_control->revertToConfirmed(); // the request failed
    QCOMPARE(m_control->shownWeight(), tenths(100));
    QCOMPARE(m_control->slider()->value(), 100);
    // Someone else moved it: the controls follow the backend.
    m_control->setConfirmedWeight(tenths(42));
    QCOMPARE(m_control->shownWeight(), tenths(42));
    QCOMPARE(m_control->confirmedWeight(), tenths(42));
    QCOMPARE(m_control->findChild<QLabel *>(QStringLiteral("confirmedWeight"))->text(),
             QStringLiteral("4.2 %"));
}

void TestTrafficControl::confirmedWeightDoesNotYankTheHandleMidDrag()
{
    m_control->slider()->setSliderDown(true);
    m_control->slider()->setValue(300);
    m_control->setConfirmedWeight(tenths(150));
    QCOMPARE(m_control->slider()->value(), 300);
    QCOMPARE(m_control->confirmedWeight(), tenths(150));
    QSignalSpy spy(m_control.get(), &TrafficControl::weightRequested);
    m_control->slider()->setSliderDown(false);
    QCOMPARE(spy.count(), 1);
}

void TestTrafficControl::disabledWhenBusyOrNoCanary_data()
{
    QTest::addColumn<bool>("allowed"); // by the rollout rules (tst_rolloutrules)
    QTest::addColumn<bool>("busy");
    QTest::addColumn<bool>("enabled");
    QTest::newRow("allowed") << true << false << true;
    QTest::newRow("allowed-busy") << true << true << false;
    QTest::newRow("not-allowed") << false << false << false;
    QTest::newRow("not-allowed-busy") << false << true << false;
}

void TestTrafficControl::disabledWhenBusyOrNoCanary()
{
    QFETCH(bool, allowed);
    QFETCH(bool, busy);
    QFETCH(bool, enabled);
    const QString why = QStringLiteral("No canary is staged. Stage one to start a rollout.");
    m_control->setAllowed(allowed, why);
    QCOMPARE(m_control->toolTip(), allowed ? QString() : why);
    m_control->setBusy(busy);
    QCOMPARE(m_control->slider()->isEnabled(), enabled);
    QCOMPARE(m_control->applyButton()->isEnabled(), enabled);
    QCOMPARE(m_control->quickStepButton(5)->isEnabled(), enabled);
    QSignalSpy spy(m_control.get(), &TrafficControl::weightRequested);
    QTest::mouseClick(m_control->quickStepButton(5), Qt::LeftButton);
    QCOMPARE(spy.count(), enabled ? 1 : 0);
}

void TestTrafficControl::sendsTheWeightTheBackendApplies_data()
{
    QTest::addColumn<int>("asked");
    QTest::addColumn<int>("applied");
    // HAProxy's integer weights (docs/haproxy.md has the table).
    QTest::newRow("12.3 % -> 12.1 %") << 123 << 121;
    QTest::newRow("5 % -> 5.1 %") << 50 << 51;
    QTest::newRow("12.5 % exactly") << 125 << 125;
}

void TestTrafficControl::sendsTheWeightTheBackendApplies()
{
    QFETCH(int, asked);
    QFETCH(int, applied);
    m_control->setNearestWeight(&haproxy::nearestShare, QStringLiteral("HAProxy"));
    QSignalSpy requested(m_control.get(), &TrafficControl::weightRequested);
    m_control->spinBox()->setValue(asked / 10.0);
    const QString hint = m_control->findChild<QLabel *>(QStringLiteral("pendingWeight"))->text();
    const QString appliedText = QStringLiteral("HAProxy can only apply %1 %")
                                    .arg(QString::fromStdString(tenths(applied).toString()));
    QCOMPARE(hint.contains(appliedText), asked != applied);
    m_control->applyButton()->click();
    QCOMPARE(requested.size(), 1);
    QCOMPARE(requested.at(0).at(0).value<Weight>(), tenths(applied));
    QCOMPARE(m_control->shownWeight(), tenths(applied));
}

QTEST_MAIN(TestTrafficControl)
#include "tst_trafficcontrol.moc"
