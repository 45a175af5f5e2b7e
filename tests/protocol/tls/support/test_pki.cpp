#include "tests/protocol/tls/support/test_pki.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace imap_mcp::tls::test {

namespace {

namespace fs = std::filesystem;

void run(const std::string& dir, const std::string& command) {
  // Quiet unless it fails; the directory is ours, so plain quoting is enough.
  std::string full = "cd '" + dir + "' && " + command + " >openssl.log 2>&1";
  if (std::system(full.c_str()) != 0) {
    std::ifstream log{dir + "/openssl.log"};
    std::string text{std::istreambuf_iterator<char>(log), {}};
    throw std::runtime_error("openssl failed: " + command + "\n" + text);
  }
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path};
  out << text;
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

/// Removes the directory when the process ends.
struct pki_holder {
  test_pki value;
  ~pki_holder() {
    std::error_code ec;
    if (!value.dir.empty())
      fs::remove_all(value.dir, ec);
  }
};

test_pki make_pki() {
  std::string pattern = (fs::temp_directory_path() / "imap-mcp-tls-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  test_pki p;
  p.dir = pattern;
  const std::string ec_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  run(p.dir, "openssl req -x509 " + ec_key +
                 " -keyout ca.key -out ca.pem -days 3650 -subj '/CN=imap-mcp test CA'"
                 " -addext basicConstraints=critical,CA:TRUE -addext "
                 "keyUsage=critical,keyCertSign,cRLSign");
  run(p.dir,
      "openssl req -new " + ec_key + " -keyout server.key -out server.csr -subj /CN=localhost");
  write_file(p.dir + "/localhost.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  write_file(p.dir + "/other.ext", "subjectAltName=DNS:other.example.com\n");
  run(p.dir, "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 30"
             " -extfile localhost.ext -out localhost.pem");
  run(p.dir, "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days 30"
             " -extfile other.ext -out other.pem");
  // `openssl ca` is the CLI way to set explicit validity dates (x509 -req has only -days).
  write_file(p.dir + "/ca.cnf",
             "[ca]\ndefault_ca = test_ca\n"
             "[test_ca]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial.txt\n"
             "default_md = sha256\npolicy = any\nx509_extensions = server_ext\n"
             "[any]\ncommonName = supplied\n"
             "[server_ext]\nsubjectAltName = DNS:localhost,IP:127.0.0.1\n");
  write_file(p.dir + "/index.txt", "");
  write_file(p.dir + "/serial.txt", "10\n");
  run(p.dir, "openssl ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -in server.csr"
             " -out expired.pem -startdate 20200101000000Z -enddate 20200201000000Z");
  p.ca_cert = p.dir + "/ca.pem";
  p.server_key = p.dir + "/server.key";
  p.localhost_cert = p.dir + "/localhost.pem";
  p.other_host_cert = p.dir + "/other.pem";
  p.expired_cert = p.dir + "/expired.pem";
  return p;
}

} // namespace

const test_pki& pki() {
  static pki_holder holder{make_pki()};
  return holder.value;
}

std::string write_temp_file(const std::string& name, const std::string& text) {
  std::string path = pki().dir + "/" + name;
  write_file(path, text);
  return path;
}

} // namespace imap_mcp::tls::test
