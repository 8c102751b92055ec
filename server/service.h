/* service.h -- telling the service manager (systemd) how start-up went.
 *
 * With libsystemd at build time (-Dsystemd=auto finds it), sd_notify(3)
 * sends READY=1 once the zones are loaded and the reactors run, and
 * STOPPING=1 when the stop begins, to the datagram socket NOTIFY_SOCKET
 * names; without NOTIFY_SOCKET (not started by systemd) or without
 * libsystemd these do nothing. The unit is dist/levee.service (Type=notify).
 * Main only; one sendmsg each, never on a reactor.
 */
#ifndef LEVEE_SERVER_SERVICE_H
#define LEVEE_SERVER_SERVICE_H

/* READY=1 with STATUS=status (one line). */
void service_ready(const char *status);

/* STOPPING=1. */
void service_stopping(void);

#endif
