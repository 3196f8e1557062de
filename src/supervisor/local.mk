# src/supervisor: the process table and the supervisor's loop.
noinst_LIBRARIES += libdbaas_supervisor.a
libdbaas_supervisor_a_SOURCES = \
	src/supervisor/ctl.c \
	src/supervisor/proctab.c \
	src/supervisor/reap.c \
	src/supervisor/reload.c \
	src/supervisor/restart.c \
	src/supervisor/signals.c \
	src/supervisor/spawn.c \
	src/supervisor/stop.c \
	src/supervisor/sup.h \
	src/supervisor/supervisor.c \
	src/supervisor/supervisor.h
# The supervisor links the role libraries, so it goes first.
DBAASD_ROLE_LIBS += libdbaas_supervisor.a
