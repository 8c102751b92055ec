/* edns.c -- EDNS(0) (RFC 6891): the query's OPT record in, the reply's out.
 *
 * Parsing validates the option list (each option's header and length within
 * RDLENGTH) and notes the options the reply depends on; all else is
 * ignored. The reply OPT is written in one go once the rest of the message
 * is rendered; answer.c reserves its size beforehand (with or without NSID,
 * whichever fits) so it always fits, and asks for an EDE only where the
 * room is left.
 */
#include <string.h>

#include "common/dns.h"
#include "server/edns.h"
#include "server/answer.h"
#include "server/wire.h"

int edns_parse(const uint8_t *rr, size_t avail, struct edns_query *e)
{
	if (avail < 10)
		return -1;
	size_t rdlen = wire_read_u16(rr + 8);
	if (10 + rdlen > avail)
		return -1;
	e->present = true;
	e->udp_size = wire_read_u16(rr + 2);
	e->version = rr[5];
	e->do_bit = (wire_read_u16(rr + 6) & DNS_EDNS_DO) != 0;
	e->nsid = false;
	e->keepalive = false;
	e->expire = e->reply_expire = false;
	e->cookie = NULL;
	e->cookie_len = 0;
	e->cookie_bad = false;
	e->reply_cookie_len = 0;
	const uint8_t *p = rr + 10, *end = rr + 10 + rdlen;
	while (p < end) {
		if (end - p < 4)
			return -1;
		uint16_t code = wire_read_u16(p);
		size_t olen = wire_read_u16(p + 2);
		p += 4;
		if ((size_t)(end - p) < olen)
			return -1;
		if (code == DNS_OPT_NSID)
			e->nsid = true;
		else if (code == DNS_OPT_KEEPALIVE)
			e->keepalive = true;
		else if (code == DNS_OPT_EXPIRE)
			e->expire = true;
		else if (code == DNS_OPT_COOKIE) {
			/* RFC 7873 5.2.2: client cookie 8, server 8..32. */
			if (e->cookie || (olen != 8 && (olen < 16 || olen > 40)))
				e->cookie_bad = true;
			e->cookie = p;
			e->cookie_len = (uint8_t)olen;
		}
		p += olen;
	}
	return (int)(10 + rdlen);
}

static bool want_nsid(const struct edns_query *e, const struct answer_config *cfg,
		      bool nsid)
{
	return nsid && e->nsid && cfg->nsid && cfg->nsid_len > 0;
}

static bool want_keepalive(const struct edns_query *e,
			   const struct answer_config *cfg, bool tcp)
{
	return tcp && e->keepalive && cfg->tcp_keepalive > 0;
}

size_t edns_reply_size(const struct edns_query *e,
		       const struct answer_config *cfg, bool tcp, bool nsid,
		       int ede)
{
	if (!e->present)
		return 0;
	size_t n = DNS_OPT_FIXED_LEN;
	if (want_nsid(e, cfg, nsid))
		n += 4 + cfg->nsid_len;
	if (want_keepalive(e, cfg, tcp))
		n += 6;
	if (ede >= 0)
		n += 6;
	if (e->expire)
		n += 8;        /* reserved whether answered or not */
	if (e->reply_cookie_len)
		n += 4 + (size_t)e->reply_cookie_len;
	return n;
}

size_t edns_write(uint8_t *p, const struct edns_query *e,
		  const struct answer_config *cfg, bool tcp, uint16_t rcode,
		  bool nsid, int ede)
{
	uint8_t *start = p;

	if (!e->present)
		return 0;
	p[0] = 0; /* root owner */
	wire_write_u16(p + 1, DNS_TYPE_OPT);
	wire_write_u16(p + 3, cfg->udp_max);
	p[5] = (uint8_t)(rcode >> 4);
	p[6] = 0; /* version */
	wire_write_u16(p + 7, e->do_bit ? DNS_EDNS_DO : 0);
	p += DNS_OPT_FIXED_LEN;
	if (want_nsid(e, cfg, nsid)) {
		wire_write_u16(p, DNS_OPT_NSID);
		wire_write_u16(p + 2, cfg->nsid_len);
		memcpy(p + 4, cfg->nsid, cfg->nsid_len);
		p += 4 + cfg->nsid_len;
	}
	if (want_keepalive(e, cfg, tcp)) {
		wire_write_u16(p, DNS_OPT_KEEPALIVE);
		wire_write_u16(p + 2, 2);
		wire_write_u16(p + 4, cfg->tcp_keepalive);
		p += 6;
	}
	if (ede >= 0) {
		wire_write_u16(p, DNS_OPT_EDE);
		wire_write_u16(p + 2, 2);
		wire_write_u16(p + 4, (uint16_t)ede);
		p += 6;
	}
	if (e->expire && e->reply_expire) {
		wire_write_u16(p, DNS_OPT_EXPIRE);
		wire_write_u16(p + 2, 4);
		wire_write_u32(p + 4, e->reply_expire_s);
		p += 8;
	}
	if (e->reply_cookie_len) {
		wire_write_u16(p, DNS_OPT_COOKIE);
		wire_write_u16(p + 2, e->reply_cookie_len);
		memcpy(p + 4, e->reply_cookie, e->reply_cookie_len);
		p += 4 + e->reply_cookie_len;
	}
	wire_write_u16(start + 9, (uint16_t)(p - start - DNS_OPT_FIXED_LEN));
	return (size_t)(p - start);
}
