/*
 * store — picks the backend from the database URL. See store.h.
 */
#include "store/store.h"

#include "core/log.h"

#include <string.h>

static const struct gh_store_backend *active;

int store_open(const char *url)
{
	if (strncmp(url, "sqlite:", 7) == 0) {
		active = &gh_store_sqlite;
		return active->open(url + 7);
	}
	log_event(GH_LOG_ERROR, "unsupported database URL scheme (supported: sqlite:)", NULL);
	return -1;
}

void store_close(void)
{
	if (active)
		active->close();
	active = NULL;
}

const struct gh_store_backend *store(void)
{
	return active;
}
