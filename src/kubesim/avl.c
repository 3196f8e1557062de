/*
 * avl — see avl.h.  Parent pointers make in-order iteration O(1) amortised
 * without a stack, which LIST pages and watch replays rely on.
 */
#include <string.h>

#include "kubesim/avl.h"

int
ksim_avl_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int
height(const struct ksim_avl_node *n)
{
	return n != NULL ? n->height : 0;
}

static void
fix_height(struct ksim_avl_node *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = (l > r ? l : r) + 1;
}

/* Put C where N was under N's parent (or at the root). */
static void
replace_child(struct ksim_avl *t, struct ksim_avl_node *n, struct ksim_avl_node *c)
{
	struct ksim_avl_node *p = n->parent;

	if (c != NULL)
		c->parent = p;
	if (p == NULL)
		t->root = c;
	else if (p->left == n)
		p->left = c;
	else
		p->right = c;
}

static struct ksim_avl_node *
rotate_left(struct ksim_avl *t, struct ksim_avl_node *n)
{
	struct ksim_avl_node *r = n->right;

	replace_child(t, n, r);
	n->right = r->left;
	if (r->left != NULL)
		r->left->parent = n;
	r->left = n;
	n->parent = r;
	fix_height(n);
	fix_height(r);
	return r;
}

static struct ksim_avl_node *
rotate_right(struct ksim_avl *t, struct ksim_avl_node *n)
{
	struct ksim_avl_node *l = n->left;

	replace_child(t, n, l);
	n->left = l->right;
	if (l->right != NULL)
		l->right->parent = n;
	l->right = n;
	n->parent = l;
	fix_height(n);
	fix_height(l);
	return l;
}

/* Restore balance from N up to the root. */
static void
rebalance(struct ksim_avl *t, struct ksim_avl_node *n)
{
	while (n != NULL) {
		int bal = height(n->left) - height(n->right);

		if (bal > 1) {
			if (height(n->left->left) < height(n->left->right))
				rotate_left(t, n->left);
			n = rotate_right(t, n);
		} else if (bal < -1) {
			if (height(n->right->right) < height(n->right->left))
				rotate_right(t, n->right);
			n = rotate_left(t, n);
		} else {
			fix_height(n);
		}
		n = n->parent;
	}
}

int
ksim_avl_insert(struct ksim_avl *t, struct ksim_avl_node *n)
{
	struct ksim_avl_node **link = &t->root, *parent = NULL;

	while (*link != NULL) {
		int c = ksim_avl_cmp(n->key, n->keylen, (*link)->key, (*link)->keylen);

		if (c == 0)
			return -1;
		parent = *link;
		link = c < 0 ? &parent->left : &parent->right;
	}
	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	*link = n;
	t->count++;
	rebalance(t, parent);
	return 0;
}

void
ksim_avl_remove(struct ksim_avl *t, struct ksim_avl_node *n)
{
	struct ksim_avl_node *from;

	if (n->left != NULL && n->right != NULL) {
		/* Swap N with its successor S, which has no left child. */
		struct ksim_avl_node *s = n->right;

		while (s->left != NULL)
			s = s->left;
		from = s->parent == n ? s : s->parent;
		replace_child(t, s, s->right);
		replace_child(t, n, s);
		s->left = n->left;
		s->left->parent = s;
		s->right = n->right;
		if (s->right != NULL)
			s->right->parent = s;
		s->height = n->height;
	} else {
		from = n->parent;
		replace_child(t, n, n->left != NULL ? n->left : n->right);
	}
	t->count--;
	rebalance(t, from);
}

struct ksim_avl_node *
ksim_avl_find(const struct ksim_avl *t, const char *key, size_t len)
{
	struct ksim_avl_node *n = t->root;

	while (n != NULL) {
		int c = ksim_avl_cmp(key, len, n->key, n->keylen);

		if (c == 0)
			return n;
		n = c < 0 ? n->left : n->right;
	}
	return NULL;
}

struct ksim_avl_node *
ksim_avl_lower_bound(const struct ksim_avl *t, const char *key, size_t len)
{
	struct ksim_avl_node *n = t->root, *best = NULL;

	while (n != NULL) {
		if (ksim_avl_cmp(n->key, n->keylen, key, len) >= 0) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct ksim_avl_node *
ksim_avl_first(const struct ksim_avl *t)
{
	struct ksim_avl_node *n = t->root;

	while (n != NULL && n->left != NULL)
		n = n->left;
	return n;
}

struct ksim_avl_node *
ksim_avl_next(const struct ksim_avl_node *n)
{
	if (n->right != NULL) {
		n = n->right;
		while (n->left != NULL)
			n = n->left;
		return (struct ksim_avl_node *)n;
	}
	while (n->parent != NULL && n->parent->right == n)
		n = n->parent;
	return n->parent;
}
