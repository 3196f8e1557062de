/*
 * admission — what KubeDB's webhooks do to database and OpsRequest objects
 * before they are stored: defaults (mutating) and validation.
 *
 * Pure functions over cJSON trees so that every rule has a unit test.  The
 * caller looks up whatever an object refers to (an OpsRequest's database)
 * and turns a rejection into the apiserver's answer: webhook denials carry
 * the webhook's name, Invalid keeps code 422 with causes.
 */
#ifndef KSIM_ADMISSION_H
#define KSIM_ADMISSION_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "kubesim/res.h"

struct ksim_adm_err {
	int code;		/* 422 Invalid or 403 Forbidden */
	char field[128];
	char cause[32];		/* FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueForbidden */
	char msg[768];		/* the cause's message ("Invalid value: ...") */
};

/* Fill the defaults of a new database object DB of kind RES. */
int ksim_admit_db_defaults(const struct ksim_res *res, cJSON *db);
/* Validate a database on create (OLD == NULL) or update.  0 or -1 with E. */
int ksim_admit_db(const struct ksim_res *res, const cJSON *old, const cJSON *db, struct ksim_adm_err *e);
/* May DB be deleted?  0 or -1 with E (DoNotTerminate). */
int ksim_admit_db_delete(const struct ksim_res *res, const cJSON *db, struct ksim_adm_err *e);
/*
 * Validate an OpsRequest OPS of kind RES on create (OLD == NULL) or update;
 * DB is the database it names, or NULL if there is none.
 */
int ksim_admit_ops(const struct ksim_res *res, const cJSON *old, const cJSON *ops,
    const cJSON *db, struct ksim_adm_err *e);

/* The component key an engine uses in verticalScaling/volumeExpansion for DB. */
const char *ksim_ops_component(const struct ksim_res *db_res, const cJSON *db);


/* A Go duration ("90s", "5m", "1h30m", "1.5h") in milliseconds, or -1. */
long long ksim_parse_duration(const char *s);
#endif
