#include "gateway.h"
#include "gatewayconfig.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>

using namespace canary::gateway;

namespace {

constexpr const char *kUsage =
    R"(Usage: canary-gateway [options]

The reference serving gateway of Canary Console: splits prediction traffic between a
production and a canary model and exposes Control API v1 and Prometheus metrics.

Options:
  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080; port 0 picks a free one)
  --config FILE        gateway config (JSON, see docs/gateway.md); default: the demo models
  --token-file FILE    read the control token from the first line of FILE
  --demo               use the demo models and start the built-in load generator
  --load RPS           built-in load at RPS requests/s (0: none; --demo defaults to 300)
  --seed N             seed for routing of unkeyed requests and the simulation
  --help               show this help
  --version            show the version

Without --token-file the token comes from $CANARY_TOKEN, or a random one is written to
$XDG_RUNTIME_DIR (or /tmp) as canary-gateway-PORT.token (mode 0600).
)";

int usageError(const std::string &message)
{
    std::cerr << "canary-gateway: " << message << "\nTry canary-gateway --help.\n";
    return 2;
}

template<typename T> bool parseNumber(const std::string &text, T &out)
{
    const auto *end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

std::string trim(std::string s)
{
    const auto notSpace = [](unsigned char c) {
        return !std::isspace(c);
    };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
    s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
    return s;
}

std::string randomToken()
{
    std::random_device device;
    std::string token;
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) {
        const auto byte = device() & 0xff;
        token += kHex[byte >> 4];
        token += kHex[byte & 0xf];
    }
    return token;
}

bool writeTokenFile(const std::string &path, const std::string &token)
{
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return false;
    const std::string line = token + "\n";
    const bool ok =
        ::fchmod(fd, 0600) == 0 && ::write(fd, line.data(), line.size()) == ssize_t(line.size());
    return ::close(fd) == 0 && ok;
}

int run(int argc, char **argv)
{
    std::string listen = "127.0.0.1:8080";
    std::string configPath;
    std::string tokenFile;
    bool demo = false;
    std::optional<double> loadRps;
    std::optional<std::uint64_t> seed;

    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](std::string &out) {
            if (i + 1 >= argc)
                return false;
            out = argv[++i];
            return true;
        };
        std::string v;
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (arg == "--version") {
            std::cout << "canary-gateway " << CANARY_VERSION << '\n';
            return 0;
        } else if (arg == "--demo") {
            demo = true;
        } else if (arg == "--listen") {
            if (!value(listen))
                return usageError("--listen needs HOST:PORT");
        } else if (arg == "--config") {
            if (!value(configPath))
                return usageError("--config needs a file");
        } else if (arg == "--token-file") {
            if (!value(tokenFile))
                return usageError("--token-file needs a file");
        } else if (arg == "--load") {
            double rps = 0;
            if (!value(v) || !parseNumber(v, rps) || rps < 0 || rps > 100'000)
                return usageError("--load needs a rate between 0 and 100000 requests/s");
            loadRps = rps;
        } else if (arg == "--seed") {
            std::uint64_t n = 0;
            if (!value(v) || !parseNumber(v, n))
                return usageError("--seed needs a non-negative integer");
            seed = n;
        } else {
            return usageError("unknown argument \"" + arg + "\"");
        }
    }

    const auto colon = listen.rfind(':');
    std::uint16_t port = 0;
    if (colon == std::string::npos || !parseNumber(listen.substr(colon + 1), port))
        return usageError("--listen must be HOST:PORT with a port 0-65535, got \"" + listen + "\"");
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);

    GatewayConfig config = GatewayConfig::demo();
    if (!configPath.empty()) {
        std::string error;
        auto loaded = loadGatewayConfigFile(configPath, &error);
        if (!loaded) {
            std::cerr << "canary-gateway: " << error << '\n';
            return 2;
        }
        config = std::move(*loaded);
    }
    if (seed)
        config.seed = *seed;

    std::string token;
    bool generatedToken = false;
    if (!tokenFile.empty()) {
        std::ifstream in(tokenFile);
        if (!in) {
            std::cerr << "canary-gateway: cannot read the token file " << tokenFile << '\n';
            return 2;
        }
        std::getline(in, token);
        token = trim(token);
        if (token.empty()) {
            std::cerr << "canary-gateway: the token file " << tokenFile
                      << " is empty; put the token on its first line\n";
            return 2;
        }
    } else if (const char *env = std::getenv("CANARY_TOKEN"); env && *trim(env).c_str()) {
        token = trim(env);
    } else {
        token = randomToken();
        generatedToken = true;
    }

    // Signals are taken by sigwait() below; every thread started later inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    Gateway gateway(config, token);
    std::uint16_t bound = 0;
    try {
        bound = gateway.listen(host, port);
    } catch (const std::exception &e) {
        std::cerr << "canary-gateway: " << e.what() << '\n';
        return 1;
    }

    if (generatedToken) {
        const char *runtimeDir = std::getenv("XDG_RUNTIME_DIR");
        const std::string dir = runtimeDir && *runtimeDir ? runtimeDir : "/tmp";
        const std::string path = dir + "/canary-gateway-" + std::to_string(bound) + ".token";
        if (!writeTokenFile(path, token)) {
            std::cerr << "canary-gateway: cannot write the token file " << path << '\n';
            return 1;
        }
        std::cerr << "canary-gateway: control token written to " << path << '\n';
    }

    gateway.start(std::max(2u, std::thread::hardware_concurrency()));
    const double rps = loadRps ? *loadRps : (demo ? config.load.rps : 0.0);
    if (rps > 0) {
        gateway.startLoad(rps);
        std::cerr << "canary-gateway: generating " << rps << " requests/s of demo traffic\n";
    }

    std::cout << "canary-gateway listening on http://" << host << ":" << bound << std::endl;

    int received = 0;
    sigwait(&signals, &received);
    std::cerr << "canary-gateway: " << (received == SIGINT ? "SIGINT" : "SIGTERM")
              << ", stopping\n";
    gateway.stop();
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    // Whatever goes wrong, the gateway ends with a message and exit status 1, never with
    // std::terminate, abort() and a core dump. Bad input (arguments, config) is exit status 2.
    try {
        return run(argc, argv);
    } catch (const std::exception &e) {
        std::cerr << "canary-gateway: stopped by an unexpected error: " << e.what() << '\n';
    } catch (...) {
        std::cerr << "canary-gateway: stopped by an unexpected error\n";
    }
    return 1;
}
