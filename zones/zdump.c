/* zdump.c -- a zone version written back as a zone file (see zdump.h).
 * The third file of zones/ that holds ldns objects (with zload.c and
 * xfr.c): each record goes from the zone's wire form to an ldns_rr and
 * its text, one at a time. */
#include "zones/zdump.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "common/errcode.h"
#include "zones/zone.h"
#include "zones/zone_walk.h"

/* One record, owner (wire) then TYPE CLASS TTL RDLENGTH RDATA, as text. */
static int put_rr(FILE *f, const uint8_t *owner, size_t olen,
		  const uint8_t *rr, size_t rlen)
{
	uint8_t buf[256 + 10 + 65535];
	ldns_rr *r = NULL;
	size_t pos = 0;
	char *text;
	int rc = 0;

	memcpy(buf, owner, olen);
	memcpy(buf + olen, rr, rlen);
	if (ldns_wire2rr(&r, buf, olen + rlen, &pos, LDNS_SECTION_ANSWER) !=
	    LDNS_STATUS_OK)
		return LV_EMALF;
	text = ldns_rr2str(r);
	if (!text)
		rc = -ENOMEM;
	else if (fputs(text, f) == EOF)
		rc = -EIO;
	free(text);
	ldns_rr_free(r);
	return rc;
}

/* The records of set s at owner into f. */
static int put_set(FILE *f, const uint8_t *owner, size_t olen,
		   const struct rrset *s)
{
	size_t off = 0;

	for (unsigned i = 0; i < s->rr_count; i++) {
		size_t rl = 10 + ((size_t)s->wire[off + 8] << 8 |
				  s->wire[off + 9]);
		int rc = put_rr(f, owner, olen, s->wire + off, rl);

		if (rc < 0)
			return rc;
		off += rl;
	}
	return 0;
}

static int put_zone(FILE *f, const struct zone *z)
{
	const struct zone_node *apex = zone_apex_node(z), *n;
	const struct znode_data *d;
	struct zone_walk w;
	int rc;

	if (fprintf(f, ";; written by levee: serial %u\n", zone_serial(z)) < 0)
		return -EIO;
	if ((rc = put_set(f, apex->name, apex->name_len, zone_soa(z))) < 0)
		return rc;
	zone_walk_init(&w, z);
	while (!zone_walk_done(&w)) {
		if (!(n = zone_walk_next(&w, &d, UINT32_MAX)))
			continue;
		for (unsigned i = 0; i < d->rrset_count; i++) {
			const struct rrset *s = &d->rrsets[i];

			if (n == apex && s->type == 6)
				continue;     /* first, above */
			if ((rc = put_set(f, n->name, n->name_len, s)) < 0)
				return rc;
		}
	}
	return 0;
}

/* fsync of the directory that holds path (the rename's durability). */
static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int zdump_write(const struct zone *z, const char *path, char *err,
		size_t errlen)
{
	char tmp[4096];
	FILE *f;
	int fd, rc;

	err[0] = '\0';
	if (snprintf(tmp, sizeof(tmp), "%s.levee-tmp", path) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "path too long");
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(-rc));
		return rc;
	}
	if (!(f = fdopen(fd, "w"))) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", tmp, strerror(-rc));
		return rc;
	}
	rc = put_zone(f, z);
	if (rc == 0 && fflush(f) == EOF)
		rc = -errno;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (fclose(f) == EOF && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", path, lv_strerror(rc));
		return rc;
	}
	if ((rc = sync_dir(path)) < 0)
		snprintf(err, errlen, "%s: fsync of its directory: %s", path,
			 lv_strerror(rc));
	return rc;
}
