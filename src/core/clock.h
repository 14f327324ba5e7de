/*
 * clock — wall-clock milliseconds and the ISO-8601 form Better-Auth uses on
 * the wire ("2026-11-22T05:50:03.414Z"). Threads: any.
 */
#ifndef GH_CORE_CLOCK_H
#define GH_CORE_CLOCK_H

#include <stdint.h>

#define GH_ISO_LEN 25 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */

int64_t clock_now_ms(void);
/* monotonic seconds, for durations */
double clock_mono_s(void);
/* writes a 24-char ISO string plus NUL into out[GH_ISO_LEN+?]; returns out */
char *clock_format_iso(int64_t ms, char out[32]);

#endif
