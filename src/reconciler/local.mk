# src/reconciler: the reconciler role.
noinst_LIBRARIES += libdbaas_reconciler.a
libdbaas_reconciler_a_SOURCES = \
	src/reconciler/lease.c src/reconciler/lease.h \
	src/reconciler/reconciler.c src/reconciler/reconciler.h
DBAASD_ROLE_LIBS += libdbaas_reconciler.a
