#include "dataplane/auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"

namespace switchyard::auth {
namespace {

using Json = nlohmann::json;

// Token headers and payloads nest little; a deeper one is hostile.
constexpr int kMaxTokenNesting = 8;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

bool DecodePart(std::string_view part, std::string& out) {
  if (part.empty()) return false;
  // base64url without padding (RFC 7515 2): no '=' and none of the standard alphabet's
  // '+' or '/', which WebSafeBase64Unescape would otherwise tolerate.
  for (const char c : part) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return absl::WebSafeBase64Unescape(absl::string_view(part.data(), part.size()), &out);
}

bool ParseObject(const std::string& text, Json& out) {
  if (config::JsonNestingDepth(text) > kMaxTokenNesting) return false;
  out = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return out.is_object();
}

// A NumericDate (RFC 7519 2): a JSON number, fractions allowed. False when it is not one.
bool NumericDate(const Json& claims, const char* name, int64_t& out) {
  const auto it = claims.find(name);
  if (it == claims.end()) return true;
  if (it->is_number_integer()) {
    out = it->get<int64_t>();
    return true;
  }
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (!std::isfinite(value) || std::fabs(value) > 1e15) return false;
    out = static_cast<int64_t>(std::floor(value));
    return true;
  }
  return false;
}

bool KeyFits(const config::Jwk& key, uint8_t algorithm) {
  switch (algorithm) {
    case kRs256:
      return key.type == config::JwkType::kRsa && (key.alg.empty() || key.alg == "RS256");
    case kPs256:
      return key.type == config::JwkType::kRsa && (key.alg.empty() || key.alg == "PS256");
    case kEs256:
      return key.type == config::JwkType::kEcP256 && (key.alg.empty() || key.alg == "ES256");
    case kEdDsa:
      return key.type == config::JwkType::kEd25519 && (key.alg.empty() || key.alg == "EdDSA");
    default:
      return false;
  }
}

// JWS ES256 signatures are r || s, 32 bytes each (RFC 7518 3.4); OpenSSL wants DER.
bool EcdsaToDer(std::string_view raw, std::string& der) {
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (sig == nullptr) return false;
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* out = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  if (length <= 0) return false;
  der.assign(reinterpret_cast<const char*>(out), static_cast<size_t>(length));
  OPENSSL_free(out);
  return true;
}

// Fetched once: EVP_sha256() would make OpenSSL 3 look the implementation up again on
// every verification.
const EVP_MD* Sha256Md() {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return kSha256;
}

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

// Verification contexts set up for one key and algorithm (EVP_PKEY_verify_init, padding,
// digest), kept per thread: setting one up costs about a third of an RSA-2048
// verification, and a context may be used again for any number of verifications, but by
// one thread at a time. A context holds a reference to its key, so a key in here is never
// freed and its address never reused while it is; the cache is emptied when full.
class VerifyContexts {
 public:
  // The context for `key` and `algorithm` (RS256, PS256 or ES256), or null.
  EVP_PKEY_CTX* For(EVP_PKEY* key, uint8_t algorithm) {
    const auto it = contexts_.find({key, algorithm});
    if (it != contexts_.end()) return it->second.get();
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
        EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (ctx == nullptr || EVP_PKEY_verify_init(ctx.get()) != 1) return nullptr;
    if (algorithm != kEs256 && EVP_PKEY_CTX_set_signature_md(ctx.get(), Sha256Md()) != 1) {
      return nullptr;
    }
    // RFC 7518 3.5: MGF1 with SHA-256, salt as long as the hash.
    if (algorithm == kPs256 &&
        (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) != 1 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), Sha256Md()) != 1)) {
      return nullptr;
    }
    if (contexts_.size() >= kMaxContexts) contexts_.clear();
    return contexts_.emplace(std::make_pair(key, algorithm), std::move(ctx)).first->second.get();
  }

 private:
  static constexpr size_t kMaxContexts = 256;
  absl::flat_hash_map<std::pair<EVP_PKEY*, uint8_t>, std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>>
      contexts_;
};

bool VerifySignature(const config::Jwk& key, uint8_t algorithm, std::string_view signed_part,
                     std::string_view signature) {
  if (algorithm == kEdDsa) {
    // Ed25519 signs the message itself, not a digest: one-shot DigestVerify.
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    return ctx != nullptr &&
           EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.key.get()) == 1 &&
           EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(signed_part.data()),
                            signed_part.size()) == 1;
  }
  thread_local VerifyContexts contexts;
  EVP_PKEY_CTX* ctx = contexts.For(key.key.get(), algorithm);
  if (ctx == nullptr) return false;
  std::string der;
  if (algorithm == kEs256) {
    if (!EcdsaToDer(signature, der)) return false;
    signature = der;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(signed_part.data(), signed_part.size(), digest, &digest_size, Sha256Md(),
                 nullptr) != 1) {
    return false;
  }
  return EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), digest, digest_size) == 1;
}

std::string StringMember(const Json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// JSON text that never throws: the parser accepted only valid UTF-8, and anything else is
// replaced rather than thrown about.
std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

uint8_t JwtAlgorithmNamed(std::string_view name) {
  if (name == "RS256") return kRs256;
  if (name == "PS256") return kPs256;
  if (name == "ES256") return kEs256;
  if (name == "EdDSA") return kEdDsa;
  return 0;
}

std::string_view JwtErrorMessage(JwtError error) {
  switch (error) {
    case JwtError::kNone:
      return "valid";
    case JwtError::kTooLarge:
      return "the token is larger than 8 KiB";
    case JwtError::kMalformed:
      return "the token is not a well-formed JWT";
    case JwtError::kAlgorithm:
      return "the token's algorithm is not accepted";
    case JwtError::kUnknownKey:
      return "no key of the issuer matches the token";
    case JwtError::kSignature:
      return "the token's signature does not verify";
    case JwtError::kIssuer:
      return "the token's issuer is not accepted";
    case JwtError::kAudience:
      return "the token is not for this audience";
    case JwtError::kExpired:
      return "the token has expired";
    case JwtError::kNotYetValid:
      return "the token is not valid yet";
    case JwtError::kKeysNotReady:
      return "the issuer's keys have not been fetched yet";
  }
  return "invalid token";
}

JwtError VerifyJwt(const JwtIssuer& issuer, const std::vector<config::Jwk>& keys,
                   std::string_view token, VerifiedJwt& out) {
  if (token.size() > kMaxTokenBytes) return JwtError::kTooLarge;
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return JwtError::kMalformed;
  }
  std::string header_text;
  std::string payload_text;
  std::string signature;
  Json header;
  if (!DecodePart(token.substr(0, first), header_text) || !ParseObject(header_text, header)) {
    return JwtError::kMalformed;
  }
  // The algorithm first, so that "none" (whose signature is empty) is refused as such.
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return JwtError::kMalformed;
  const uint8_t algorithm = JwtAlgorithmNamed(alg->get_ref<const std::string&>());
  if (algorithm == 0 || (issuer.algorithms & algorithm) == 0) return JwtError::kAlgorithm;
  // RFC 7515 4.1.11: extensions a recipient does not understand must fail the token.
  if (header.contains("crit")) return JwtError::kMalformed;
  if (!DecodePart(token.substr(first + 1, second - first - 1), payload_text) ||
      !DecodePart(token.substr(second + 1), signature)) {
    return JwtError::kMalformed;
  }

  const std::string kid = StringMember(header, "kid");
  const std::string_view signed_part = token.substr(0, second);
  bool any_key = false;
  bool verified = false;
  for (const config::Jwk& key : keys) {
    if ((!kid.empty() && key.kid != kid) || !KeyFits(key, algorithm)) continue;
    any_key = true;
    if (VerifySignature(key, algorithm, signed_part, signature)) {
      verified = true;
      break;
    }
  }
  if (!any_key) return JwtError::kUnknownKey;
  if (!verified) return JwtError::kSignature;

  auto claims = std::make_shared<Json>();
  if (!ParseObject(payload_text, *claims)) return JwtError::kMalformed;
  if (StringMember(*claims, "iss") != issuer.issuer) return JwtError::kIssuer;
  if (!issuer.audiences.empty()) {
    const auto aud = claims->find("aud");
    const auto accepted = [&](const Json& value) {
      return value.is_string() &&
             std::find(issuer.audiences.begin(), issuer.audiences.end(),
                       value.get_ref<const std::string&>()) != issuer.audiences.end();
    };
    const bool ok =
        aud != claims->end() &&
        (accepted(*aud) || (aud->is_array() && std::any_of(aud->begin(), aud->end(), accepted)));
    if (!ok) return JwtError::kAudience;
  }
  VerifiedJwt verified_token;
  if (!NumericDate(*claims, "exp", verified_token.expires) ||
      !NumericDate(*claims, "nbf", verified_token.not_before)) {
    return JwtError::kMalformed;
  }
  verified_token.claims = std::move(claims);
  out = std::move(verified_token);
  return JwtError::kNone;
}

JwtError CheckJwtTimes(const JwtIssuer& issuer, const VerifiedJwt& token, int64_t now) {
  // exp: the token is valid strictly before it (RFC 7519 4.1.4), give or take the skew.
  if (token.expires != std::numeric_limits<int64_t>::max() &&
      now >= token.expires + issuer.clock_skew_seconds) {
    return JwtError::kExpired;
  }
  if (token.not_before != std::numeric_limits<int64_t>::min() &&
      now + issuer.clock_skew_seconds < token.not_before) {
    return JwtError::kNotYetValid;
  }
  return JwtError::kNone;
}

const Json* FindClaim(const Json& claims, std::string_view path) {
  const Json* at = &claims;
  while (true) {
    if (!at->is_object()) return nullptr;
    const size_t dot = path.find('.');
    const auto it = at->find(std::string(path.substr(0, dot)));
    if (it == at->end()) return nullptr;
    at = &*it;
    if (dot == std::string_view::npos) return at;
    path.remove_prefix(dot + 1);
  }
}

bool ClaimMatches(const Json& claim, const std::vector<std::string>& values) {
  const auto one = [&](const Json& value) {
    const std::string text = value.is_string() ? value.get<std::string>() : Dump(value);
    return std::find(values.begin(), values.end(), text) != values.end();
  };
  if (claim.is_array()) return std::any_of(claim.begin(), claim.end(), one);
  return !claim.is_object() && one(claim);
}

std::string ClaimHeaderValue(const Json& claim) {
  if (claim.is_string()) return claim.get<std::string>();
  if (claim.is_array() &&
      std::all_of(claim.begin(), claim.end(), [](const Json& v) { return v.is_string(); })) {
    std::string out;
    for (const Json& value : claim) {
      if (!out.empty()) out += ',';
      out += value.get<std::string>();
    }
    return out;
  }
  return Dump(claim);
}

}  // namespace switchyard::auth
