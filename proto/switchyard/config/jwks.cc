#include "switchyard/config/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace switchyard::config {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 16;
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamsFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};

// A base64url member of `jwk` (RFC 7518 uses it without padding; padding is tolerated).
bool Base64UrlMember(const Json& jwk, const char* name, std::string& out) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return false;
  const std::string& text = it->get_ref<const std::string&>();
  return !text.empty() && absl::WebSafeBase64Unescape(text, &out);
}

std::shared_ptr<EVP_PKEY> FromData(const char* type, OSSL_PARAM* params) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return nullptr;
  }
  return std::shared_ptr<EVP_PKEY>(key, PkeyFree());
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> RsaKey(const Json& jwk) {
  std::string n;
  std::string e;
  if (!Base64UrlMember(jwk, "n", n) || !Base64UrlMember(jwk, "e", e)) {
    return absl::InvalidArgumentError("an RSA key needs base64url \"n\" and \"e\"");
  }
  std::unique_ptr<BIGNUM, BnFree> modulus(BN_bin2bn(
      reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> exponent(BN_bin2bn(
      reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
  if (modulus == nullptr || exponent == nullptr) return absl::InternalError("out of memory");
  const int bits = BN_num_bits(modulus.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return absl::InvalidArgumentError(absl::StrCat("an RSA modulus of ", bits, " bits; between ",
                                                   kMinRsaBits, " and ", kMaxRsaBits));
  }
  if (BN_is_odd(exponent.get()) == 0 || BN_num_bits(exponent.get()) < 2 ||
      BN_num_bits(exponent.get()) > 32) {
    return absl::InvalidArgumentError("the RSA exponent must be odd, above 1 and below 2^32");
  }
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    return absl::InternalError("out of memory");
  }
  std::unique_ptr<OSSL_PARAM, ParamsFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::shared_ptr<EVP_PKEY> key = params != nullptr ? FromData("RSA", params.get()) : nullptr;
  if (key == nullptr) return absl::InvalidArgumentError("OpenSSL refused the RSA key");
  return key;
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> EcP256Key(const Json& jwk) {
  std::string x;
  std::string y;
  if (!Base64UrlMember(jwk, "x", x) || !Base64UrlMember(jwk, "y", y) || x.size() != 32 ||
      y.size() != 32) {
    return absl::InvalidArgumentError("a P-256 key needs 32-byte base64url \"x\" and \"y\"");
  }
  std::string point = "\x04" + x + y;  // uncompressed (SEC 1)
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return absl::InternalError("out of memory");
  }
  std::unique_ptr<OSSL_PARAM, ParamsFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::shared_ptr<EVP_PKEY> key = params != nullptr ? FromData("EC", params.get()) : nullptr;
  if (key == nullptr) return absl::InvalidArgumentError("the point is not on P-256");
  // fromdata decodes the point; the check makes sure it is on the curve and not infinity.
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return absl::InvalidArgumentError("the point is not on P-256");
  }
  return key;
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> Ed25519Key(const Json& jwk) {
  std::string x;
  if (!Base64UrlMember(jwk, "x", x) || x.size() != 32) {
    return absl::InvalidArgumentError("an Ed25519 key needs a 32-byte base64url \"x\"");
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
  if (key == nullptr) return absl::InvalidArgumentError("OpenSSL refused the Ed25519 key");
  return std::shared_ptr<EVP_PKEY>(key, PkeyFree());
}

std::string StringMember(const Json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

int JsonNestingDepth(std::string_view json) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

absl::StatusOr<std::vector<Jwk>> ParseJwks(std::string_view json) {
  if (json.size() > kMaxJwksBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a JWKS of ", json.size(), " bytes; at most ", kMaxJwksBytes));
  }
  if (JsonNestingDepth(json) > kMaxDepth) {
    return absl::InvalidArgumentError("not a JWKS: nested too deeply");
  }
  const Json document = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return absl::InvalidArgumentError("not JSON");
  const auto keys_it = document.is_object() ? document.find("keys") : document.end();
  if (keys_it == document.end() || !keys_it->is_array()) {
    return absl::InvalidArgumentError("not a JWKS: no \"keys\" array");
  }
  if (keys_it->size() > kMaxJwksKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat(keys_it->size(), " keys; at most ", kMaxJwksKeys));
  }
  std::vector<Jwk> keys;
  for (size_t i = 0; i < keys_it->size(); ++i) {
    const Json& jwk = (*keys_it)[i];
    const auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("keys[", i, "]: ", why));
    };
    if (!jwk.is_object()) return fail("not an object");
    if (StringMember(jwk, "use") == "enc") continue;
    const std::string kty = StringMember(jwk, "kty");
    const std::string crv = StringMember(jwk, "crv");
    Jwk key{.kid = StringMember(jwk, "kid"), .alg = StringMember(jwk, "alg")};
    absl::StatusOr<std::shared_ptr<EVP_PKEY>> built;
    if (kty == "RSA") {
      key.type = JwkType::kRsa;
      built = RsaKey(jwk);
    } else if (kty == "EC" && crv == "P-256") {
      key.type = JwkType::kEcP256;
      built = EcP256Key(jwk);
    } else if (kty == "OKP" && crv == "Ed25519") {
      key.type = JwkType::kEd25519;
      built = Ed25519Key(jwk);
    } else if (kty == "oct") {
      return fail("a symmetric (\"oct\") key: a JWKS here holds public keys only");
    } else if (kty.empty()) {
      return fail("no \"kty\"");
    } else {
      continue;  // another curve or type: no accepted algorithm would use it
    }
    if (!built.ok()) return fail(built.status().message());
    key.key = *std::move(built);
    keys.push_back(std::move(key));
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError("no usable signing key (RSA, P-256, Ed25519)");
  }
  return keys;
}

}  // namespace switchyard::config
