#pragma once

#include <string>

namespace imap_mcp::tls::test {

/// A throw-away PKI made once per test process with the openssl CLI in a temporary
/// directory (removed at exit). Every server certificate is signed by the test CA.
struct test_pki {
  std::string dir;
  std::string ca_cert;         ///< the test CA (PEM)
  std::string server_key;      ///< key shared by all server certificates
  std::string localhost_cert;  ///< SAN DNS:localhost, IP:127.0.0.1
  std::string other_host_cert; ///< SAN DNS:other.example.com only
  std::string expired_cert;    ///< localhost names, valid only in January 2020
};

/// The PKI of this process, generated on first use; throws (failing the test) if openssl fails.
const test_pki& pki();

/// Writes text to a new file in the PKI directory and returns its path.
std::string write_temp_file(const std::string& name, const std::string& text);

} // namespace imap_mcp::tls::test
