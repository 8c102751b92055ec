/* service.c -- sd_notify to the service manager (service.h). */
#include "server/service.h"

#ifdef LEVEE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void service_ready(const char *status)
{
	/* 0: keep NOTIFY_SOCKET in the environment (nothing we start reads
	 * it); a failure to send is the manager's to notice (a timeout). */
	(void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void service_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1");
}
#else
void service_ready(const char *status)
{
	(void)status;
}

void service_stopping(void)
{
}
#endif
