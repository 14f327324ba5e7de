/*
 * migrations — versioned schema changes embedded in the binary from
 * src/store/migrations/<backend>/NNNN_name.sql (scripts/embed-migrations.sh).
 * Applied in version order, each in its own transaction, recorded in
 * gh_schema_migrations; `gatehouse migrate` and every start apply what is
 * pending. Threads: main thread only.
 */
#ifndef GH_STORE_MIGRATIONS_H
#define GH_STORE_MIGRATIONS_H

struct gh_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct gh_migration gh_sqlite_migrations[];
extern const int gh_sqlite_migrations_count;

#endif
