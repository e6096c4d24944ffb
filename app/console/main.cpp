// canary-console: the desktop console. Watches production and canary side by side and moves
// traffic between them.
#include "aboutdialog.h"
#include "mainwindow.h"

#include "backends/backendfactory.h"
#include "backends/httptransport.h"
#include "util/clock.h"
#include "util/tokenfile.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSocketNotifier>
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

// SIGTERM, SIGINT and SIGHUP (a logout, `kill`, Ctrl+C in the terminal) end the console the way
// Quit does: the window saves its state and stops the demo gateway with its token folder. The
// handler only writes the signal number to a pipe, which is all a signal handler may safely do;
// the event loop reads it and runs `onSignal`. A second signal while shutting down ends the
// console at once (the gateway then goes by its parent-death signal).
class QuitOnSignals final : public QObject
{
public:
    static constexpr std::array<int, 3> kSignals = {SIGTERM, SIGINT, SIGHUP};

    explicit QuitOnSignals(std::function<void(int)> onSignal)
        : m_onSignal(std::move(onSignal))
    {
        if (::pipe2(s_pipe.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
            std::perror("canary-console: cannot watch for signals");
            return;
        }
        m_notifier = new QSocketNotifier(s_pipe[0], QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, &QuitOnSignals::onReadable);
        struct sigaction action = {};
        action.sa_handler = &QuitOnSignals::handle;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        for (const int number : kSignals)
            ::sigaction(number, &action, nullptr);
    }

    ~QuitOnSignals() override
    {
        restoreDefaults();
        for (int &fd : s_pipe) {
            if (fd >= 0)
                ::close(fd);
            fd = -1;
        }
    }

private:
    static void handle(int number)
    {
        const auto byte = static_cast<unsigned char>(number);
        [[maybe_unused]] const ssize_t written = ::write(s_pipe[1], &byte, 1);
    }

    static void restoreDefaults()
    {
        for (const int number : kSignals)
            std::signal(number, SIG_DFL);
    }

    void onReadable()
    {
        unsigned char byte = 0;
        if (::read(s_pipe[0], &byte, 1) != 1)
            return;
        restoreDefaults();
        m_notifier->setEnabled(false);
        m_onSignal(byte);
    }

    static inline std::array<int, 2> s_pipe = {-1, -1};
    QSocketNotifier *m_notifier = nullptr;
    std::function<void(int)> m_onSignal;
};

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
        QStringLiteral("Run the reference gateway with simulated models beside the console."));
    const QCommandLineOption url(
        QStringLiteral("url"), QStringLiteral("Control API base URL, e.g. http://127.0.0.1:8080."),
        QStringLiteral("URL"));
    const QCommandLineOption backend(
        QStringLiteral("backend"),
        QStringLiteral("The backend that moves traffic, of any kind: http(s)://HOST:PORT (Control "
                       "API), haproxy+unix:///PATH?backend=B&production=S1&canary=S2 or "
                       "haproxy+tcp://HOST:PORT?backend=... (docs/console.md)."),
        QStringLiteral("URL"));
    const QCommandLineOption metrics(
        QStringLiteral("metrics"),
        QStringLiteral("Where the KPIs are read: prometheus+http(s)://HOST:PORT[?job=JOB], or an "
                       "http(s)://.../metrics URL to scrape. Default: the backend's own."),
        QStringLiteral("URL"));
    const QCommandLineOption tokenFile(
        QStringLiteral("token-file"),
        QStringLiteral("File whose first line is the Control API bearer token."),
        QStringLiteral("FILE"));
    const QCommandLineOption metricsTokenFile(
        QStringLiteral("metrics-token-file"),
        QStringLiteral("File whose first line is the Prometheus bearer token."),
        QStringLiteral("FILE"));
    const QCommandLineOption queries(
        QStringLiteral("queries"),
        QStringLiteral("Prometheus query file (JSON, docs/prometheus.md); default: the built-in "
                       "queries for canary-gateway."),
        QStringLiteral("FILE"));
    const QCommandLineOption insecure(QStringLiteral("insecure"),
                                      QStringLiteral("Do not verify TLS certificates."));
    parser.addOptions({help, version, demo, url, backend, metrics, tokenFile, metricsTokenFile,
                       queries, insecure});

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
    if (!parser.positionalArguments().isEmpty())
        return usage(QStringLiteral("unexpected argument '%1'")
                         .arg(parser.positionalArguments().constFirst()));
    const bool connecting = parser.isSet(url) || parser.isSet(backend);
    if (parser.isSet(url) && parser.isSet(backend))
        return usage(QStringLiteral("--url and --backend exclude each other (--url is a Control "
                                    "API --backend)"));
    if (parser.isSet(demo) && connecting)
        return usage(QStringLiteral("--demo excludes --url and --backend"));
    if (!connecting &&
        (parser.isSet(tokenFile) || parser.isSet(insecure) || parser.isSet(metrics) ||
         parser.isSet(metricsTokenFile) || parser.isSet(queries)))
        return usage(QStringLiteral("--token-file, --insecure, --metrics, --metrics-token-file and "
                                    "--queries need --backend or --url"));
    if (!parser.isSet(metrics) && (parser.isSet(metricsTokenFile) || parser.isSet(queries)))
        return usage(QStringLiteral("--metrics-token-file and --queries need --metrics"));

    ConnectionTarget target;
    if (parser.isSet(url)) {
        target.url = parser.value(url).trimmed();
        const QUrl parsed(target.url, QUrl::StrictMode);
        if (!parsed.isValid() || parsed.host().isEmpty() ||
            (parsed.scheme() != QStringLiteral("http") &&
             parsed.scheme() != QStringLiteral("https")))
            return usage(QStringLiteral("--url must be an http:// or https:// URL"));
    } else if (parser.isSet(backend)) {
        target.url = parser.value(backend).trimmed();
    }
    if (connecting) {
        target.metricsUrl = parser.value(metrics).trimmed();
        target.queryFile = parser.value(queries).trimmed();
        target.verifyTls = !parser.isSet(insecure);
        QString error;
        if (parser.isSet(tokenFile)) {
            const auto token = readTokenFile(parser.value(tokenFile), &error);
            if (!token)
                return usage(error);
            target.token = *token;
        }
        if (parser.isSet(metricsTokenFile)) {
            const auto token = readTokenFile(parser.value(metricsTokenFile), &error);
            if (!token)
                return usage(error);
            target.metricsToken = *token;
        }
    }

    QApplication app(argc, argv);
    if (connecting) {
        // The factory judges the URLs (and reads the query file) before any window shows, so a
        // typo ends here with the sentence canaryctl would print.
        HttpTransport transport;
        ConnectionProfile profile;
        profile.backendUrl = target.url.toStdString();
        profile.metricsUrl = target.metricsUrl.toStdString();
        profile.options.queryFile = target.queryFile.toStdString();
        std::string error;
        if (!makeBackends(profile, &transport, SystemClock::instance(), &error).control)
            return usage(QString::fromStdString(error));
    }
    MainWindow window;
    const QuitOnSignals quitOnSignals([&window](int number) {
        std::fprintf(stderr, "canary-console: %s, shutting down.\n", ::strsignal(number));
        // close() runs the window's shutdown (settings, demo gateway); quit() also leaves any
        // dialog's event loop that is open at the time.
        window.close();
        QCoreApplication::quit();
    });
    window.show();
    if (parser.isSet(demo))
        window.startDemo();
    else if (!target.url.isEmpty())
        window.connectTo(target);
    else
        QTimer::singleShot(0, &window, &MainWindow::startFromSettings);
    return app.exec();
}
