#include "schemas/hash.hpp"

#include "schemas/canonical_json.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace fp::schemas {

namespace {

/// SHA-256, fetched from the default provider once: `EVP_sha256()` makes every init fetch it
/// again, under OpenSSL's lock.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    auto* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr)
      std::abort();
    return m;
  }();
  return md;
}

/// An EVP SHA-256 context. EVP calls fail only on allocation failure or a broken OpenSSL
/// build; either is a fatal environment fault, not a value a caller could act on.
class sha256_ctx {
public:
  sha256_ctx()
      : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), sha256_md(), nullptr) != 1)
      std::abort();
  }

  void update(const void* data, std::size_t size) {
    if (size > 0 && EVP_DigestUpdate(ctx_.get(), data, size) != 1)
      std::abort();
  }

  std::array<std::uint8_t, 32> finish() {
    std::array<std::uint8_t, 32> out{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) != 1 || len != out.size())
      std::abort();
    return out;
  }

private:
  struct deleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, deleter> ctx_;
};

std::string to_hex(const std::array<std::uint8_t, 32>& digest) {
  return fp::schemas::to_hex({reinterpret_cast<const char*>(digest.data()), digest.size()});
}

} // namespace

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0x0f];
  }
  return out;
}

std::array<std::uint8_t, 32> sha256(std::string_view bytes) {
  sha256_ctx ctx;
  ctx.update(bytes.data(), bytes.size());
  return ctx.finish();
}

std::string sha256_hex(std::string_view bytes) {
  return to_hex(sha256(bytes));
}

expected<std::string> payload_hash(const nlohmann::json& payload) {
  auto text = canonical_checked(payload, "payload");
  if (!text)
    return text.error();
  return sha256_hex(*text);
}

std::string composite_id(std::initializer_list<std::string_view> parts) {
  sha256_ctx ctx;
  for (std::string_view part : parts) {
    std::uint8_t len[8];
    auto size = static_cast<std::uint64_t>(part.size());
    for (int i = 7; i >= 0; --i) {
      len[i] = static_cast<std::uint8_t>(size & 0xff);
      size >>= 8;
    }
    ctx.update(len, sizeof len);
    ctx.update(part.data(), part.size());
  }
  return to_hex(ctx.finish());
}

} // namespace fp::schemas
