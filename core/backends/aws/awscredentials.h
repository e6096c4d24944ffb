#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace canary::aws {

// The process environment and home directory the AWS settings are read from. A value, so a test
// hands in its own and the console reads the real one once (AwsEnvironment::system()).
struct Environment
{
    std::map<std::string, std::string, std::less<>> variables;
    std::string home; // for ~/.aws/credentials and ~/.aws/config

    static Environment system();
    // The variable's value, or an empty string when it is unset.
    std::string get(std::string_view name) const;
};

// An access key, its secret and, for temporary credentials, the session token. `source` says
// where they came from ("the environment (AWS_ACCESS_KEY_ID)", "profile \"ops\" in
// /home/me/.aws/credentials") for messages; the secret and the token are never shown or logged.
struct Credentials
{
    std::string accessKeyId;
    std::string secretAccessKey;
    std::string sessionToken;
    std::string source;
};

// The profile the shared files are read with: AWS_PROFILE, else "default".
std::string profileName(const Environment &env);

// Credentials as the AWS CLI and SDKs find them, the first that has both a key id and a secret:
//  1. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) from the environment;
//  2. the profile's aws_access_key_id / aws_secret_access_key / aws_session_token in the shared
//     credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials);
//  3. the same keys in the profile's section of the config file (AWS_CONFIG_FILE, else
//     ~/.aws/config; "[profile NAME]", or "[default]").
// Profiles that get credentials by running something (role_arn, sso_session, credential_process)
// are not run: the error says so and how to export such credentials instead. Read afresh on
// every call, so refreshed credentials are picked up without reconnecting.
std::optional<Credentials> resolveCredentials(const Environment &env, std::string *error);

// The region when the URL gives none: AWS_REGION, AWS_DEFAULT_REGION, then the profile's
// `region` in the config file. Empty when none is set.
std::string resolveRegion(const Environment &env);

// An endpoint-URL override for a service: AWS_ENDPOINT_URL_<SERVICE> (e.g.
// AWS_ENDPOINT_URL_SAGEMAKER, AWS_ENDPOINT_URL_CLOUDWATCH), then AWS_ENDPOINT_URL. Empty: none.
std::string resolveEndpointUrl(const Environment &env, std::string_view serviceEnvName);

// One section of an INI file as the AWS shared files write it: `key = value` lines, `#` and `;`
// comments, names case-sensitive, keys case-insensitive. Public for its tests.
using IniSection = std::map<std::string, std::string, std::less<>>;
std::optional<IniSection> readIniSection(std::string_view text, std::string_view section);

// A region name as AWS spells them (us-east-1, eu-west-3, us-gov-west-1, cn-north-1): letters,
// digits and dashes. Refusing anything else keeps a typed region out of the host name.
bool isRegionName(std::string_view region);

} // namespace canary::aws
