/* dns.h -- the DNS wire constants, once for the whole tree.
 *
 * Header layout and flag bits (RFC 1035 4.1.1, RFC 4035 for AD/CD),
 * opcodes, response codes (extended ones from RFC 6891, RFC 7873),
 * RR types and classes used by name anywhere in Levee, EDNS option codes
 * and the extended DNS error codes (RFC 8914) we send. Every file uses
 * these names instead of bare numbers or private copies (NSD's dns.h,
 * libknot's consts.h). Numbers only: no code, no struct.
 */
#ifndef LEVEE_COMMON_DNS_H
#define LEVEE_COMMON_DNS_H

/* Header: 12 bytes, then the question. */
#define DNS_HDR_LEN 12
#define DNS_HDR_ID 0        /* byte offsets of the header fields */
#define DNS_HDR_FLAGS 2
#define DNS_HDR_QDCOUNT 4
#define DNS_HDR_ANCOUNT 6
#define DNS_HDR_NSCOUNT 8
#define DNS_HDR_ARCOUNT 10

/* Bits of the 16-bit flags word (bytes 2-3 of the header). */
#define DNS_QR 0x8000
#define DNS_OPCODE_MASK 0x7800
#define DNS_OPCODE_SHIFT 11
#define DNS_AA 0x0400
#define DNS_TC 0x0200
#define DNS_RD 0x0100
#define DNS_RA 0x0080
#define DNS_AD 0x0020
#define DNS_CD 0x0010
#define DNS_RCODE_MASK 0x000f

/* Names (RFC 1035 2.3.4, 4.1.4): labels of at most 63 octets; a
 * compression pointer is two bytes whose top two bits are set, the other 14
 * an offset from the start of the message, so it reaches below 16 KiB. */
#define DNS_LABEL_MAX 63
#define DNS_PTR_BITS 0xC0             /* in a label's length byte */
#define DNS_PTR_LIMIT 0x4000          /* pointers reach offsets below this */

/* Labels from the root in which Levee compresses a name (server/render.h:
 * deeper labels stay literal, which bounds the work per name); the zone
 * builder uses it for each RRset's smallest rendered size. */
#define DNS_COMPRESS_DEPTH 16

/* Opcodes (RFC 1035, 1996, 2136, 8490). */
#define DNS_OPCODE_QUERY 0
#define DNS_OPCODE_IQUERY 1
#define DNS_OPCODE_STATUS 2
#define DNS_OPCODE_NOTIFY 4
#define DNS_OPCODE_UPDATE 5
#define DNS_OPCODE_DSO 6

/* Response codes; from 16 on only with EDNS (the upper 8 bits in OPT). */
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5
#define DNS_RCODE_YXDOMAIN 6
#define DNS_RCODE_YXRRSET 7
#define DNS_RCODE_NXRRSET 8
#define DNS_RCODE_NOTAUTH 9
#define DNS_RCODE_NOTZONE 10
#define DNS_RCODE_BADVERS 16       /* also TSIG's BADSIG (RFC 8945) */
#define DNS_RCODE_BADCOOKIE 23

/* TSIG errors (RFC 8945 3), in the TSIG record's Error field. */
#define DNS_TSIG_BADSIG 16
#define DNS_TSIG_BADKEY 17
#define DNS_TSIG_BADTIME 18
#define DNS_TSIG_BADTRUNC 22

/* RR types. */
#define DNS_TYPE_A 1
#define DNS_TYPE_NS 2
#define DNS_TYPE_MD 3
#define DNS_TYPE_MF 4
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_SOA 6
#define DNS_TYPE_MB 7
#define DNS_TYPE_MG 8
#define DNS_TYPE_MR 9
#define DNS_TYPE_NULL 10
#define DNS_TYPE_PTR 12
#define DNS_TYPE_MINFO 14
#define DNS_TYPE_MX 15
#define DNS_TYPE_TXT 16
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_SRV 33
#define DNS_TYPE_DNAME 39
#define DNS_TYPE_OPT 41
#define DNS_TYPE_DS 43
#define DNS_TYPE_RRSIG 46
#define DNS_TYPE_NSEC 47
#define DNS_TYPE_DNSKEY 48
#define DNS_TYPE_NSEC3 50
#define DNS_TYPE_NSEC3PARAM 51
#define DNS_TYPE_TSIG 250
#define DNS_TYPE_IXFR 251
#define DNS_TYPE_AXFR 252
#define DNS_TYPE_ANY 255
#define DNS_TYPE_CAA 257

/* Classes. */
#define DNS_CLASS_IN 1
#define DNS_CLASS_CH 3
#define DNS_CLASS_HS 4
#define DNS_CLASS_NONE 254
#define DNS_CLASS_ANY 255

/* EDNS (RFC 6891): the OPT record's fixed part after its root owner is
 * TYPE CLASS(=UDP size) TTL(=ext rcode, version, DO+Z) RDLENGTH. */
#define DNS_OPT_FIXED_LEN 11          /* root owner + 10 bytes */
#define DNS_EDNS_DO 0x8000            /* in the 16-bit flags of the TTL */
#define DNS_UDP_MIN 512               /* RFC 1035 4.2.1 */

/* EDNS option codes. */
#define DNS_OPT_NSID 3                /* RFC 5001 */
#define DNS_OPT_EXPIRE 9              /* RFC 7314 */
#define DNS_OPT_COOKIE 10             /* RFC 7873 */
#define DNS_OPT_KEEPALIVE 11          /* RFC 7828 */
#define DNS_OPT_PADDING 12            /* RFC 7830 */
#define DNS_OPT_EDE 15                /* RFC 8914 */

/* Extended DNS error info codes (RFC 8914) we send. */
#define DNS_EDE_PROHIBITED 18
#define DNS_EDE_INVALID_DATA 24          /* an expired secondary (knotd) */
#define DNS_EDE_NOT_AUTH 20
#define DNS_EDE_NOT_SUPPORTED 21

#endif
