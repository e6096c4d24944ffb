#pragma once

#include "audit/auditsink.h"

#include <memory>
#include <string>

struct sqlite3;

namespace canary::audit {

// The audit trail in one SQLite file: WAL journal, synchronous=FULL (a committed entry survives
// the process being killed and the machine losing power), a schema version in PRAGMA user_version
// moved forward by numbered migrations that keep every row, and a busy timeout so the console and
// canaryctl can write to the same file at once.
class SqliteAuditStore final : public AuditSink
{
public:
    static constexpr int kSchemaVersion = 2;

    // Opens (creating it and its folder when needed) and migrates the file. nullopt-like: null
    // with `error` set to a sentence naming the file. `upToVersion` is for tests that need an
    // older schema; leave it.
    static std::unique_ptr<SqliteAuditStore> open(const std::string &path, std::string *error,
                                                  int upToVersion = kSchemaVersion);
    ~SqliteAuditStore() override;
    SqliteAuditStore(const SqliteAuditStore &) = delete;
    SqliteAuditStore &operator=(const SqliteAuditStore &) = delete;

    std::optional<std::int64_t> begin(const AuditEntry &entry, std::string *error) override;
    bool finish(std::int64_t id, const AuditOutcome &outcome, std::string *error) override;
    std::optional<std::vector<AuditEntry>> query(const AuditFilter &filter,
                                                 std::string *error) const override;
    std::string location() const override { return m_path; }

    int schemaVersion() const;
    struct ImportResult
    {
        std::size_t added = 0;   // entries (one per action id)
        std::size_t skipped = 0; // lines that were not a record (e.g. one cut off by a crash)
        bool alreadyImported = false;
    };
    // Imports an action log written as JSON lines by earlier versions (one object per line, a
    // pending line and a final line per id), once: a second call for the same file imports
    // nothing. All or nothing: nullopt with `error` leaves the store as it was.
    std::optional<ImportResult> importJsonLines(const std::string &path, std::string *error);

    // The store's usual place: the console's AppDataLocation/audit.sqlite3
    // (~/.local/share/canary-console/canary-console/audit.sqlite3), for canaryctl too.
    static std::string defaultPath();

private:
    SqliteAuditStore(sqlite3 *db, std::string path);
    bool execute(const char *sql, std::string *error) const;
    std::string failure(const std::string &what) const; // a sentence with SQLite's message

    sqlite3 *m_db = nullptr;
    std::string m_path;
};

} // namespace canary::audit
