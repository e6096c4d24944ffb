// What the profile store tells the operator when the desktop keychain cannot hold a token: said
// once, in plain words, whether the keychain is switched off or the desktop has none at all.
#include "profilestore.h"

#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace canary;

namespace {

// The note must name the keychain once and not pass on a meaningless "Unknown error".
void checkPlain(const QString &note)
{
    QVERIFY2(!note.isEmpty(), "no note");
    QCOMPARE(note.count(QStringLiteral("keychain"), Qt::CaseInsensitive), 1);
    QVERIFY2(!note.contains(QStringLiteral("Unknown error"), Qt::CaseInsensitive),
             qPrintable(note));
    QVERIFY2(!note.contains(QStringLiteral("((")), qPrintable(note));
    QVERIFY2(note.front().isUpper() && note.endsWith(QLatin1Char('.')), qPrintable(note));
    QVERIFY2(note.contains(QStringLiteral("in memory for this session only")), qPrintable(note));
}

SavedProfile profile(const QString &name)
{
    SavedProfile p;
    p.name = name;
    p.url = QStringLiteral("http://127.0.0.1:8080");
    return p;
}

} // namespace

class TestProfileStore final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void switchedOffKeychain();
    void missingKeychain();
};

void TestProfileStore::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    // No session bus: the keychain client fails as on a desktop without one.
    qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/canary-test-bus");
}

void TestProfileStore::switchedOffKeychain()
{
    ProfileStore store;
    store.setKeychainEnabled(false);
    QSignalSpy loaded(&store, &ProfileStore::tokenLoaded);
    store.loadToken(QStringLiteral("staging"));
    QVERIFY(loaded.wait());
    const QString note = loaded.at(0).at(2).toString();
    checkPlain(note);
    QCOMPARE(note, QStringLiteral("The desktop keychain is switched off. Enter the token; it is "
                                  "kept in memory for this session only."));

    QSignalSpy stored(&store, &ProfileStore::tokenStored);
    store.save(profile(QStringLiteral("staging")), QStringLiteral("s3cret"));
    QVERIFY(stored.wait());
    QCOMPARE(stored.at(0).at(1).toBool(), false);
    checkPlain(stored.at(0).at(2).toString());
    store.remove(QStringLiteral("staging"));
}

void TestProfileStore::missingKeychain()
{
    ProfileStore store;
    QSignalSpy loaded(&store, &ProfileStore::tokenLoaded);
    store.loadToken(QStringLiteral("prod"));
    QVERIFY(loaded.wait(ProfileStore::kKeychainTimeoutMs + 2000));
    const QString note = loaded.at(0).at(2).toString();
    if (store.keychainAvailable())
        QSKIP("A keychain answered here; nothing to check about a missing one.");
    checkPlain(note);

    // Once known to be missing, the keychain is not asked again, and the note says the same.
    QSignalSpy stored(&store, &ProfileStore::tokenStored);
    store.save(profile(QStringLiteral("prod")), QStringLiteral("s3cret"));
    QVERIFY(stored.wait());
    QCOMPARE(stored.at(0).at(1).toBool(), false);
    checkPlain(stored.at(0).at(2).toString());
    store.remove(QStringLiteral("prod"));
}

QTEST_GUILESS_MAIN(TestProfileStore)
#include "tst_profilestore.moc"
