// How yardctl finds its CA, client certificate and token: flags beat YARDCTL_* variables
// beat the config file; plaintext only when asked; secrets in files others can read are
// refused.
#include <sys/stat.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/test_pki.h"
#include "tools/yardctl/args.h"
#include "tools/yardctl/config_file.h"
#include "tools/yardctl/context.h"

namespace switchyard::yardctl {
namespace {

using ::switchyard::testing::MakeTempDir;
using ::switchyard::testing::TestPki;
using ::switchyard::testing::WriteFile;
using ::testing::HasSubstr;

class ConnectionSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(pki_.Make({"--operator", "alice"}, &error)) << error;
    home_ = MakeTempDir("home");
    vars_["HOME"] = home_;
  }

  absl::StatusOr<GlobalOptions> Resolve(const std::vector<std::string>& args) {
    absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, GlobalFlags());
    if (!parsed.ok()) return parsed.status();
    Environment env;
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
    env.hostname = [] { return "ops-1"; };
    return ResolveGlobalOptions(*parsed, env, /*needs_server=*/true);
  }

  // Writes ~/.config/yardctl/config with `mode`.
  void WriteConfig(const std::string& text, mode_t mode = 0600) {
    ASSERT_EQ(::mkdir((home_ + "/.config").c_str(), 0700) == 0 || errno == EEXIST, true);
    ASSERT_EQ(::mkdir((home_ + "/.config/yardctl").c_str(), 0700) == 0 || errno == EEXIST, true);
    const std::string path = home_ + "/.config/yardctl/config";
    ASSERT_TRUE(WriteFile(path, text));
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }

  std::string WriteToken(const std::string& token, mode_t mode) {
    const std::string path = MakeTempDir("token") + "/token";
    EXPECT_TRUE(WriteFile(path, token + "\n"));
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  TestPki pki_;
  std::string home_;
  std::map<std::string, std::string> vars_;
};

TEST_F(ConnectionSettingsTest, WithoutACaOrInsecureThereIsNoConnection) {
  absl::StatusOr<GlobalOptions> global = Resolve({});
  ASSERT_FALSE(global.ok());
  EXPECT_THAT(global.status().message(), HasSubstr("needs the control plane's CA"));
  EXPECT_THAT(global.status().message(), HasSubstr(home_ + "/.config/yardctl/config"));
}

TEST_F(ConnectionSettingsTest, InsecureIsExplicitAndTakesNoCredentials) {
  absl::StatusOr<GlobalOptions> global = Resolve({"--insecure"});
  ASSERT_TRUE(global.ok()) << global.status();
  EXPECT_TRUE(global->security.insecure);
  vars_["YARDCTL_INSECURE"] = "1";
  EXPECT_TRUE(Resolve({})->security.insecure);
  vars_["YARDCTL_INSECURE"] = "maybe";
  EXPECT_THAT(Resolve({}).status().message(), HasSubstr("must be true or false"));
  vars_.erase("YARDCTL_INSECURE");
  EXPECT_THAT(Resolve({"--insecure", "--ca", pki_.Path("ca.pem")}).status().message(),
              HasSubstr("takes no --ca"));
}

TEST_F(ConnectionSettingsTest, FlagsBeatTheEnvironmentBeatTheConfigFile) {
  WriteConfig("# mine\nserver = cp.from-file:1\nca = " + pki_.Path("ca.pem") +
              "\ntoken = syt_from_file\n");
  absl::StatusOr<GlobalOptions> global = Resolve({});
  ASSERT_TRUE(global.ok()) << global.status();
  EXPECT_EQ(global->server, "cp.from-file:1");
  EXPECT_EQ(global->server_source, home_ + "/.config/yardctl/config");
  EXPECT_EQ(global->security.tls.ca, pki_.Path("ca.pem"));
  EXPECT_EQ(global->security.bearer_token, "syt_from_file");

  vars_["YARDCTL_SERVER"] = "cp.from-env:2";
  vars_["YARDCTL_TOKEN"] = "syt_from_env";
  global = Resolve({});
  EXPECT_EQ(global->server, "cp.from-env:2");
  EXPECT_EQ(global->security.bearer_token, "syt_from_env");

  const std::string token_file = WriteToken("syt_from_flag", 0600);
  global = Resolve({"--server", "cp.from-flag:3", "--token-file", token_file, "--cert",
                    pki_.Path("operator-alice.pem"), "--key", pki_.Path("operator-alice-key.pem")});
  ASSERT_TRUE(global.ok()) << global.status();
  EXPECT_EQ(global->server, "cp.from-flag:3");
  EXPECT_EQ(global->security.bearer_token, "syt_from_flag");
  EXPECT_EQ(global->security.tls.cert, pki_.Path("operator-alice.pem"));
}

TEST_F(ConnectionSettingsTest, SecretsOthersCanReadAreRefused) {
  WriteConfig("ca = " + pki_.Path("ca.pem") + "\ntoken = syt_x\n", 0644);
  absl::StatusOr<GlobalOptions> global = Resolve({});
  ASSERT_FALSE(global.ok());
  EXPECT_THAT(global.status().message(), HasSubstr("readable by others (mode 644)"));
  EXPECT_THAT(global.status().message(), HasSubstr("chmod 600"));

  // Without a token the file may be world-readable.
  WriteConfig("ca = " + pki_.Path("ca.pem") + "\n", 0644);
  EXPECT_TRUE(Resolve({}).ok());
  const std::string loose = WriteToken("syt_x", 0640);
  EXPECT_THAT(Resolve({"--token-file", loose}).status().message(),
              HasSubstr("token file " + loose + " holds a token and is readable by others"));
}

TEST_F(ConnectionSettingsTest, MistakesInTheConfigFileNameTheLine) {
  WriteConfig("server = a:1\ncertificate = x\n");
  EXPECT_THAT(Resolve({}).status().message(),
              HasSubstr(home_ + "/.config/yardctl/config:2: expected KEY = VALUE"));
  vars_["YARDCTL_CONFIG"] = home_ + "/missing";
  EXPECT_THAT(Resolve({}).status().message(), HasSubstr("cannot read config file"));
}

TEST_F(ConnectionSettingsTest, BadCertificateFilesNameTheFlag) {
  EXPECT_THAT(Resolve({"--ca", pki_.Path("nope.pem")}).status().message(),
              HasSubstr("--ca=" + pki_.Path("nope.pem") + ": cannot be read"));
  EXPECT_THAT(Resolve({"--ca", pki_.Path("ca.pem"), "--cert", pki_.Path("operator-alice.pem")})
                  .status()
                  .message(),
              HasSubstr("--cert and --key go together"));
}

}  // namespace
}  // namespace switchyard::yardctl
