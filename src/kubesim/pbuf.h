/*
 * pbuf — decode the Kubernetes protobuf encoding of the two built-in kinds
 * kubesim serves (Namespace, Secret) into JSON trees.
 *
 * kubectl 1.28+ sends built-in objects as protobuf ("k8s\0" + runtime.Unknown
 * wrapping the generated message), so `kubectl create namespace` and
 * `kubectl create secret` need this; responses stay JSON, which clients
 * accept.  Only the fields these kinds use are decoded (ObjectMeta's name,
 * generateName, namespace, uid, resourceVersion, labels, annotations and
 * finalizers; Namespace spec.finalizers; Secret data, stringData, type and
 * immutable); others are skipped by wire type.
 */
#ifndef KSIM_PBUF_H
#define KSIM_PBUF_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "kubesim/res.h"

/* 1 if BODY starts with the Kubernetes protobuf magic. */
int ksim_pb_is(const char *body, size_t len);
/* The object for RES in BODY, or NULL with ERR (caller frees the tree). */
cJSON *ksim_pb_decode(const struct ksim_res *res, const char *body, size_t len, char *err,
    size_t errlen);

#endif
