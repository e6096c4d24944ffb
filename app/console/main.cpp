// canary-console: the desktop console. Watches production and canary side by side and moves
// traffic between them.
#include "aboutdialog.h"
#include "mainwindow.h"
#include "util/tokenfile.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
#include <QUrl>

#include <cstdio>

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
        QStringLiteral("Run the reference gateway with simulated models beside the console."));
    const QCommandLineOption url(
        QStringLiteral("url"), QStringLiteral("Control API base URL, e.g. http://127.0.0.1:8080."),
        QStringLiteral("URL"));
    const QCommandLineOption tokenFile(QStringLiteral("token-file"),
                                       QStringLiteral("File whose first line is the bearer token."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption insecure(QStringLiteral("insecure"),
                                      QStringLiteral("Do not verify TLS certificates."));
    parser.addOptions({help, version, demo, url, tokenFile, insecure});

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
    if (parser.isSet(demo) && parser.isSet(url))
        return usage(QStringLiteral("--demo and --url exclude each other"));
    if (!parser.isSet(url) && (parser.isSet(tokenFile) || parser.isSet(insecure)))
        return usage(QStringLiteral("--token-file and --insecure need --url"));

    ConnectionTarget target;
    if (parser.isSet(url)) {
        target.url = parser.value(url).trimmed();
        const QUrl parsed(target.url, QUrl::StrictMode);
        if (!parsed.isValid() || parsed.host().isEmpty() ||
            (parsed.scheme() != QStringLiteral("http") &&
             parsed.scheme() != QStringLiteral("https")))
            return usage(QStringLiteral("--url must be an http:// or https:// URL"));
        target.verifyTls = !parser.isSet(insecure);
        if (parser.isSet(tokenFile)) {
            QString error;
            const auto token = readTokenFile(parser.value(tokenFile), &error);
            if (!token)
                return usage(error);
            target.token = *token;
        }
    }

    QApplication app(argc, argv);
    MainWindow window;
    window.show();
    if (parser.isSet(demo))
        window.startDemo();
    else if (!target.url.isEmpty())
        window.connectTo(target);
    else
        QTimer::singleShot(0, &window, &MainWindow::startFromSettings);
    return app.exec();
}
