#include "awscredentials.h"

#include "util/join.h"

#include <QDir>
#include <QFile>
#include <QProcessEnvironment>

#include <algorithm>
#include <cctype>

namespace canary::aws {

namespace {

std::string_view trim(std::string_view text)
{
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// The shared files are small; anything larger than this is not one.
constexpr qint64 kMaxFileBytes = 1024 * 1024;

std::optional<std::string> readSmallFile(const std::string &path)
{
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    return file.read(kMaxFileBytes).toStdString();
}

std::string credentialsFile(const Environment &env)
{
    const std::string set = env.get("AWS_SHARED_CREDENTIALS_FILE");
    return set.empty() ? env.home + "/.aws/credentials" : set;
}

std::string configFile(const Environment &env)
{
    const std::string set = env.get("AWS_CONFIG_FILE");
    return set.empty() ? env.home + "/.aws/config" : set;
}

// The profile's section of the config file: "[default]" or "[profile NAME]" (the CLI also reads
// a bare "[NAME]" there).
std::optional<IniSection> configSection(const Environment &env, const std::string &profile)
{
    const auto text = readSmallFile(configFile(env));
    if (!text)
        return std::nullopt;
    if (profile == "default") {
        if (auto section = readIniSection(*text, "default"))
            return section;
    }
    if (auto section = readIniSection(*text, join("profile ", profile)))
        return section;
    return readIniSection(*text, profile);
}

std::string value(const IniSection &section, std::string_view key)
{
    const auto it = section.find(key);
    return it == section.end() ? std::string() : it->second;
}

std::optional<Credentials> keysOf(const IniSection &section, std::string source)
{
    Credentials credentials;
    credentials.accessKeyId = value(section, "aws_access_key_id");
    credentials.secretAccessKey = value(section, "aws_secret_access_key");
    credentials.sessionToken = value(section, "aws_session_token");
    credentials.source = std::move(source);
    if (credentials.accessKeyId.empty() || credentials.secretAccessKey.empty())
        return std::nullopt;
    return credentials;
}

} // namespace

Environment Environment::system()
{
    Environment env;
    const QProcessEnvironment process = QProcessEnvironment::systemEnvironment();
    for (const QString &name : process.keys()) {
        if (name.startsWith(QLatin1String("AWS_")))
            env.variables[name.toStdString()] = process.value(name).toStdString();
    }
    env.home = QDir::homePath().toStdString();
    return env;
}

std::string Environment::get(std::string_view name) const
{
    const auto it = variables.find(name);
    return it == variables.end() ? std::string() : it->second;
}

std::string profileName(const Environment &env)
{
    const std::string profile = env.get("AWS_PROFILE");
    return profile.empty() ? std::string("default") : profile;
}

std::optional<IniSection> readIniSection(std::string_view text, std::string_view section)
{
    std::optional<IniSection> found;
    bool inside = false;
    std::string lastKey;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view raw = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        if (!raw.empty() && raw.back() == '\r')
            raw.remove_suffix(1);
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';')
            continue;
        if (line.front() == '[' && line.back() == ']') {
            inside = trim(line.substr(1, line.size() - 2)) == section;
            if (inside && !found)
                found.emplace();
            lastKey.clear();
            continue;
        }
        if (!inside)
            continue;
        // An indented line continues the previous key's nested settings (s3 = ...); not needed.
        if (std::isspace(static_cast<unsigned char>(raw.front())) && !lastKey.empty())
            continue;
        const std::size_t equals = line.find('=');
        if (equals == std::string_view::npos)
            continue;
        lastKey = lower(trim(line.substr(0, equals)));
        std::string_view v = trim(line.substr(equals + 1));
        // A trailing " # comment" is a comment, as in the CLI's parser.
        if (const std::size_t hash = v.find(" #"); hash != std::string_view::npos)
            v = trim(v.substr(0, hash));
        (*found)[lastKey] = std::string(v);
    }
    return found;
}

std::optional<Credentials> resolveCredentials(const Environment &env, std::string *error)
{
    const std::string envKey = env.get("AWS_ACCESS_KEY_ID");
    const std::string envSecret = env.get("AWS_SECRET_ACCESS_KEY");
    if (!envKey.empty() && !envSecret.empty()) {
        Credentials credentials;
        credentials.accessKeyId = envKey;
        credentials.secretAccessKey = envSecret;
        credentials.sessionToken = env.get("AWS_SESSION_TOKEN");
        credentials.source = "the environment (AWS_ACCESS_KEY_ID)";
        return credentials;
    }
    if (!envKey.empty() || !envSecret.empty()) {
        if (error)
            *error = envKey.empty()
                         ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both"
                         : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both";
        return std::nullopt;
    }

    const std::string profile = profileName(env);
    const std::string credentialsPath = credentialsFile(env);
    std::optional<IniSection> fromCredentials;
    if (const auto text = readSmallFile(credentialsPath)) {
        fromCredentials = readIniSection(*text, profile);
        if (fromCredentials) {
            if (auto credentials = keysOf(*fromCredentials,
                                          join("profile \"", profile, "\" in ", credentialsPath)))
                return credentials;
        }
    }
    const std::optional<IniSection> fromConfig = configSection(env, profile);
    if (fromConfig) {
        if (auto credentials =
                keysOf(*fromConfig, join("profile \"", profile, "\" in ", configFile(env))))
            return credentials;
    }
    if (!error)
        return std::nullopt;
    if (!fromCredentials && !fromConfig) {
        *error = join("no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not "
                      "set, and profile \"",
                      profile, "\" is in neither ", credentialsPath, " nor ", configFile(env),
                      profile == "default" ? " (AWS_PROFILE chooses another profile)" : "");
        return std::nullopt;
    }
    // The profile exists but gets its credentials some other way.
    for (const char *indirect : {"role_arn", "sso_session", "sso_start_url", "credential_process",
                                 "web_identity_token_file"}) {
        const bool inCredentials = fromCredentials && !value(*fromCredentials, indirect).empty();
        const bool inConfig = fromConfig && !value(*fromConfig, indirect).empty();
        if (inCredentials || inConfig) {
            *error = join("AWS profile \"", profile, "\" gets its credentials through ", indirect,
                          ", which is not supported here; export them first, e.g. `eval "
                          "\"$(aws configure export-credentials --profile ",
                          profile, " --format env)\"`, then connect again");
            return std::nullopt;
        }
    }
    *error = join("AWS profile \"", profile,
                  "\" has no aws_access_key_id and aws_secret_access_key (looked in ",
                  credentialsPath, " and ", configFile(env), ")");
    return std::nullopt;
}

std::string resolveRegion(const Environment &env)
{
    for (const char *name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (std::string region = env.get(name); !region.empty())
            return region;
    }
    if (const auto section = configSection(env, profileName(env)))
        return value(*section, "region");
    return {};
}

std::string resolveEndpointUrl(const Environment &env, std::string_view serviceEnvName)
{
    if (std::string url = env.get(join("AWS_ENDPOINT_URL_", serviceEnvName)); !url.empty())
        return url;
    return env.get("AWS_ENDPOINT_URL");
}

bool isRegionName(std::string_view region)
{
    if (region.empty() || region.size() > 32 || region.front() == '-' || region.back() == '-')
        return false;
    return std::all_of(region.begin(), region.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

} // namespace canary::aws
