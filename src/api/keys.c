/*
 * keys — API keys as secrets: generated from the kernel CSPRNG, shown once,
 * stored only as their SHA-256.  A key is "dbaas_" + base64url of 32 random
 * bytes (256 bits); the prefix makes a leaked key easy to recognise in code
 * or logs scanners.  The first admin key comes from a file named by
 * api.bootstrap_admin_key_file (registered at start, idempotently: the hash
 * is unique) or from `dbaasd --create-admin-key`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "api/api.h"
#include "api/api_int.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/rnd.h"

#define KEY_RANDOM_BYTES 32

int
api_key_generate(char *out, size_t n)
{
	unsigned char r[KEY_RANDOM_BYTES];
	size_t o;

	if (n < sizeof(API_KEY_PREFIX) + 44 || rnd_secure(r, KEY_RANDOM_BYTES) != 0)
		return -1;
	o = (size_t)snprintf(out, n, "%s", API_KEY_PREFIX);
	api_b64u_encode(r, KEY_RANDOM_BYTES, out + o, n - o);	/* 43 characters, no padding */
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

void
api_sha256_hex(const void *data, size_t len, const char *extra, char hex[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	hex[0] = '\0';
	if (c == NULL)
		return;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    (extra == NULL || EVP_DigestUpdate(c, extra, strlen(extra) + 1) == 1) &&
	    EVP_DigestUpdate(c, data, len) == 1 && EVP_DigestFinal_ex(c, md, &n) == 1)
		for (unsigned i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(c);
}

void
api_key_hash(const char *key, char hex[65])
{
	api_sha256_hex(key, strlen(key), NULL, hex);
}

int
api_key_wellformed(const char *key)
{
	size_t n = strlen(key);

	if (n < API_KEY_MIN || n > API_KEY_MAX)
		return 0;
	for (; *key != '\0'; key++) {
		char c = *key;
		int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		/* base64url, plus what other token generators use */
		if (!alnum && strchr("-_.~+/=", c) == NULL)
			return 0;
	}
	return 1;
}

int
api_key_read_file(const char *path, char *key, size_t n, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	size_t len;

	if (fp == NULL) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fgets(key, (int)n, fp) == NULL) {
		snprintf(err, errlen, "empty file");
		fclose(fp);
		return -1;
	}
	fclose(fp);
	len = strcspn(key, "\r\n");
	key[len] = '\0';
	if (!api_key_wellformed(key)) {
		snprintf(err, errlen, "malformed key: need %d to %d characters of A-Z a-z 0-9 - _ . ~ + / =",
		    API_KEY_MIN, API_KEY_MAX);
		return -1;
	}
	return 0;
}

int
api_key_insert(struct mdb *m, const char *hash, const char *role, const char *tenant,
    const char *name, char *id_out, size_t idn)
{
	int64_t now = clk_wall_ms();
	bson_t *doc;
	int rc;

	if (id_new("key-", id_out, idn) != 0)
		return API_STORE_ERROR;
	doc = BCON_NEW("_id", BCON_UTF8(id_out), "hash", BCON_UTF8(hash), "role", BCON_UTF8(role),
	    "tenant", BCON_UTF8(tenant != NULL ? tenant : ""), "name", BCON_UTF8(name != NULL ? name : ""),
	    "created_at", BCON_DATE_TIME(now));
	BSON_APPEND_NULL(doc, "last_used_at");
	rc = api_store_insert(m, MDB_API_KEYS, doc);
	bson_destroy(doc);
	return rc;
}

/* Register the bootstrap key once MongoDB answers; a duplicate means it already is. */
void
api_bootstrap_try(struct api *a, struct mdb *m)
{
	char hash[65], id[ID_MAX];
	int rc;

	if (!a->bootstrap_pending)
		return;
	api_key_hash(a->bootstrap_key, hash);
	rc = api_key_insert(m, hash, "admin", NULL, "bootstrap", id, sizeof(id));
	if (rc == API_STORE_OK || rc == API_STORE_DUP) {
		a->bootstrap_pending = 0;
		OPENSSL_cleanse(a->bootstrap_key, sizeof(a->bootstrap_key));
		if (rc == API_STORE_OK)
			log_info("bootstrap_key_registered", "id=%s", id);
	}
}

int
api_create_admin_key(const struct cfg *cfg, FILE *out)
{
	struct mdb m;
	char err[512], key[128], hash[65], id[ID_MAX];
	int rc = 1;

	if (mdb_open(&m, cfg, "dbaasd-admin", MDB_WAIT, err, sizeof(err)) != 0 ||
	    mdb_ensure_indexes(&m, err, sizeof(err)) != 0) {
		fprintf(stderr, "dbaasd: MongoDB: %s\n", err);
		goto out;
	}
	if (api_key_generate(key, sizeof(key)) != 0) {
		fprintf(stderr, "dbaasd: cannot read random bytes: %s\n", strerror(errno));
		goto out;
	}
	api_key_hash(key, hash);
	if (api_key_insert(&m, hash, "admin", NULL, "created with --create-admin-key", id,
	    sizeof(id)) != API_STORE_OK) {
		fprintf(stderr, "dbaasd: could not store the key in MongoDB\n");
		goto out;
	}
	fprintf(out, "%s\n", key);
	fprintf(stderr, "dbaasd: admin key %s created; it is shown only this once\n", id);
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	mdb_close(&m);
	return rc;
}
