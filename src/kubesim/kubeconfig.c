/* kubeconfig — see kubeconfig.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kubesim/kubeconfig.h"

int
ksim_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	char tmp[4096];
	int fd;
	size_t off = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "open %s: %s", tmp, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "write %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
ksim_write_kubeconfig(const char *path, const char *url, const char *ca_pem, const char *token,
    char *err, size_t errlen)
{
	size_t calen = ca_pem != NULL ? strlen(ca_pem) : 0;
	char *ca64 = malloc(4 * ((calen + 2) / 3) + 1), *doc = NULL;
	int n, rc = -1;

	if (ca64 == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ca64[0] = '\0';
	if (calen > 0)
		EVP_EncodeBlock((unsigned char *)ca64, (const unsigned char *)ca_pem, (int)calen);
	n = asprintf(&doc,
	    "apiVersion: v1\n"
	    "kind: Config\n"
	    "clusters:\n"
	    "- name: kubesim\n"
	    "  cluster:\n"
	    "    server: %s\n"
	    "%s%s%s"
	    "contexts:\n"
	    "- name: kubesim\n"
	    "  context:\n"
	    "    cluster: kubesim\n"
	    "    user: kubesim\n"
	    "    namespace: default\n"
	    "current-context: kubesim\n"
	    "users:\n"
	    "- name: kubesim\n"
	    "  user:\n"
	    "    token: %s\n",
	    url, calen > 0 ? "    certificate-authority-data: " : "", ca64, calen > 0 ? "\n" : "", token);
	if (n < 0) {
		snprintf(err, errlen, "out of memory");
		doc = NULL;
	} else {
		rc = ksim_write_file(path, doc, (size_t)n, err, errlen);
	}
	free(doc);
	free(ca64);
	return rc;
}
