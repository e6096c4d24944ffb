// A process that writes audit entries as fast as it can and says on stdout when each one is
// acknowledged (begin and finish returned), so tst_auditstore can kill it with SIGKILL at any
// moment and check that every acknowledged entry is in the file.
#include "audit/sqliteauditstore.h"

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char **argv)
{
    using namespace canary;
    if (argc != 2) {
        std::fprintf(stderr, "usage: auditwriter FILE\n");
        return 2;
    }
    std::string error;
    auto store = audit::SqliteAuditStore::open(argv[1], &error);
    if (!store) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    for (int i = 1;; ++i) {
        audit::AuditEntry e;
        e.time = SystemTime(std::chrono::milliseconds(1'700'000'000'000LL + i));
        e.actor = "writer";
        e.backendKind = "Control API";
        e.backendAddress = "http://127.0.0.1:1";
        e.action = "set_weight";
        e.parameters = {{"weight", i % 100}};
        const auto id = store->begin(e, &error);
        if (!id || !store->finish(*id, {"succeeded", "ok", "canary", i, e.time}, &error)) {
            std::fprintf(stderr, "%s\n", error.c_str());
            return 1;
        }
        std::printf("acked %lld\n", static_cast<long long>(*id));
        std::fflush(stdout);
    }
}
