// canary-console: the desktop console. Watches production and canary side by side and moves
// traffic between them.
#include "aboutdialog.h"
#include "mainwindow.h"

#include "backends/backendfactory.h"
#include "backends/connectionoptions.h"
#include "backends/httptransport.h"
#include "demogateway.h"
#include "rollout/plan.h"
#include "util/clock.h"
#include "util/signalwatcher.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
#include <QUrl>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>

#include <fcntl.h>
#include <unistd.h>

using namespace canary;

namespace {

constexpr int kUsage = 2;

int usage(const QString &message)
{
    std::fprintf(stderr, "canary-console: %s\nTry 'canary-console --help'.\n",
                 message.toUtf8().constData());
    return kUsage;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication::setOrganizationName(QStringLiteral("canary-console"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("canary-console.org"));
    QCoreApplication::setApplicationName(QStringLiteral("canary-console"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CANARY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Canary Console: watch production and canary models side by side, move "
                       "traffic, promote or roll back.\n\nWithout options the console connects "
                       "to the last used profile, or offers the demo on a first run."));
    const QCommandLineOption help(QStringList{QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    const QCommandLineOption version(QStringLiteral("version"),
                                     QStringLiteral("Show version information."));
    const QCommandLineOption demo(
        QStringLiteral("demo"),
        QStringLiteral("Run the reference gateway with simulated models beside the console. "
                       "'--demo regression': its canary degrades a few minutes in, and the "
                       "rollout plan starts by itself and catches it."));
    const QCommandLineOption degradeAfter(
        QStringLiteral("degrade-after"),
        QStringLiteral("With --demo regression: the canary degrades this many seconds after the "
                       "demo starts (default 150)."),
        QStringLiteral("SECONDS"));
    const QCommandLineOption planFile(
        QStringLiteral("plan"),
        QStringLiteral("The rollout plan to run (docs/plans.md); default: the built-in one."),
        QStringLiteral("FILE"));
    const ConnectionOptions connection;
    parser.addOptions({help, version, demo, degradeAfter, planFile});
    connection.addTo(parser);

    // Parsed before QApplication exists, so --help and --version work without a display.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    if (!parser.parse(arguments))
        return usage(parser.errorText());
    if (parser.isSet(help)) {
        // Without an application object the parser cannot know the program's name.
        QString text = parser.helpText();
        text.replace(QStringLiteral("<executable_name>"), QStringLiteral("canary-console"));
        std::fputs(text.toUtf8().constData(), stdout);
        return 0;
    }
    if (parser.isSet(version)) {
        std::printf("%s\n", AboutDialog::versionSummary().toUtf8().constData());
        return 0;
    }
    // --demo takes an optional scenario name as the word after it.
    QStringList positional = parser.positionalArguments();
    DemoGateway::Scenario scenario = DemoGateway::Scenario::Healthy;
    if (parser.isSet(demo) && !positional.isEmpty()) {
        const auto named = DemoGateway::scenarioFromName(positional.constFirst());
        if (!named)
            return usage(QStringLiteral("unknown demo '%1' (the demos are 'healthy' and "
                                        "'regression')")
                             .arg(positional.constFirst()));
        scenario = *named;
        positional.removeFirst();
    }
    if (!positional.isEmpty())
        return usage(QStringLiteral("unexpected argument '%1'").arg(positional.constFirst()));
    std::chrono::seconds degrade = DemoGateway::kDefaultDegradeAfter;
    if (parser.isSet(degradeAfter)) {
        bool ok = false;
        const int seconds = parser.value(degradeAfter).toInt(&ok);
        if (!ok || seconds < 0 || seconds > 86'400)
            return usage(QStringLiteral("--degrade-after needs a whole number of seconds from 0 "
                                        "to 86400, not '%1'")
                             .arg(parser.value(degradeAfter)));
        if (scenario != DemoGateway::Scenario::Regression)
            return usage(QStringLiteral("--degrade-after needs --demo regression"));
        degrade = std::chrono::seconds(seconds);
    }
    std::optional<rollout::Plan> plan;
    if (parser.isSet(planFile)) {
        std::string error;
        plan = rollout::loadPlanFile(parser.value(planFile).toStdString(), &error);
        if (!plan)
            return usage(QString::fromStdString(error));
    }
    const bool connecting = connection.namesBackend(parser);
    if (parser.isSet(demo) && connecting)
        return usage(QStringLiteral("--demo excludes --url and --backend"));
    if (!connecting && connection.anyGiven(parser))
        return usage(QStringLiteral("the connection options need --backend or --url"));

    ConnectionTarget target;
    if (connecting) {
        QString error;
        const auto profile = connection.read(parser, {}, {}, &error);
        if (!profile)
            return usage(error);
        target = ConnectionTarget::fromCommandLine(*profile);
    }

    QApplication app(argc, argv);
    if (connecting) {
        // The factory judges the URLs (and reads the query file) before any window shows, so a
        // typo ends here with the sentence canaryctl would print.
        HttpTransport transport;
        std::string error;
        if (!makeBackends(target.profile(), &transport, SystemClock::instance(), &error).control)
            return usage(QString::fromStdString(error));
    }
    MainWindow window;
    const SignalWatcher quitOnSignals({SIGTERM, SIGINT, SIGHUP}, [&window](int number) {
        std::fprintf(stderr, "canary-console: %s, shutting down.\n", ::strsignal(number));
        // close() runs the window's shutdown (settings, demo gateway); quit() also leaves any
        // dialog's event loop that is open at the time.
        window.close();
        QCoreApplication::quit();
    });
    if (!quitOnSignals.watching())
        std::perror("canary-console: cannot watch for signals");
    if (plan)
        window.setPlan(*plan, parser.value(planFile));
    window.show();
    if (parser.isSet(demo))
        window.startDemo(scenario, degrade);
    else if (!target.url.isEmpty())
        window.connectTo(target);
    else
        QTimer::singleShot(0, &window, &MainWindow::startFromSettings);
    return app.exec();
}
