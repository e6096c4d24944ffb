// The installer: builds the .deb from this build tree with CPack, unpacks it into a temporary root
// (dpkg-deb -x) and runs the unpacked programs.
#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
};

Run run(const QString &program, const QStringList &arguments, int timeoutMs = 180'000)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(program, arguments);
    Run result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        result.out = QStringLiteral("timed out: ") + program;
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAll());
    return result;
}

} // namespace

class TestPackage final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void dependsAreComputed();
    void unpackedProgramsRun_data();
    void unpackedProgramsRun();
    void docsAreInstalled();

private:
    QTemporaryDir m_dir;
    QString m_deb;
    QString m_root;
};

void TestPackage::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const Run cpack =
        run(QStringLiteral(CANARY_CPACK_BIN),
            {QStringLiteral("-G"), QStringLiteral("DEB"), QStringLiteral("--config"),
             QStringLiteral(CANARY_CPACK_CONFIG), QStringLiteral("-B"), m_dir.path()});
    QVERIFY2(cpack.exitCode == 0, qPrintable(cpack.out));
    const QStringList debs = QDir(m_dir.path()).entryList({QStringLiteral("*.deb")}, QDir::Files);
    QCOMPARE(debs.size(), 1);
    m_deb = m_dir.filePath(debs.first());
    QVERIFY2(m_deb.contains(QStringLiteral("canary-console_")), qPrintable(m_deb));
    m_root = m_dir.filePath(QStringLiteral("root"));
    const Run unpack = run(QStringLiteral("dpkg-deb"), {QStringLiteral("-x"), m_deb, m_root});
    QVERIFY2(unpack.exitCode == 0, qPrintable(unpack.out));
}

void TestPackage::dependsAreComputed()
{
    const Run depends =
        run(QStringLiteral("dpkg-deb"), {QStringLiteral("-f"), m_deb, QStringLiteral("Depends")});
    QCOMPARE(depends.exitCode, 0);
    for (const char *library : {"libqt6core6", "libqt6widgets6", "libqcustomplot2.1-qt6",
                                "libcurl4", "libc6", "libstdc++6"})
        QVERIFY2(depends.out.contains(QLatin1String(library)), qPrintable(depends.out));
}

void TestPackage::unpackedProgramsRun_data()
{
    QTest::addColumn<QString>("program");
    QTest::addColumn<QString>("expected");
    QTest::newRow("canaryctl") << "canaryctl"
                               << "canaryctl " CANARY_VERSION;
    QTest::newRow("canary-gateway") << "canary-gateway"
                                    << "canary-gateway " CANARY_VERSION;
    QTest::newRow("canary-console") << "canary-console"
                                    << "canary-console " CANARY_VERSION;
}

void TestPackage::unpackedProgramsRun()
{
    QFETCH(QString, program);
    QFETCH(QString, expected);
    const QString path = m_root + QStringLiteral("/usr/bin/") + program;
    QVERIFY2(QFileInfo(path).isExecutable(), qPrintable(path));
    const Run version = run(path, {QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QVERIFY2(version.out.startsWith(expected), qPrintable(version.out));
}

void TestPackage::docsAreInstalled()
{
    for (const char *file : {"/usr/share/applications/canary-console.desktop",
                             "/usr/share/icons/hicolor/scalable/apps/canary-console.svg"})
        QVERIFY2(QFileInfo::exists(m_root + QLatin1String(file)), file);
    const QString docs = m_root + QStringLiteral("/usr/share/doc/canary-console/");
    for (const char *file :
         {"README.md", "LICENSE", "control-api.md", "gateway.md", "canaryctl.md"})
        QVERIFY2(QFileInfo::exists(docs + QLatin1String(file)), file);
}

QTEST_GUILESS_MAIN(TestPackage)
#include "tst_package.moc"
