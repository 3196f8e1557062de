/*
 * avl — an intrusive, ordered AVL tree keyed by byte strings.
 *
 * The store keeps every object of a resource in one of these, ordered like
 * etcd keys ("namespace/name"), because LIST pages and continue tokens are
 * defined by key order: a page resumes at "the first key after X".  Nodes are
 * embedded in the caller's struct and never move, so pointers to them stay
 * valid across rebalancing.  The tree allocates nothing.
 */
#ifndef KSIM_AVL_H
#define KSIM_AVL_H

#include <stddef.h>

struct ksim_avl_node {
	struct ksim_avl_node *left, *right, *parent;
	int height;
	const char *key;	/* owned by the embedding struct */
	size_t keylen;
};

struct ksim_avl {
	struct ksim_avl_node *root;
	size_t count;
};

/* Compare two byte strings like memcmp, shorter first on a common prefix. */
int ksim_avl_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* Insert N (key already set).  Returns 0, or -1 if the key is present. */
int ksim_avl_insert(struct ksim_avl *t, struct ksim_avl_node *n);
void ksim_avl_remove(struct ksim_avl *t, struct ksim_avl_node *n);
struct ksim_avl_node *ksim_avl_find(const struct ksim_avl *t, const char *key, size_t len);
/* The first node whose key is >= KEY (or NULL). */
struct ksim_avl_node *ksim_avl_lower_bound(const struct ksim_avl *t, const char *key, size_t len);
struct ksim_avl_node *ksim_avl_first(const struct ksim_avl *t);
struct ksim_avl_node *ksim_avl_next(const struct ksim_avl_node *n);

#endif
