#include <catch2/catch.hpp>

#include <fstream>

#include "protocol/tls/client_context.hpp"
#include "tests/protocol/tls/support/test_pki.hpp"

using namespace imap_mcp;
using namespace imap_mcp::tls;

TEST_CASE("client_context loads the system roots alone and with an extra CA file",
          "[tls][context]") {
  auto system_only = client_context::create("");
  REQUIRE(system_only.ok());
  REQUIRE((*system_only)->native() != nullptr);

  auto with_ca = client_context::create(test::pki().ca_cert);
  REQUIRE(with_ca.ok());
  CHECK((*with_ca)->cached_sessions() == 0);
}

TEST_CASE("client_context rejects an unusable CA file and names its path", "[tls][context]") {
  const auto& pki = test::pki();
  struct row {
    const char* label;
    std::string path;
    const char* reason;
  };
  const row rows[] = {
      {"missing file", pki.dir + "/does-not-exist.pem", "No such file or directory"},
      {"directory", pki.dir, "is a directory"},
      {"not PEM", test::write_temp_file("garbage.pem", "this is not a certificate\n"),
       "holds no PEM certificate"},
      {"broken PEM",
       test::write_temp_file("broken.pem",
                             "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
       ""},
      {"key only", pki.server_key, "holds no PEM certificate"},
  };
  for (const auto& r : rows) {
    SECTION(r.label) {
      auto ctx = client_context::create(r.path);
      REQUIRE_FALSE(ctx.ok());
      const auto& f = ctx.error();
      CHECK(f.code == error_code::internal);
      CHECK(f.stage == "tls");
      CHECK_FALSE(f.retryable);
      CHECK_THAT(f.message, Catch::Contains("'" + r.path + "'"));
      CHECK_THAT(f.message, Catch::Contains(r.reason));
    }
  }
}

TEST_CASE("a CA bundle with several certificates loads", "[tls][context]") {
  const auto& pki = test::pki();
  std::ifstream ca{pki.ca_cert}, leaf{pki.localhost_cert};
  std::string bundle{std::istreambuf_iterator<char>(ca), {}};
  bundle.append(std::istreambuf_iterator<char>(leaf), {});
  auto ctx = client_context::create(test::write_temp_file("bundle.pem", bundle));
  CHECK(ctx.ok());
}
