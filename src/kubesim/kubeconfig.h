/*
 * kubeconfig — the files kubesim writes for its clients once it listens:
 * the URL, the CA certificate, and a kubeconfig (server, CA data, token,
 * default namespace) that kubectl, client-go and python-kubernetes load
 * as they are.  Files are written to a temporary name and renamed, so a
 * reader polling for them never sees half a file.
 */
#ifndef KSIM_KUBECONFIG_H
#define KSIM_KUBECONFIG_H

#include <stddef.h>

/* Write DATA to PATH atomically (mode 0600).  0, or -1 with ERR. */
int ksim_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen);
/*
 * Write a kubeconfig for URL (CA_PEM may be NULL for plain HTTP) with
 * bearer TOKEN to PATH.  0, or -1 with ERR.
 */
int ksim_write_kubeconfig(const char *path, const char *url, const char *ca_pem,
    const char *token, char *err, size_t errlen);

#endif
