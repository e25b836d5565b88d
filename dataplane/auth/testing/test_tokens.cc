#include "dataplane/auth/testing/test_tokens.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "absl/strings/escaping.h"

namespace switchyard::auth::testing {
namespace {

using Json = nlohmann::json;

void Die(const char* what) {
  std::fprintf(stderr, "test_tokens: %s failed\n", what);
  std::abort();
}

std::shared_ptr<EVP_PKEY> Generate(const std::string& alg) {
  EVP_PKEY* key = nullptr;
  if (alg == "RS256" || alg == "PS256") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  } else if (alg == "ES256") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (alg == "EdDSA") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (key == nullptr) Die("keygen");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::string BnParam(EVP_PKEY* key, const char* name, int pad_to = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) Die("EVP_PKEY_get_bn_param");
  std::string out(pad_to > 0 ? pad_to : BN_num_bytes(bn), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

std::string Sign(const TestKey& key, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pkey_ctx = nullptr;
  const EVP_MD* md = key.alg == "EdDSA" ? nullptr : EVP_sha256();
  if (EVP_DigestSignInit(ctx, &pkey_ctx, md, nullptr, key.key.get()) != 1) Die("DigestSignInit");
  if (key.alg == "PS256") {
    EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx, nullptr, &length, data, input.size()) != 1) Die("DigestSign");
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                     input.size()) != 1) {
    Die("DigestSign");
  }
  signature.resize(length);
  EVP_MD_CTX_free(ctx);
  if (key.alg != "ES256") return signature;
  // DER to JWS's r || s.
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));  // NOLINT
  if (sig == nullptr) Die("d2i_ECDSA_SIG");
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

}  // namespace

Json PublicJwk(const std::string& alg, EVP_PKEY* key) {
  if (alg == "RS256" || alg == "PS256") {
    return {{"kty", "RSA"},
            {"n", Base64Url(BnParam(key, OSSL_PKEY_PARAM_RSA_N))},
            {"e", Base64Url(BnParam(key, OSSL_PKEY_PARAM_RSA_E))}};
  }
  if (alg == "ES256") {
    return {{"kty", "EC"},
            {"crv", "P-256"},
            {"x", Base64Url(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
            {"y", Base64Url(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
  }
  std::string raw(32, '\0');
  size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length) !=
      1) {
    Die("EVP_PKEY_get_raw_public_key");
  }
  return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", Base64Url(raw)}};
}

std::string Base64Url(std::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()), &out);
  return out;
}

TestKey MakeKey(const std::string& alg, const std::string& kid) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<EVP_PKEY>> generated;
  std::shared_ptr<EVP_PKEY> key;
  {
    std::lock_guard<std::mutex> lock(mutex);
    std::shared_ptr<EVP_PKEY>& slot = generated[alg + "/" + kid];
    if (slot == nullptr) slot = Generate(alg);
    key = slot;
  }
  Json jwk = PublicJwk(alg, key.get());
  jwk["kid"] = kid;
  jwk["alg"] = alg;
  jwk["use"] = "sig";
  return {.alg = alg, .kid = kid, .key = key, .jwk = std::move(jwk)};
}

std::string Jwks(const std::vector<TestKey>& keys) {
  Json list = Json::array();
  for (const TestKey& key : keys) list.push_back(key.jwk);
  return Json{{"keys", list}}.dump();
}

std::string SignJwtWithHeader(const TestKey& key, const Json& header, const Json& claims) {
  const std::string input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
  return input + "." + Base64Url(Sign(key, input));
}

std::string SignJwt(const TestKey& key, const Json& claims) {
  return SignJwtWithHeader(key, {{"alg", key.alg}, {"kid", key.kid}, {"typ", "JWT"}}, claims);
}

std::string UnsignedJwt(const Json& claims) {
  return Base64Url(Json{{"alg", "none"}, {"typ", "JWT"}}.dump()) + "." + Base64Url(claims.dump()) +
         ".";
}

std::string Hs256Jwt(std::string_view secret, const std::string& kid, const Json& claims) {
  const std::string input = Base64Url(Json{{"alg", "HS256"}, {"kid", kid}, {"typ", "JWT"}}.dump()) +
                            "." + Base64Url(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return input + "." + Base64Url(std::string_view(reinterpret_cast<const char*>(mac), length));
}

std::string PublicKeyPem(const TestKey& key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key.key.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL's type
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

}  // namespace switchyard::auth::testing
