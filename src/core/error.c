/* error — see error.h. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

bool error_set(struct gh_error *err, int status, const char *code, const char *fmt, ...)
{
	err->status = status;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return false;
}
