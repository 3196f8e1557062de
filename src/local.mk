# The dbaasd binary: option parsing in src/dbaasd.c, roles from their libraries.
sbin_PROGRAMS += dbaasd
dbaasd_SOURCES = src/dbaasd.c
dbaasd_LDADD = $(DBAASD_ROLE_LIBS) libdbaas_common.a $(DEP_LIBS)
