/*
 * KubeDB admission rules as kubesim applies them: database defaults and
 * validation, delete protection, and OpsRequest validation per type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kubesim/admission.h"
#include "kubesim/jsonx.h"
#include "kubesim/patch.h"
#include "kubesim/res.h"

#define MONGO (&ksim_res_table[2])
#define MONGO_OPS (&ksim_res_table[7])
#define MYSQL (&ksim_res_table[4])
#define MYSQL_OPS (&ksim_res_table[9])

static const char rs_db[] = "{\"metadata\":{\"name\":\"rs\",\"namespace\":\"demo\"},\"spec\":{"
    "\"version\":\"8.0.17\",\"replicas\":3,\"replicaSet\":{\"name\":\"rs0\"},\"storageType\":\"Durable\","
    "\"storage\":{\"resources\":{\"requests\":{\"storage\":\"10Gi\"}}}}}";
static const char solo_db[] = "{\"metadata\":{\"name\":\"solo\"},\"spec\":{\"version\":\"8\",\"replicas\":1,"
    "\"storage\":{\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}}";

static void
test_defaults(void **state)
{
	cJSON *db = cJSON_Parse("{\"spec\":{\"version\":\"1\"}}");
	const cJSON *c;

	(void)state;
	assert_int_equal(ksim_admit_db_defaults(MYSQL, db), 0);
	assert_string_equal(ksim_json_str(db, "spec.storageType"), "Durable");
	assert_string_equal(ksim_json_str(db, "spec.deletionPolicy"), "Delete");
	assert_int_equal(ksim_json_int(db, "spec.replicas", 0), 1);
	c = cJSON_GetArrayItem(ksim_json_at(db, "spec.podTemplate.spec.containers"), 0);
	assert_string_equal(ksim_json_str(c, "name"), "mysql");
	assert_string_equal(ksim_json_str(c, "resources.requests.cpu"), "500m");
	assert_string_equal(ksim_json_str(c, "resources.requests.memory"), "1024Mi");
	assert_string_equal(ksim_json_str(c, "resources.limits.memory"), "1024Mi");
	cJSON_Delete(db);
	/* Given values stay; a limit alone sets the request. */
	db = cJSON_Parse("{\"spec\":{\"deletionPolicy\":\"WipeOut\",\"podTemplate\":{\"spec\":{\"containers\":"
	    "[{\"name\":\"sidecar\"},{\"name\":\"mysql\",\"resources\":{\"limits\":{\"memory\":\"2Gi\"}}}]}}}}");
	assert_int_equal(ksim_admit_db_defaults(MYSQL, db), 0);
	assert_string_equal(ksim_json_str(db, "spec.deletionPolicy"), "WipeOut");
	c = cJSON_GetArrayItem(ksim_json_at(db, "spec.podTemplate.spec.containers"), 1);
	assert_string_equal(ksim_json_str(c, "resources.requests.memory"), "2Gi");
	assert_int_equal(cJSON_GetArraySize(ksim_json_at(db, "spec.podTemplate.spec.containers")), 2);
	cJSON_Delete(db);
}

struct db_case {
	const char *name;
	const char *patch;	/* merge patch applied to rs_db */
	const char *field;	/* NULL: accepted */
};

static const struct db_case db_cases[] = {
	{ "valid replica set", "{}", NULL },
	{ "no version", "{\"spec\":{\"version\":null}}", "spec.version" },
	{ "zero replicas", "{\"spec\":{\"replicas\":0}}", "spec.replicas" },
	{ "standalone with 3 replicas", "{\"spec\":{\"replicaSet\":null}}", "spec.replicas" },
	{ "bad storage type", "{\"spec\":{\"storageType\":\"Fast\"}}", "spec.storageType" },
	{ "durable without storage", "{\"spec\":{\"storage\":null}}", "spec.storage" },
	{ "bad deletion policy", "{\"spec\":{\"deletionPolicy\":\"Maybe\"}}", "spec.deletionPolicy" },
	{ "halt with ephemeral", "{\"spec\":{\"storageType\":\"Ephemeral\",\"deletionPolicy\":\"Halt\"}}",
	  "spec.deletionPolicy" },
};

static void
test_db_case(void **state)
{
	const struct db_case *dc = *state;
	cJSON *db = cJSON_Parse(rs_db), *p = cJSON_Parse(dc->patch);
	struct ksim_adm_err e;
	int rc;

	ksim_merge_patch(&db, p);
	memset(&e, 0, sizeof(e));
	rc = ksim_admit_db(MONGO, NULL, db, &e);
	if (dc->field == NULL) {
		assert_int_equal(rc, 0);
	} else {
		assert_int_equal(rc, -1);
		assert_int_equal(e.code, 422);
		assert_string_equal(e.field, dc->field);
	}
	cJSON_Delete(db);
	cJSON_Delete(p);
}

static void
test_db_update_rules(void **state)
{
	cJSON *old = cJSON_Parse(rs_db), *nw = cJSON_Parse(rs_db);
	struct ksim_adm_err e;

	(void)state;
	ksim_json_set_str(ksim_json_obj(nw, "spec"), "storageType", "Ephemeral");
	assert_int_equal(ksim_admit_db(MONGO, old, nw, &e), -1);
	assert_string_equal(e.field, "spec.storageType");
	cJSON_Delete(nw);
	nw = cJSON_Parse(rs_db);
	ksim_json_set_str(ksim_json_obj(nw, "spec"), "deletionPolicy", "DoNotTerminate");
	ksim_json_set(ksim_json_obj(nw, "spec"), "halted", cJSON_CreateTrue());
	assert_int_equal(ksim_admit_db(MONGO, old, nw, &e), -1);
	assert_string_equal(e.field, "spec.halted");
	assert_int_equal(ksim_admit_db_delete(MONGO, nw, &e), -1);
	assert_int_equal(e.code, 403);
	assert_int_equal(ksim_admit_db_delete(MONGO, old, &e), 0);
	cJSON_Delete(nw);
	cJSON_Delete(old);
}

struct ops_case {
	const char *name;
	const char *spec;	/* the OpsRequest's spec */
	int db;			/* 0 none, 1 replica set, 2 standalone */
	const char *field;	/* NULL: accepted */
};

static const struct ops_case ops_cases[] = {
	{ "restart", "{\"type\":\"Restart\",\"databaseRef\":{\"name\":\"rs\"}}", 1, NULL },
	{ "unknown type", "{\"type\":\"Frob\",\"databaseRef\":{\"name\":\"rs\"}}", 1, "spec.type" },
	{ "old Upgrade type", "{\"type\":\"Upgrade\",\"databaseRef\":{\"name\":\"rs\"}}", 1, "spec.type" },
	{ "no type", "{\"databaseRef\":{\"name\":\"rs\"}}", 1, "spec.type" },
	{ "no database ref", "{\"type\":\"Restart\"}", 1, "spec.databaseRef.name" },
	{ "missing database", "{\"type\":\"Restart\",\"databaseRef\":{\"name\":\"x\"}}", 0,
	  "spec.databaseRef.name" },
	{ "hscale", "{\"type\":\"HorizontalScaling\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"horizontalScaling\":{\"replicas\":5}}", 1, NULL },
	{ "hscale to zero", "{\"type\":\"HorizontalScaling\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"horizontalScaling\":{\"replicas\":0}}", 1, "spec.horizontalScaling.replicas" },
	{ "hscale standalone", "{\"type\":\"HorizontalScaling\",\"databaseRef\":{\"name\":\"solo\"},"
	  "\"horizontalScaling\":{\"replicas\":3}}", 2, "spec.type" },
	{ "hscale without field", "{\"type\":\"HorizontalScaling\",\"databaseRef\":{\"name\":\"rs\"}}", 1,
	  "spec.horizontalScaling" },
	{ "vscale", "{\"type\":\"VerticalScaling\",\"databaseRef\":{\"name\":\"rs\"},\"verticalScaling\":"
	  "{\"replicaSet\":{\"resources\":{\"requests\":{\"cpu\":\"1\"}}}}}", 1, NULL },
	{ "vscale wrong component", "{\"type\":\"VerticalScaling\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"verticalScaling\":{\"standalone\":{\"resources\":{}}}}", 1, "spec.verticalScaling.replicaSet.resources" },
	{ "vscale old shape", "{\"type\":\"VerticalScaling\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"verticalScaling\":{\"requests\":{\"cpu\":\"1\"}}}", 1, "spec.verticalScaling" },
	{ "volume grow", "{\"type\":\"VolumeExpansion\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"volumeExpansion\":{\"mode\":\"Online\",\"replicaSet\":\"11Gi\"}}", 1, NULL },
	{ "volume same", "{\"type\":\"VolumeExpansion\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"volumeExpansion\":{\"mode\":\"Online\",\"replicaSet\":\"10Gi\"}}", 1, "spec.volumeExpansion.replicaSet" },
	{ "volume shrink in other units", "{\"type\":\"VolumeExpansion\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"volumeExpansion\":{\"mode\":\"Offline\",\"replicaSet\":\"10737418240\"}}", 1,
	  "spec.volumeExpansion.replicaSet" },
	{ "volume no mode", "{\"type\":\"VolumeExpansion\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"volumeExpansion\":{\"replicaSet\":\"20Gi\"}}", 1, "spec.volumeExpansion.mode" },
	{ "volume bad mode", "{\"type\":\"VolumeExpansion\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"volumeExpansion\":{\"mode\":\"Live\",\"replicaSet\":\"20Gi\"}}", 1, "spec.volumeExpansion.mode" },
	{ "update version", "{\"type\":\"UpdateVersion\",\"databaseRef\":{\"name\":\"rs\"},"
	  "\"updateVersion\":{\"targetVersion\":\"8.0.18\"}}", 1, NULL },
	{ "update version no target", "{\"type\":\"UpdateVersion\",\"databaseRef\":{\"name\":\"rs\"}}", 1,
	  "spec.updateVersion.targetVersion" },
	{ "bad timeout", "{\"type\":\"Restart\",\"databaseRef\":{\"name\":\"rs\"},\"timeout\":\"5 min\"}", 1,
	  "spec.timeout" },
	{ "bad apply", "{\"type\":\"Restart\",\"databaseRef\":{\"name\":\"rs\"},\"apply\":\"Never\"}", 1,
	  "spec.apply" },
};

static void
test_ops_case(void **state)
{
	const struct ops_case *oc = *state;
	cJSON *ops = cJSON_CreateObject(), *db = oc->db == 0 ? NULL : cJSON_Parse(oc->db == 1 ? rs_db : solo_db);
	struct ksim_adm_err e;
	int rc;

	cJSON_AddItemToObject(ops, "spec", cJSON_Parse(oc->spec));
	memset(&e, 0, sizeof(e));
	rc = ksim_admit_ops(MONGO_OPS, NULL, ops, db, &e);
	if (oc->field == NULL) {
		assert_int_equal(rc, 0);
	} else {
		assert_int_equal(rc, -1);
		assert_string_equal(e.field, oc->field);
		assert_true(strncmp(e.msg, "Invalid value", 13) == 0 || strncmp(e.msg, "Required value", 14) == 0 ||
		    strncmp(e.msg, "Unsupported value", 17) == 0);
	}
	cJSON_Delete(ops);
	cJSON_Delete(db);
}

static void
test_ops_member_and_immutable(void **state)
{
	cJSON *db = cJSON_Parse(solo_db), *ops = cJSON_Parse("{\"spec\":{\"type\":\"HorizontalScaling\","
	    "\"databaseRef\":{\"name\":\"my\"},\"horizontalScaling\":{\"member\":5}}}"), *changed;
	struct ksim_adm_err e;

	(void)state;
	assert_int_equal(ksim_admit_ops(MYSQL_OPS, NULL, ops, db, &e), 0);
	changed = cJSON_Duplicate(ops, 1);
	ksim_json_set_str(ksim_json_obj(changed, "spec"), "apply", "Always");
	assert_int_equal(ksim_admit_ops(MYSQL_OPS, ops, changed, db, &e), -1);
	assert_string_equal(e.field, "spec");
	assert_int_equal(ksim_admit_ops(MYSQL_OPS, ops, ops, db, &e), 0);
	assert_string_equal(ksim_ops_component(MYSQL, db), "mysql");
	cJSON_Delete(changed);
	cJSON_Delete(ops);
	cJSON_Delete(db);
}

static void
test_durations(void **state)
{
	(void)state;
	assert_int_equal(ksim_parse_duration("300ms"), 300);
	assert_int_equal(ksim_parse_duration("5m"), 300000);
	assert_int_equal(ksim_parse_duration("1h30m"), 5400000);
	assert_int_equal(ksim_parse_duration("1.5s"), 1500);
	assert_int_equal(ksim_parse_duration("0"), 0);
	assert_int_equal(ksim_parse_duration("5"), -1);
	assert_int_equal(ksim_parse_duration(""), -1);
	assert_int_equal(ksim_parse_duration("-1s"), -1);
	assert_int_equal(ksim_parse_duration("1x"), -1);
	assert_int_equal(ksim_parse_duration(NULL), -1);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int
main(void)
{
	struct CMUnitTest tests[N(db_cases) + N(ops_cases) + 4];
	size_t n = 0;

	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_defaults);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_db_update_rules);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ops_member_and_immutable);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_durations);
	for (size_t i = 0; i < N(db_cases); i++)
		tests[n++] = (struct CMUnitTest){ db_cases[i].name, test_db_case, NULL, NULL, (void *)&db_cases[i] };
	for (size_t i = 0; i < N(ops_cases); i++)
		tests[n++] = (struct CMUnitTest){ ops_cases[i].name, test_ops_case, NULL, NULL, (void *)&ops_cases[i] };
	return _cmocka_run_group_tests("kubesim_admission", tests, n, NULL, NULL);
}
