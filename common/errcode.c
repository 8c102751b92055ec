/* errcode.c -- texts for Levee error codes.
 *
 * lv_strerror() maps a Levee code (LV_*, from -1000 down) to a fixed string
 * and anything else negative to strerror() of its errno. The returned string
 * is static and must not be freed; strerror() texts are the C library's.
 */
#include <string.h>

#include "common/errcode.h"

const char *lv_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
	case LV_EMALF:
		return "malformed input";
	case LV_EOUTSIDE:
		return "record outside the zone";
	case LV_ESOA2:
		return "second SOA record";
	case LV_ECNAME:
		return "CNAME and other data at one name";
	case LV_ENOSOA:
		return "no SOA at the zone apex";
	case LV_ENONS:
		return "no NS at the zone apex";
	case LV_ECLASS:
		return "class other than IN";
	case LV_ESYNTAX:
		return "zone file syntax error";
	case LV_ECONFIG:
		return "configuration error";
	case LV_EEXIST:
		return "already exists";
	case LV_EDNAME:
		return "data below a DNAME, or a second DNAME at one name";
	case LV_ENOREC:
		return "record to remove is not in the zone";
	case LV_EBUSY:
		return "another change of the zone is in progress";
	case LV_ESTALE:
		return "the zone changed since this version";
	case LV_ECOLLIDE:
		return "names collide in the zone index (chosen to?)";
	case LV_ERCODE:
		return "the peer answered with an error code";
	case LV_ECHAIN:
		return "IXFR serials do not connect to the served version";
	case LV_ETOOBIG:
		return "transfer larger than its bound";
	case LV_ETSIG:
		return "TSIG of the answer missing or not valid";
	}
	if (code < 0 && code > -4096)
		return strerror(-code);
	return "unknown error";
}
