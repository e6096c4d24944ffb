#include "audit/sqliteauditstore.h"

#include "util/join.h"

#include <sqlite3.h>

#include <QDir>
#include <QStandardPaths>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>

namespace canary::audit {

namespace {

// The migrations, in order: migration i moves the schema from version i to i + 1. Never edit one
// that has shipped; add the next.
constexpr std::array<const char *, SqliteAuditStore::kSchemaVersion> kMigrations = {
    // 0 -> 1: operator actions, as the console's action log had them.
    R"sql(
CREATE TABLE entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    backend_kind TEXT NOT NULL,
    backend_address TEXT NOT NULL,
    action TEXT NOT NULL,
    parameters TEXT NOT NULL,
    state_before TEXT NOT NULL DEFAULT '',
    revision_before INTEGER,
    snapshot TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    state_after TEXT NOT NULL DEFAULT '',
    revision_after INTEGER,
    finished_time TEXT
);
CREATE INDEX entries_by_time ON entries (time_ms);
CREATE TABLE imports (path TEXT PRIMARY KEY, imported_time TEXT NOT NULL);
)sql",
    // 1 -> 2: automatic decisions of rollout plans, with their reason.
    R"sql(
ALTER TABLE entries ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN plan TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN reason TEXT NOT NULL DEFAULT '';
)sql",
};

std::int64_t unixMs(SystemTime t)
{
    return t.time_since_epoch().count();
}

// A prepared statement, finalized on every path.
class Statement final
{
public:
    Statement(sqlite3 *db, const char *sql)
    {
        if (sqlite3_prepare_v2(db, sql, -1, &m_statement, nullptr) != SQLITE_OK)
            m_statement = nullptr;
    }
    ~Statement() { sqlite3_finalize(m_statement); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    explicit operator bool() const { return m_statement != nullptr; }
    sqlite3_stmt *get() const { return m_statement; }

    void bind(int index, const std::string &text)
    {
        sqlite3_bind_text(m_statement, index, text.data(), int(text.size()), SQLITE_TRANSIENT);
    }
    void bind(int index, std::int64_t value) { sqlite3_bind_int64(m_statement, index, value); }
    void bind(int index, const std::optional<std::int64_t> &value)
    {
        if (value)
            bind(index, *value);
        else
            sqlite3_bind_null(m_statement, index);
    }
    int step() { return sqlite3_step(m_statement); }

    std::string text(int column) const
    {
        const auto *p = sqlite3_column_text(m_statement, column);
        return p ? std::string(reinterpret_cast<const char *>(p),
                               std::size_t(sqlite3_column_bytes(m_statement, column)))
                 : std::string();
    }
    std::optional<std::int64_t> optionalInt(int column) const
    {
        if (sqlite3_column_type(m_statement, column) == SQLITE_NULL)
            return std::nullopt;
        return sqlite3_column_int64(m_statement, column);
    }

private:
    sqlite3_stmt *m_statement = nullptr;
};

nlohmann::json parsedOr(const std::string &text, nlohmann::json fallback)
{
    auto json = nlohmann::json::parse(text, nullptr, false);
    return json.is_discarded() ? fallback : json;
}

bool setError(std::string *error, std::string text)
{
    if (error)
        *error = std::move(text);
    return false;
}

} // namespace

nlohmann::json toJson(const AuditEntry &e)
{
    const auto optional = [](const std::optional<std::int64_t> &v) -> nlohmann::json {
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    return {{"id", e.id},
            {"time", formatRfc3339(e.time)},
            {"actor", e.actor},
            {"automatic", e.automatic},
            {"plan", e.plan},
            {"backend", {{"kind", e.backendKind}, {"address", e.backendAddress}}},
            {"action", e.action},
            {"parameters", e.parameters},
            {"state_before", e.stateBefore},
            {"revision_before", optional(e.revisionBefore)},
            {"reason", e.reason},
            {"outcome", e.outcome},
            {"message", e.message},
            {"state_after", e.stateAfter},
            {"revision_after", optional(e.revisionAfter)},
            {"finished_at",
             e.finishedAt ? nlohmann::json(formatRfc3339(*e.finishedAt)) : nlohmann::json(nullptr)},
            {"snapshot", e.snapshot}};
}

std::string actorText(const AuditEntry &e)
{
    return e.automatic && !e.plan.empty() ? join({e.actor, " (", e.plan, ")"}) : e.actor;
}

SqliteAuditStore::SqliteAuditStore(sqlite3 *db, std::string path)
    : m_db(db)
    , m_path(std::move(path))
{}

SqliteAuditStore::~SqliteAuditStore()
{
    sqlite3_close(m_db);
}

std::string SqliteAuditStore::failure(const std::string &what) const
{
    return join({"The audit trail ", m_path, " could not ", what, ": ", sqlite3_errmsg(m_db), "."});
}

bool SqliteAuditStore::execute(const char *sql, std::string *error) const
{
    char *message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) == SQLITE_OK)
        return true;
    const std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return setError(error,
                    join({"The audit trail ", m_path, " could not be updated: ", text, "."}));
}

std::unique_ptr<SqliteAuditStore> SqliteAuditStore::open(const std::string &path,
                                                         std::string *error, int upToVersion)
{
    std::error_code ec;
    const auto folder = std::filesystem::path(path).parent_path();
    if (!folder.empty())
        std::filesystem::create_directories(folder, ec);
    sqlite3 *db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        setError(error, join({"The audit trail ", path, " could not be opened: ",
                              db ? sqlite3_errmsg(db) : "out of memory", "."}));
        sqlite3_close(db);
        return nullptr;
    }
    std::unique_ptr<SqliteAuditStore> store(new SqliteAuditStore(db, path));
    sqlite3_busy_timeout(db, 5000); // the console and canaryctl may write at the same moment
    // WAL: readers never block the writer; FULL: a commit is on disk when it returns.
    if (!store->execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                        "PRAGMA foreign_keys=ON;",
                        error))
        return nullptr;
    const int version = store->schemaVersion();
    if (version < 0) {
        setError(error, store->failure("be read"));
        return nullptr;
    }
    if (version > kSchemaVersion) {
        setError(error,
                 join({"The audit trail ", path, " has schema version ", std::to_string(version),
                       ", written by a newer Canary Console; this "
                       "one knows versions up to ",
                       std::to_string(kSchemaVersion), ". It was left untouched."}));
        return nullptr;
    }
    for (int v = version; v < std::min(upToVersion, kSchemaVersion); ++v) {
        // Each migration and its version number commit together, or not at all.
        const std::string sql = join({"BEGIN IMMEDIATE;", kMigrations[std::size_t(v)],
                                      "PRAGMA user_version = ", std::to_string(v + 1), ";COMMIT;"});
        if (!store->execute(sql.c_str(), error)) {
            store->execute("ROLLBACK;", nullptr);
            return nullptr;
        }
    }
    return store;
}

int SqliteAuditStore::schemaVersion() const
{
    Statement s(m_db, "PRAGMA user_version;");
    if (!s || s.step() != SQLITE_ROW)
        return -1;
    return sqlite3_column_int(s.get(), 0);
}

std::optional<std::int64_t> SqliteAuditStore::begin(const AuditEntry &e, std::string *error)
{
    Statement s(m_db, "INSERT INTO entries (time_ms, time, actor, automatic, plan, backend_kind, "
                      "backend_address, action, parameters, state_before, revision_before, reason, "
                      "snapshot, outcome) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'pending');");
    if (!s) {
        setError(error, failure("be written"));
        return std::nullopt;
    }
    s.bind(1, unixMs(e.time));
    s.bind(2, formatRfc3339(e.time));
    s.bind(3, e.actor);
    s.bind(4, std::int64_t(e.automatic ? 1 : 0));
    s.bind(5, e.plan);
    s.bind(6, e.backendKind);
    s.bind(7, e.backendAddress);
    s.bind(8, e.action);
    s.bind(9, e.parameters.dump());
    s.bind(10, e.stateBefore);
    s.bind(11, e.revisionBefore);
    s.bind(12, e.reason);
    s.bind(13, e.snapshot.dump());
    if (s.step() != SQLITE_DONE) {
        setError(error, failure("be written"));
        return std::nullopt;
    }
    return sqlite3_last_insert_rowid(m_db);
}

bool SqliteAuditStore::finish(std::int64_t id, const AuditOutcome &o, std::string *error)
{
    Statement s(m_db, "UPDATE entries SET outcome = ?, message = ?, state_after = ?, "
                      "revision_after = ?, finished_time = ? WHERE id = ?;");
    if (!s)
        return setError(error, failure("be written"));
    s.bind(1, o.outcome);
    s.bind(2, o.message);
    s.bind(3, o.stateAfter);
    s.bind(4, o.revisionAfter);
    s.bind(5, formatRfc3339(o.finishedAt));
    s.bind(6, id);
    if (s.step() != SQLITE_DONE)
        return setError(error, failure("be written"));
    if (sqlite3_changes(m_db) != 1)
        return setError(error, join({"The audit trail ", m_path, " has no entry ",
                                     std::to_string(id), " to complete."}));
    return true;
}

std::optional<std::vector<AuditEntry>> SqliteAuditStore::query(const AuditFilter &f,
                                                               std::string *error) const
{
    // Every condition is always present and switched off by its own parameter, so the statement
    // is one text and every value a bound parameter: nothing from a filter reaches the SQL.
    const std::string sql =
        join({"SELECT id, time, actor, automatic, plan, backend_kind, backend_address, action, "
              "parameters, state_before, revision_before, reason, snapshot, outcome, message, "
              "state_after, revision_after, finished_time FROM entries WHERE "
              "(?1 IS NULL OR time_ms >= ?1) AND (?2 IS NULL OR time_ms <= ?2) AND "
              "(?3 = '' OR instr(backend_address, ?3) > 0) AND (?4 = '' OR action = ?4) AND "
              "(?5 = '' OR actor = ?5) ORDER BY id ",
              f.limit > 0 ? "DESC LIMIT ?6;" : "ASC;"});
    Statement s(m_db, sql.c_str());
    if (!s) {
        setError(error, failure("be read"));
        return std::nullopt;
    }
    s.bind(1, f.since ? std::optional<std::int64_t>(unixMs(*f.since)) : std::nullopt);
    s.bind(2, f.until ? std::optional<std::int64_t>(unixMs(*f.until)) : std::nullopt);
    s.bind(3, f.backend);
    s.bind(4, f.action);
    s.bind(5, f.actor);
    if (f.limit > 0)
        s.bind(6, std::int64_t(f.limit));
    std::vector<AuditEntry> out;
    int rc = SQLITE_ROW;
    while ((rc = s.step()) == SQLITE_ROW) {
        AuditEntry e;
        e.id = sqlite3_column_int64(s.get(), 0);
        e.time = parseRfc3339(s.text(1)).value_or(SystemTime{});
        e.actor = s.text(2);
        e.automatic = sqlite3_column_int(s.get(), 3) != 0;
        e.plan = s.text(4);
        e.backendKind = s.text(5);
        e.backendAddress = s.text(6);
        e.action = s.text(7);
        e.parameters = parsedOr(s.text(8), nlohmann::json::object());
        e.stateBefore = s.text(9);
        e.revisionBefore = s.optionalInt(10);
        e.reason = s.text(11);
        e.snapshot = parsedOr(s.text(12), nlohmann::json::object());
        e.outcome = s.text(13);
        e.message = s.text(14);
        e.stateAfter = s.text(15);
        e.revisionAfter = s.optionalInt(16);
        if (sqlite3_column_type(s.get(), 17) != SQLITE_NULL)
            e.finishedAt = parseRfc3339(s.text(17));
        out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) {
        setError(error, failure("be read"));
        return std::nullopt;
    }
    if (f.limit > 0)
        std::reverse(out.begin(), out.end()); // the newest `limit`, oldest first
    return out;
}

std::optional<SqliteAuditStore::ImportResult>
SqliteAuditStore::importJsonLines(const std::string &path, std::string *error)
{
    ImportResult result;
    std::error_code ec;
    const std::string key = std::filesystem::weakly_canonical(path, ec).string();
    {
        Statement seen(m_db, "SELECT 1 FROM imports WHERE path = ?;");
        if (!seen) {
            setError(error, failure("be read"));
            return std::nullopt;
        }
        seen.bind(1, key.empty() ? path : key);
        if (seen.step() == SQLITE_ROW) {
            result.alreadyImported = true;
            return result;
        }
    }
    std::ifstream in(path);
    if (!in) {
        setError(error, join({"The action log ", path, " could not be read."}));
        return std::nullopt;
    }
    // One entry per id: the first line gives what was asked, the last what came of it.
    std::map<std::int64_t, AuditEntry> entries;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("id") ||
            !j["id"].is_number_integer() || !j.contains("time") || !j["time"].is_string()) {
            ++result.skipped;
            continue;
        }
        const auto text = [&j](const char *name) {
            const auto it = j.find(name);
            return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        const auto integer = [&j](const char *name) -> std::optional<std::int64_t> {
            const auto it = j.find(name);
            if (it == j.end() || !it->is_number_integer())
                return std::nullopt;
            return it->get<std::int64_t>();
        };
        const auto time = parseRfc3339(text("time"));
        if (!time) {
            ++result.skipped;
            continue;
        }
        const auto [it, added] = entries.try_emplace(j["id"].get<std::int64_t>());
        AuditEntry &e = it->second;
        if (added) {
            e.time = *time;
            e.actor = text("actor");
            e.backendKind = "unknown";
            e.backendAddress = join({"(imported from ", path, ")"});
            e.action = text("action");
            if (j.contains("parameters") && j["parameters"].is_object())
                e.parameters = j["parameters"];
            e.revisionBefore = integer("revision");
            if (j.contains("kpis") && j["kpis"].is_object())
                e.snapshot = j["kpis"];
        }
        e.outcome = text("outcome").empty() ? "pending" : text("outcome");
        e.message = text("message");
        e.revisionAfter = integer("result_revision");
        e.finishedAt = parseRfc3339(text("finished_at"));
    }
    if (!execute("BEGIN IMMEDIATE;", error))
        return std::nullopt;
    for (const auto &[id, e] : entries) {
        std::string why;
        const auto newId = begin(e, &why);
        if (!newId ||
            (e.outcome != "pending" &&
             !finish(*newId,
                     {e.outcome, e.message, {}, e.revisionAfter, e.finishedAt.value_or(e.time)},
                     &why))) {
            execute("ROLLBACK;", nullptr);
            setError(error, why);
            return std::nullopt;
        }
        ++result.added;
    }
    Statement mark(m_db, "INSERT INTO imports (path, imported_time) VALUES (?, ?);");
    if (!mark) {
        execute("ROLLBACK;", nullptr);
        setError(error, failure("be written"));
        return std::nullopt;
    }
    mark.bind(1, key.empty() ? path : key);
    mark.bind(2, formatRfc3339(SystemTime(std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch()))));
    if (mark.step() != SQLITE_DONE || !execute("COMMIT;", error)) {
        execute("ROLLBACK;", nullptr);
        if (error && error->empty())
            *error = failure("be written");
        return std::nullopt;
    }
    return result;
}

std::string SqliteAuditStore::defaultPath()
{
    // The console's AppDataLocation (organisation and application both "canary-console"),
    // spelled out so canaryctl, whose application name differs, finds the same file.
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(dir)
        .filePath(QStringLiteral("canary-console/canary-console/audit.sqlite3"))
        .toStdString();
}

} // namespace canary::audit
