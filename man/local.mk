# man: manual pages.
dist_man_MANS += man/dbaasd.8 man/dbaasd.conf.5
