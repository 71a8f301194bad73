/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static kt_log_fn log_fn;
static enum kt_log_level log_min = KT_LOG_INFO;
static void *log_ctx;

void kt_set_log(kt_log_fn fn, enum kt_log_level min_level, void *ctx)
{
	log_fn = fn;
	log_min = min_level;
	log_ctx = ctx;
}

void kt_log(enum kt_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!log_fn || level < log_min)
		return;
	va_start(ap, fmt);
	/* A longer message is cut: a log line is not worth an allocation. */
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(level, msg, log_ctx);
}

int kt_fail_msg(char *err_buf, size_t err_len, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kt_log(KT_LOG_ERROR, "%s", msg);
	if (err_buf && err_len)
		(void)snprintf(err_buf, err_len, "%s", msg);
	return err;
}
