/*
 * tls — a throw-away certificate authority and server certificate, made at
 * start-up, so that clients can talk to kubesim over HTTPS and verify it
 * (kubectl and client-go refuse plain HTTP in many setups, and a real
 * kubeconfig carries certificate-authority-data).
 *
 * Keys are ECDSA P-256; the server certificate names 127.0.0.1, ::1 and
 * localhost (plus any extra host) in subjectAltName, as Go requires.
 */
#ifndef KSIM_TLS_H
#define KSIM_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct ksim_tls {
	SSL_CTX *ctx;
	char *ca_pem;		/* the CA certificate, PEM */
};

/*
 * Generate the CA and a server certificate (EXTRA_HOST may be NULL: a DNS
 * name or an IP address to add to the SANs).  Returns 0, or -1 with ERR.
 */
int ksim_tls_generate(const char *extra_host, struct ksim_tls *out, char *err, size_t errlen);
void ksim_tls_free(struct ksim_tls *t);

#endif
