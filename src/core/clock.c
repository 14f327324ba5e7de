/* clock — see clock.h. */
#include "core/clock.h"

#include <time.h>

int64_t clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double clock_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm,
 * public domain description), so formatting never takes glibc's timezone
 * lock the way gmtime_r + strftime does. */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

char *clock_format_iso(int64_t ms, char out[32])
{
	if (ms < 0 || ms > 253402300799999LL) /* outside years 1970..9999 */
		ms = 0;
	int64_t days = ms / 86400000, rem = ms % 86400000;
	int y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	unsigned secs = (unsigned)(rem / 1000), msec = (unsigned)(rem % 1000);
	/* YYYY-MM-DDTHH:MM:SS.mmmZ */
	put2(out, (unsigned)y / 100);
	put2(out + 2, (unsigned)y % 100);
	out[4] = '-';
	put2(out + 5, mo);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, secs / 3600);
	out[13] = ':';
	put2(out + 14, secs / 60 % 60);
	out[16] = ':';
	put2(out + 17, secs % 60);
	out[19] = '.';
	out[20] = (char)('0' + msec / 100);
	put2(out + 21, msec % 100);
	out[23] = 'Z';
	out[24] = 0;
	return out;
}
