# src/common: pieces shared by every role (and by dbaasd-kubesim).
noinst_LIBRARIES += libdbaas_common.a
libdbaas_common_a_SOURCES = \
	src/common/backoff.c src/common/backoff.h \
	src/common/clock.c src/common/clock.h \
	src/common/config.c src/common/config.h src/common/config_int.h \
	src/common/config_catalog.c \
	src/common/id.c src/common/id.h \
	src/common/json.c src/common/json.h \
	src/common/kube.c src/common/kube.h src/common/kube_int.h \
	src/common/kube_breaker.c src/common/kube_http.c src/common/kube_metrics.c \
	src/common/kube_pager.c src/common/kube_path.c src/common/kube_reply.c \
	src/common/kube_req.c src/common/kube_watch.c src/common/kube_wline.c \
	src/common/log.c src/common/log.h \
	src/common/metrics.c src/common/metrics.h \
	src/common/net.c src/common/net.h \
	src/common/qty.c src/common/qty.h \
	src/common/rnd.c src/common/rnd.h \
	src/common/tbucket.c src/common/tbucket.h
libdbaas_common_a_SOURCES += \
	src/common/mdb.c src/common/mdb.h \
	src/common/rds.c src/common/rds_async.c src/common/rds.h
libdbaas_common_a_SOURCES += \
	src/common/heartbeat.c src/common/heartbeat.h \
	src/common/proctitle.c src/common/proctitle.h \
	src/common/role.c src/common/role.h \
	src/common/sdnotify.c src/common/sdnotify.h
