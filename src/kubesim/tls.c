/*
 * tls — see tls.h.  Built with the OpenSSL 3 API (EVP_EC_gen, X509v3
 * extensions by configuration string) and nothing written to disk except
 * what the caller chooses to write (the CA certificate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "kubesim/tls.h"

static int
ossl_fail(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();

	snprintf(err, errlen, "%s: %s", what, e != 0 ? ERR_reason_error_string(e) : "failed");
	ERR_clear_error();
	return -1;
}

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

static int
set_serial(X509 *cert)
{
	unsigned char b[16];
	BIGNUM *bn;
	int rc;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[0] &= 0x7f;		/* positive */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	rc = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL ? 0 : -1;
	BN_free(bn);
	return rc;
}

/* A certificate for KEY named CN, signed by ISSUER/IKEY (itself when NULL). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, const char *san)
{
	X509 *c = X509_new();
	X509_NAME *name;

	if (c == NULL || X509_set_version(c, 2) != 1 || set_serial(c) < 0)
		goto fail;
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 365L * 24 * 3600);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"dbaasd-kubesim", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : name);
	if (add_ext(c, issuer != NULL ? issuer : c, NID_subject_key_identifier, "hash") < 0)
		goto fail;
	if (issuer == NULL) {
		if (add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
		    add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") < 0 ||
		    add_ext(c, c, NID_authority_key_identifier, "keyid:always") < 0)
			goto fail;
	} else if (add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(c, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment") < 0 ||
	    add_ext(c, issuer, NID_ext_key_usage, "serverAuth") < 0 ||
	    add_ext(c, issuer, NID_authority_key_identifier, "keyid:always") < 0 ||
	    add_ext(c, issuer, NID_subject_alt_name, san) < 0) {
		goto fail;
	}
	if (X509_sign(c, ikey != NULL ? ikey : key, EVP_sha256()) == 0)
		goto fail;
	return c;
fail:
	X509_free(c);
	return NULL;
}

static char *
cert_pem(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b != NULL && PEM_write_bio_X509(b, c) == 1) {
		n = BIO_get_mem_data(b, &data);
		if (n > 0 && (out = malloc((size_t)n + 1)) != NULL) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(b);
	return out;
}

static int
host_is_ip(const char *h)
{
	return strspn(h, "0123456789.") == strlen(h) || strchr(h, ':') != NULL;
}

int
ksim_tls_generate(const char *extra_host, struct ksim_tls *out, char *err, size_t errlen)
{
	EVP_PKEY *cakey = NULL, *key = NULL;
	X509 *ca = NULL, *srv = NULL;
	char san[512];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(san, sizeof(san), "IP:127.0.0.1,IP:::1,DNS:localhost%s%s%s",
	    extra_host != NULL ? "," : "", extra_host == NULL ? "" : host_is_ip(extra_host) ? "IP:" : "DNS:",
	    extra_host != NULL ? extra_host : "");
	cakey = EVP_EC_gen("P-256");
	key = EVP_EC_gen("P-256");
	if (cakey == NULL || key == NULL) {
		ossl_fail(err, errlen, "EVP_EC_gen");
		goto out;
	}
	ca = make_cert(cakey, "dbaasd-kubesim-ca", NULL, NULL, NULL);
	srv = ca != NULL ? make_cert(key, "dbaasd-kubesim", ca, cakey, san) : NULL;
	if (srv == NULL) {
		ossl_fail(err, errlen, "certificate generation");
		goto out;
	}
	out->ctx = SSL_CTX_new(TLS_server_method());
	if (out->ctx == NULL || SSL_CTX_set_min_proto_version(out->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(out->ctx, srv) != 1 || SSL_CTX_use_PrivateKey(out->ctx, key) != 1 ||
	    SSL_CTX_add_extra_chain_cert(out->ctx, X509_dup(ca)) != 1) {
		ossl_fail(err, errlen, "SSL_CTX setup");
		goto out;
	}
	SSL_CTX_set_mode(out->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if ((out->ca_pem = cert_pem(ca)) == NULL) {
		ossl_fail(err, errlen, "PEM_write_bio_X509");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		ksim_tls_free(out);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(srv);
	return rc;
}

void
ksim_tls_free(struct ksim_tls *t)
{
	SSL_CTX_free(t->ctx);
	free(t->ca_pem);
	t->ctx = NULL;
	t->ca_pem = NULL;
}
