// OpenSSL libcrypto: hashing, HMAC, RSA signing. Some names are macros in OpenSSL 3;
// they are wrapped here so Swift only sees plain functions.
#ifndef FREIGHT_CCRYPTO_SHIM_H
#define FREIGHT_CCRYPTO_SHIM_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/bio.h>

static inline int fl_evp_md_size(const EVP_MD *md) { return EVP_MD_get_size(md); }

#endif
