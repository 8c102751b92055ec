/* errcode.h -- Levee error codes shared by all modules.
 *
 * Functions return 0 on success, a negative errno (-ENOMEM, -ENOENT) for
 * system errors, or one of these codes (from -1000 down) for Levee's own.
 */
#ifndef LEVEE_ERRCODE_H
#define LEVEE_ERRCODE_H

enum lv_error {
	LV_EMALF = -1000,   /* malformed input */
	LV_EOUTSIDE = -1001,/* record outside the zone */
	LV_ESOA2 = -1002,   /* second SOA */
	LV_ECNAME = -1003,  /* CNAME and other data */
	LV_ENOSOA = -1004,  /* no SOA at the apex */
	LV_ENONS = -1005,   /* no NS at the apex */
	LV_ECLASS = -1006,  /* class other than IN */
	LV_ESYNTAX = -1007, /* zone file syntax error */
	LV_ECONFIG = -1008, /* configuration error */
	LV_EEXIST = -1009,  /* duplicate (zone, listener, ...) */
	LV_EDNAME = -1010,  /* data below a DNAME, or a second DNAME */
	LV_ENOREC = -1011,  /* a record to remove is not in the zone */
	LV_EBUSY = -1012,   /* another change of the zone is open */
	LV_ESTALE = -1013,  /* a change of a version that is not the newest */
	LV_ECOLLIDE = -1014,/* names crowd one page of the zone index */
	LV_ERCODE = -1015,  /* the peer answered with an error rcode */
	LV_ECHAIN = -1016,  /* an IXFR whose serials do not connect */
	LV_ETOOBIG = -1017, /* a transfer larger than its bound */
	LV_ETSIG = -1018,   /* an answer's TSIG missing or not valid */
};

/* Text for a Levee code or a negative errno. Never NULL. */
const char *lv_strerror(int code);

#endif
