# src/worker: the operation worker role.
noinst_LIBRARIES += libdbaas_worker.a
libdbaas_worker_a_SOURCES = \
	src/worker/consumer.c \
	src/worker/exec.c \
	src/worker/exec_noop.c \
	src/worker/operation.c \
	src/worker/worker.c src/worker/worker.h src/worker/wrk_int.h
DBAASD_ROLE_LIBS += libdbaas_worker.a
