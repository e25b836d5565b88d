// Certificates for tests, made by the script operators use (deploy/pki/make-pki.sh, with
// the openssl CLI) in a fresh directory under $TEST_TMPDIR.
//
//   TestPki pki;
//   ASSERT_TRUE(pki.Make({"--proxy", "edge-1"}, &error)) << error;
//   pki.Path("proxy-edge-1.pem")
//
// Make may be called again on the same directory: the CA is kept and the certificates
// named are issued again (a rotation).
#ifndef SWITCHYARD_TESTS_SUPPORT_TEST_PKI_H_
#define SWITCHYARD_TESTS_SUPPORT_TEST_PKI_H_

#include <string>
#include <vector>

namespace switchyard::testing {

class TestPki {
 public:
  TestPki();

  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

  // Runs make-pki.sh -d dir() with `args`. False, with the script's output in *error,
  // when it fails.
  bool Make(const std::vector<std::string>& args, std::string* error);

  // The admin token the script made (empty before Make).
  std::string AdminToken() const;

 private:
  std::string dir_;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_TEST_PKI_H_
