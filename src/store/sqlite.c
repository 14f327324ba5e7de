/*
 * store/sqlite — the SQLite backend (the default). See store.h.
 *
 * One connection per thread (SQLITE_OPEN_NOMUTEX; a connection is never
 * shared), opened on first use, with its prepared statements cached for the
 * life of the thread. WAL journal so readers never wait for the writer;
 * synchronous=FULL so an acknowledged write survives kill -9 and power loss;
 * busy_timeout so concurrent writers queue instead of failing.
 *
 * Invariant: every statement is reset before the function that stepped it
 * returns (stmt_done), so a cached statement never holds a read lock.
 */
#include "store/store.h"

#include "core/log.h"
#include "store/migrations.h"

#include <sqlite3.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stmt_id {
	Q_USER_INSERT,
	Q_ACCOUNT_INSERT,
	Q_USER_BY_ID,
	Q_USER_BY_EMAIL,
	Q_USER_BY_USERNAME,
	Q_USER_UPDATE,
	Q_USER_SET_ROLE,
	Q_USER_DELETE,
	Q_USER_SET_BAN,
	Q_USER_SET_EMAIL,
	Q_USER_COUNT,
	Q_USER_LIST,
	Q_CRED_GET,
	Q_CRED_SET,
	Q_SESSION_INSERT,
	Q_SESSION_BY_HASH,
	Q_SESSION_LIST,
	Q_SESSION_TOUCH,
	Q_SESSION_DELETE,
	Q_SESSION_DELETE_ID,
	Q_SESSION_DELETE_USER,
	Q_SESSION_DELETE_USER_EXCEPT,
	Q_VERIF_PUT,
	Q_VERIF_GET,
	Q_VERIF_DELETE,
	Q_KEY_INSERT,
	Q_KEY_BY_HASH,
	Q_KEY_BY_ID,
	Q_KEY_LIST,
	Q_KEY_COUNT,
	Q_KEY_UPDATE,
	Q_KEY_DELETE,
	Q_KEY_COUNTERS,
	Q_META_GET,
	Q_META_PUT,
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_COUNT
};

#define USER_COLS                                                                                  \
	"u.id, u.name, u.email, u.emailVerified, u.image, u.createdAt, u.updatedAt, u.role, "      \
	"u.banned, u.banReason, u.banExpires, u.username, u.displayUsername"
#define USER_NCOLS 13
#define SESSION_COLS                                                                               \
	"s.id, s.tokenHash, s.userId, s.expiresAt, s.createdAt, s.updatedAt, s.ipAddress, "        \
	"s.userAgent, s.rememberMe"

#define KEY_COLS                                                                                   \
	"k.id, k.name, k.start, k.prefix, k.key, k.referenceId, k.refillInterval, "                \
	"k.refillAmount, "                                                                         \
	"k.lastRefillAt, k.enabled, k.rateLimitEnabled, k.rateLimitTimeWindow, k.rateLimitMax, "   \
	"k.requestCount, k.remaining, k.lastRequest, k.expiresAt, k.createdAt, k.updatedAt, "      \
	"k.permissions, k.metadata"
#define KEY_NCOLS 21

static const char *const sql[Q_COUNT] = {
    [Q_USER_INSERT] = "INSERT INTO \"user\" (id, name, email, emailVerified, image, createdAt, "
		      "updatedAt, role, banned, username, displayUsername) "
		      "VALUES (?,?,?,?,?,?,?,?,0,?,?)",
    [Q_ACCOUNT_INSERT] = "INSERT INTO account (id, accountId, providerId, userId, password, "
			 "createdAt, updatedAt) VALUES (?,?,'credential',?,?,?,?)",
    [Q_USER_BY_ID] = "SELECT " USER_COLS " FROM \"user\" u WHERE u.id = ?",
    [Q_USER_BY_EMAIL] = "SELECT " USER_COLS " FROM \"user\" u WHERE u.email = ?",
    [Q_USER_BY_USERNAME] = "SELECT " USER_COLS " FROM \"user\" u WHERE u.username = ?",
    [Q_USER_UPDATE] =
	"UPDATE \"user\" SET name = coalesce(?2, name), "
	"image = CASE WHEN ?3 THEN NULL ELSE coalesce(?4, image) END, "
	"username = coalesce(?5, username), "
	"displayUsername = coalesce(?6, displayUsername), updatedAt = ?7 WHERE id = ?1",
    [Q_USER_SET_ROLE] = "UPDATE \"user\" SET role = ?2, updatedAt = ?3 WHERE id = ?1",
    [Q_USER_DELETE] = "DELETE FROM \"user\" WHERE id = ?",
    [Q_USER_SET_BAN] = "UPDATE \"user\" SET banned = ?2, banReason = ?3, banExpires = ?4, "
		       "updatedAt = ?5 WHERE id = ?1",
    [Q_USER_SET_EMAIL] = "UPDATE \"user\" SET email = ?2, emailVerified = ?3, updatedAt = ?4 "
			 "WHERE id = ?1",
    [Q_USER_COUNT] = "SELECT count(*) FROM \"user\"",
    [Q_USER_LIST] =
	"SELECT " USER_COLS " FROM \"user\" u ORDER BY u.createdAt, u.id LIMIT ? OFFSET ?",
    [Q_CRED_GET] = "SELECT password FROM account WHERE userId = ? AND providerId = 'credential'",
    [Q_CRED_SET] = "UPDATE account SET password = ?2, updatedAt = ?3 "
		   "WHERE userId = ?1 AND providerId = 'credential'",
    [Q_SESSION_INSERT] = "INSERT INTO session (id, tokenHash, userId, expiresAt, createdAt, "
			 "updatedAt, ipAddress, userAgent, rememberMe) VALUES (?,?,?,?,?,?,?,?,?)",
    [Q_SESSION_BY_HASH] =
	"SELECT " SESSION_COLS ", " USER_COLS
	" FROM session s JOIN \"user\" u ON u.id = s.userId WHERE s.tokenHash = ?",
    [Q_SESSION_LIST] = "SELECT " SESSION_COLS " FROM session s WHERE s.userId = ? "
		       "ORDER BY s.createdAt",
    [Q_SESSION_TOUCH] = "UPDATE session SET expiresAt = ?2, updatedAt = ?3 WHERE id = ?1",
    [Q_SESSION_DELETE] = "DELETE FROM session WHERE id = ? AND userId = ?",
    [Q_SESSION_DELETE_ID] = "DELETE FROM session WHERE id = ?",
    [Q_SESSION_DELETE_USER] = "DELETE FROM session WHERE userId = ?",
    [Q_SESSION_DELETE_USER_EXCEPT] = "DELETE FROM session WHERE userId = ? AND id <> ?",
    [Q_VERIF_PUT] = "INSERT INTO verification (id, identifier, value, expiresAt, createdAt, "
		    "updatedAt) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(identifier) DO UPDATE "
		    "SET value = excluded.value, expiresAt = excluded.expiresAt, "
		    "updatedAt = excluded.updatedAt",
    [Q_VERIF_GET] = "SELECT value, expiresAt FROM verification WHERE identifier = ?",
    [Q_VERIF_DELETE] = "DELETE FROM verification WHERE identifier = ?",
    [Q_KEY_INSERT] = "INSERT INTO apikey (id, name, start, prefix, key, referenceId, "
		     "refillInterval, refillAmount, lastRefillAt, enabled, rateLimitEnabled, "
		     "rateLimitTimeWindow, rateLimitMax, requestCount, remaining, lastRequest, "
		     "expiresAt, createdAt, updatedAt, permissions, metadata) "
		     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [Q_KEY_BY_HASH] = "SELECT " KEY_COLS ", " USER_COLS
		      " FROM apikey k JOIN \"user\" u ON u.id = k.referenceId WHERE k.key = ?",
    [Q_KEY_BY_ID] = "SELECT " KEY_COLS " FROM apikey k WHERE k.id = ?",
    [Q_KEY_LIST] = "SELECT " KEY_COLS " FROM apikey k WHERE k.referenceId = ? "
		   "ORDER BY k.createdAt DESC, k.id LIMIT ? OFFSET ?",
    [Q_KEY_COUNT] = "SELECT count(*) FROM apikey WHERE referenceId = ?",
    [Q_KEY_UPDATE] = "UPDATE apikey SET name = ?2, refillInterval = ?3, refillAmount = ?4, "
		     "lastRefillAt = ?5, enabled = ?6, rateLimitEnabled = ?7, "
		     "rateLimitTimeWindow = ?8, rateLimitMax = ?9, requestCount = ?10, "
		     "remaining = ?11, lastRequest = ?12, expiresAt = ?13, updatedAt = ?14, "
		     "permissions = ?15, metadata = ?16 WHERE id = ?1",
    [Q_KEY_DELETE] = "DELETE FROM apikey WHERE id = ?",
    [Q_KEY_COUNTERS] = "UPDATE apikey SET requestCount = ?2, remaining = ?3, lastRequest = ?4, "
		       "lastRefillAt = ?5 WHERE id = ?1",
    [Q_META_GET] = "SELECT value FROM gh_meta WHERE key = ?",
    [Q_META_PUT] = "INSERT INTO gh_meta (key, value) VALUES (?, ?) "
		   "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	struct conn *next;
};

static char *db_path;
static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn *all_conns;
static __thread struct conn *tconn;

static void log_sqlite(const char *what, sqlite3 *db)
{
	log_event(GH_LOG_ERROR, "sqlite", "op", what, "error", db ? sqlite3_errmsg(db) : "open",
		  NULL);
}

static struct conn *conn_get(void)
{
	if (tconn)
		return tconn;
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	int rc =
	    sqlite3_open_v2(db_path, &c->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_sqlite("open", c->db);
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	sqlite3_busy_timeout(c->db, 5000);
	sqlite3_exec(c->db,
		     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
		     NULL, NULL, NULL);
	pthread_mutex_lock(&conns_mu);
	c->next = all_conns;
	all_conns = c;
	pthread_mutex_unlock(&conns_mu);
	tconn = c;
	return c;
}

static sqlite3_stmt *stmt(enum stmt_id id)
{
	struct conn *c = conn_get();
	if (!c)
		return NULL;
	if (!c->stmt[id] && sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					       &c->stmt[id], NULL) != SQLITE_OK) {
		log_sqlite(sql[id], c->db);
		return NULL;
	}
	return c->stmt[id];
}

static void stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows. */
static int exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int changes = sqlite3_changes(sqlite3_db_handle(st));
	stmt_done(st);
	if (rc == SQLITE_DONE)
		return changes > 0 ? GH_STORE_OK : GH_STORE_NOT_FOUND;
	if (rc == SQLITE_CONSTRAINT)
		return GH_STORE_CONFLICT;
	log_sqlite(sqlite3_sql(st), sqlite3_db_handle(st));
	return GH_STORE_ERROR;
}

static int tx(enum stmt_id id)
{
	sqlite3_stmt *st = stmt(id);
	if (!st)
		return GH_STORE_ERROR;
	int rc = sqlite3_step(st);
	stmt_done(st);
	return rc == SQLITE_DONE ? GH_STORE_OK : GH_STORE_ERROR;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t outsz, bool *present)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (present)
		*present = t != NULL;
	snprintf(out, outsz, "%s", t ? (const char *)t : "");
}

static void read_user(sqlite3_stmt *st, int c, struct gh_user *u)
{
	memset(u, 0, sizeof *u);
	col_text(st, c + 0, u->id, sizeof u->id, NULL);
	col_text(st, c + 1, u->name, sizeof u->name, NULL);
	col_text(st, c + 2, u->email, sizeof u->email, NULL);
	u->email_verified = sqlite3_column_int(st, c + 3) != 0;
	col_text(st, c + 4, u->image, sizeof u->image, &u->has_image);
	u->created_at = sqlite3_column_int64(st, c + 5);
	u->updated_at = sqlite3_column_int64(st, c + 6);
	col_text(st, c + 7, u->role, sizeof u->role, NULL);
	u->banned = sqlite3_column_int(st, c + 8) != 0;
	col_text(st, c + 9, u->ban_reason, sizeof u->ban_reason, &u->has_ban_reason);
	u->ban_expires = sqlite3_column_int64(st, c + 10);
	col_text(st, c + 11, u->username, sizeof u->username, &u->has_username);
	col_text(st, c + 12, u->display_username, sizeof u->display_username, NULL);
}

static void read_session(sqlite3_stmt *st, struct gh_session *s)
{
	memset(s, 0, sizeof *s);
	col_text(st, 0, s->id, sizeof s->id, NULL);
	const void *h = sqlite3_column_blob(st, 1);
	if (h && sqlite3_column_bytes(st, 1) == GH_HASH_LEN)
		memcpy(s->token_hash, h, GH_HASH_LEN);
	col_text(st, 2, s->user_id, sizeof s->user_id, NULL);
	s->expires_at = sqlite3_column_int64(st, 3);
	s->created_at = sqlite3_column_int64(st, 4);
	s->updated_at = sqlite3_column_int64(st, 5);
	col_text(st, 6, s->ip, sizeof s->ip, NULL);
	col_text(st, 7, s->user_agent, sizeof s->user_agent, NULL);
	s->remember_me = sqlite3_column_int(st, 8) != 0;
}

/* Steps a one-row query; reads the row with `read` (may be NULL). */
static int query_one(sqlite3_stmt *st, void (*read)(sqlite3_stmt *, void *), void *out)
{
	int rc = sqlite3_step(st);
	int result;
	if (rc == SQLITE_ROW) {
		if (read)
			read(st, out);
		result = GH_STORE_OK;
	} else if (rc == SQLITE_DONE) {
		result = GH_STORE_NOT_FOUND;
	} else {
		log_sqlite(sqlite3_sql(st), sqlite3_db_handle(st));
		result = GH_STORE_ERROR;
	}
	stmt_done(st);
	return result;
}

static void read_user_row(sqlite3_stmt *st, void *out)
{
	read_user(st, 0, out);
}

/* ---- lifecycle ---- */

static int sq_open(const char *path)
{
	free(db_path);
	db_path = strdup(path);
	return db_path && conn_get() ? 0 : -1;
}

static void sq_close(void)
{
	pthread_mutex_lock(&conns_mu);
	for (struct conn *c = all_conns, *next; c; c = next) {
		next = c->next;
		for (int i = 0; i < Q_COUNT; i++)
			sqlite3_finalize(c->stmt[i]);
		sqlite3_close(c->db);
		free(c);
	}
	all_conns = NULL;
	pthread_mutex_unlock(&conns_mu);
	tconn = NULL;
	free(db_path);
	db_path = NULL;
}

static int sq_migrate(int *applied)
{
	struct conn *c = conn_get();
	*applied = 0;
	if (!c)
		return -1;
	if (sqlite3_exec(c->db,
			 "CREATE TABLE IF NOT EXISTS gh_schema_migrations (version INTEGER PRIMARY "
			 "KEY, name TEXT NOT NULL, appliedAt INTEGER NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK) {
		log_sqlite("migrate", c->db);
		return -1;
	}
	for (int i = 0; i < gh_sqlite_migrations_count; i++) {
		const struct gh_migration *m = &gh_sqlite_migrations[i];
		sqlite3_stmt *chk;
		sqlite3_prepare_v2(c->db, "SELECT 1 FROM gh_schema_migrations WHERE version = ?",
				   -1, &chk, NULL);
		sqlite3_bind_int(chk, 1, m->version);
		bool done = sqlite3_step(chk) == SQLITE_ROW;
		sqlite3_finalize(chk);
		if (done)
			continue;
		char *err = NULL;
		if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(c->db, m->sql, NULL, NULL, &err) != SQLITE_OK) {
			log_event(GH_LOG_ERROR, "migration failed", "migration", m->name, "error",
				  err ? err : sqlite3_errmsg(c->db), NULL);
			sqlite3_free(err);
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		sqlite3_stmt *rec;
		sqlite3_prepare_v2(c->db,
				   "INSERT INTO gh_schema_migrations VALUES (?, ?, "
				   "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))",
				   -1, &rec, NULL);
		sqlite3_bind_int(rec, 1, m->version);
		sqlite3_bind_text(rec, 2, m->name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(rec);
		sqlite3_finalize(rec);
		if (rc != SQLITE_DONE ||
		    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			log_sqlite("migrate commit", c->db);
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_event(GH_LOG_INFO, "migration applied", "migration", m->name, NULL);
		(*applied)++;
	}
	return 0;
}

static int sq_ping(void)
{
	sqlite3_stmt *st = stmt(Q_USER_COUNT);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	stmt_done(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- users ---- */

static int sq_user_insert(const struct gh_user *u, const char *account_id, const char *pw_hash)
{
	sqlite3_stmt *ins = stmt(Q_USER_INSERT), *acc = stmt(Q_ACCOUNT_INSERT);
	if (!ins || !acc || tx(Q_BEGIN) != GH_STORE_OK)
		return GH_STORE_ERROR;
	bind_text(ins, 1, u->id);
	bind_text(ins, 2, u->name);
	bind_text(ins, 3, u->email);
	sqlite3_bind_int(ins, 4, u->email_verified);
	bind_text(ins, 5, u->has_image ? u->image : NULL);
	sqlite3_bind_int64(ins, 6, u->created_at);
	sqlite3_bind_int64(ins, 7, u->updated_at);
	bind_text(ins, 8, u->role[0] ? u->role : "user");
	bind_text(ins, 9, u->has_username ? u->username : NULL);
	bind_text(ins, 10, u->has_username ? u->display_username : NULL);
	int rc = exec_stmt(ins);
	if (rc == GH_STORE_OK && pw_hash) {
		bind_text(acc, 1, account_id);
		bind_text(acc, 2, u->id);
		bind_text(acc, 3, u->id);
		bind_text(acc, 4, pw_hash);
		sqlite3_bind_int64(acc, 5, u->created_at);
		sqlite3_bind_int64(acc, 6, u->created_at);
		rc = exec_stmt(acc);
	}
	if (rc != GH_STORE_OK) {
		tx(Q_ROLLBACK);
		return rc;
	}
	return tx(Q_COMMIT);
}

static int user_by(enum stmt_id id, const char *key, struct gh_user *out)
{
	sqlite3_stmt *st = stmt(id);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, key);
	return query_one(st, read_user_row, out);
}

static int sq_user_by_id(const char *id, struct gh_user *out)
{
	return user_by(Q_USER_BY_ID, id, out);
}

static int sq_user_by_email(const char *email, struct gh_user *out)
{
	return user_by(Q_USER_BY_EMAIL, email, out);
}

static int sq_user_by_username(const char *username, struct gh_user *out)
{
	return user_by(Q_USER_BY_USERNAME, username, out);
}

static int sq_user_update(const char *id, const struct gh_user_update *upd)
{
	sqlite3_stmt *st = stmt(Q_USER_UPDATE);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, id);
	bind_text(st, 2, upd->name);
	sqlite3_bind_int(st, 3, upd->clear_image);
	bind_text(st, 4, upd->image);
	bind_text(st, 5, upd->username);
	bind_text(st, 6, upd->display_username);
	sqlite3_bind_int64(st, 7, upd->updated_at);
	return exec_stmt(st);
}

static int sq_user_set_role(const char *id, const char *role, int64_t now)
{
	sqlite3_stmt *st = stmt(Q_USER_SET_ROLE);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, id);
	bind_text(st, 2, role);
	sqlite3_bind_int64(st, 3, now);
	return exec_stmt(st);
}

static int sq_user_set_ban(const char *id, bool banned, const char *reason, int64_t expires,
			   int64_t now)
{
	sqlite3_stmt *st = stmt(Q_USER_SET_BAN);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, id);
	sqlite3_bind_int(st, 2, banned);
	bind_text(st, 3, reason);
	bind_opt_int(st, 4, expires > 0 ? expires : -1);
	sqlite3_bind_int64(st, 5, now);
	return exec_stmt(st);
}

static int sq_user_set_email(const char *id, const char *email, bool verified, int64_t now)
{
	sqlite3_stmt *st = stmt(Q_USER_SET_EMAIL);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, id);
	bind_text(st, 2, email);
	sqlite3_bind_int(st, 3, verified);
	sqlite3_bind_int64(st, 4, now);
	return exec_stmt(st);
}

/* Maps an API field name to a column, or NULL: the only way a name reaches SQL. */
static const char *user_column(const char *field, const char *const *allowed)
{
	static const struct {
		const char *field, *column;
	} map[] = {{"id", "id"},
		   {"email", "email"},
		   {"name", "name"},
		   {"role", "role"},
		   {"banned", "banned"},
		   {"emailVerified", "emailVerified"},
		   {"createdAt", "createdAt"},
		   {"updatedAt", "updatedAt"}};
	if (!field)
		return NULL;
	for (const char *const *a = allowed; *a; a++)
		if (strcmp(*a, field) == 0)
			for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
				if (strcmp(map[i].field, field) == 0)
					return map[i].column;
	return NULL;
}

/* LIKE pattern with %, _ and \ escaped (ESCAPE '\'). */
static char *like_pattern(const char *v, const char *op)
{
	size_t n = strlen(v);
	char *p = malloc(2 * n + 3), *w = p;
	if (!p)
		return NULL;
	if (strcmp(op, "starts_with") != 0)
		*w++ = '%';
	for (const char *c = v; *c; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			*w++ = '\\';
		*w++ = *c;
	}
	if (strcmp(op, "ends_with") != 0)
		*w++ = '%';
	*w = 0;
	return p;
}

static int sq_user_search(const struct gh_user_query *q, gh_user_cb cb, void *ctx, int64_t *total)
{
	static const char *const searchable[] = {"email", "name", NULL};
	static const char *const filterable[] = {"id",     "email",         "name", "role",
						 "banned", "emailVerified", NULL};
	static const char *const sortable[] = {"createdAt", "updatedAt", "email",
					       "name",      "role",      NULL};
	struct conn *c = conn_get();
	if (!c)
		return GH_STORE_ERROR;
	char where[512] = "1=1";
	const char *scol = NULL, *fcol = NULL, *fop = "=";
	char *spat = NULL;
	if (q->search_value && *q->search_value) {
		const char *op = q->search_op ? q->search_op : "contains";
		scol = user_column(q->search_field ? q->search_field : "email", searchable);
		if (!scol || (strcmp(op, "contains") && strcmp(op, "starts_with") &&
			      strcmp(op, "ends_with")))
			return GH_STORE_CONFLICT;
		spat = like_pattern(q->search_value, op);
		if (!spat)
			return GH_STORE_ERROR;
		snprintf(where + strlen(where), sizeof where - strlen(where),
			 " AND u.%s LIKE ?1 ESCAPE '\\'", scol);
	}
	if (q->filter_field && q->filter_value) {
		static const struct {
			const char *op, *sql;
		} ops[] = {{"eq", "="}, {"ne", "<>"},  {"lt", "<"},         {"lte", "<="},
			   {"gt", ">"}, {"gte", ">="}, {"contains", "LIKE"}};
		fcol = user_column(q->filter_field, filterable);
		const char *op = q->filter_op ? q->filter_op : "eq";
		fop = NULL;
		for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
			if (strcmp(ops[i].op, op) == 0)
				fop = ops[i].sql;
		if (!fcol || !fop) {
			free(spat);
			return GH_STORE_CONFLICT;
		}
		snprintf(where + strlen(where), sizeof where - strlen(where), " AND u.%s %s ?2%s",
			 fcol, fop, strcmp(fop, "LIKE") == 0 ? " ESCAPE '\\'" : "");
	}
	const char *sort = user_column(q->sort_by ? q->sort_by : "createdAt", sortable);
	if (!sort) {
		free(spat);
		return GH_STORE_CONFLICT;
	}
	char sql_count[700], sql_rows[900];
	snprintf(sql_count, sizeof sql_count, "SELECT count(*) FROM \"user\" u WHERE %s", where);
	snprintf(sql_rows, sizeof sql_rows,
		 "SELECT " USER_COLS
		 " FROM \"user\" u WHERE %s ORDER BY u.%s %s, u.id LIMIT ?3 OFFSET ?4",
		 where, sort, q->sort_desc ? "DESC" : "ASC");
	int result = GH_STORE_ERROR;
	sqlite3_stmt *cnt = NULL, *rows = NULL;
	if (sqlite3_prepare_v2(c->db, sql_count, -1, &cnt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, sql_rows, -1, &rows, NULL) != SQLITE_OK) {
		log_sqlite("user search", c->db);
		goto out;
	}
	char *fpat = NULL;
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *st = pass ? rows : cnt;
		if (spat)
			sqlite3_bind_text(st, 1, spat, -1, SQLITE_STATIC);
		if (fcol) {
			bool boolean =
			    strcmp(fcol, "banned") == 0 || strcmp(fcol, "emailVerified") == 0;
			if (strcmp(fop, "LIKE") == 0) {
				if (!fpat)
					fpat = like_pattern(q->filter_value, "contains");
				sqlite3_bind_text(st, 2, fpat, -1, SQLITE_STATIC);
			} else if (boolean) {
				sqlite3_bind_int(st, 2, strcmp(q->filter_value, "true") == 0);
			} else {
				sqlite3_bind_text(st, 2, q->filter_value, -1, SQLITE_STATIC);
			}
		}
	}
	sqlite3_bind_int(rows, 3, q->limit);
	sqlite3_bind_int(rows, 4, q->offset);
	if (sqlite3_step(cnt) != SQLITE_ROW) {
		free(fpat);
		goto out;
	}
	*total = sqlite3_column_int64(cnt, 0);
	struct gh_user u;
	int rc;
	while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
		read_user(rows, 0, &u);
		cb(&u, ctx);
	}
	free(fpat);
	result = rc == SQLITE_DONE ? GH_STORE_OK : GH_STORE_ERROR;
out:
	sqlite3_finalize(cnt);
	sqlite3_finalize(rows);
	free(spat);
	return result;
}

static int sq_user_delete(const char *id)
{
	sqlite3_stmt *st = stmt(Q_USER_DELETE);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, id);
	return exec_stmt(st);
}

static int sq_user_count(int64_t *n)
{
	sqlite3_stmt *st = stmt(Q_USER_COUNT);
	if (!st)
		return GH_STORE_ERROR;
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	stmt_done(st);
	return rc == SQLITE_ROW ? GH_STORE_OK : GH_STORE_ERROR;
}

static int sq_user_list(int offset, int limit, gh_user_cb cb, void *ctx)
{
	sqlite3_stmt *st = stmt(Q_USER_LIST);
	if (!st)
		return GH_STORE_ERROR;
	sqlite3_bind_int(st, 1, limit);
	sqlite3_bind_int(st, 2, offset);
	int rc;
	struct gh_user u;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_user(st, 0, &u);
		cb(&u, ctx);
	}
	stmt_done(st);
	return rc == SQLITE_DONE ? GH_STORE_OK : GH_STORE_ERROR;
}

/* ---- credentials ---- */

static void read_password(sqlite3_stmt *st, void *out)
{
	col_text(st, 0, out, GH_PASSWORD_HASH_STORE_MAX + 1, NULL);
}

static int sq_credential_get(const char *user_id, char out[GH_PASSWORD_HASH_STORE_MAX + 1])
{
	sqlite3_stmt *st = stmt(Q_CRED_GET);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, user_id);
	int rc = query_one(st, read_password, out);
	if (rc == GH_STORE_OK && !out[0])
		return GH_STORE_NOT_FOUND;
	return rc;
}

static int sq_credential_set(const char *user_id, const char *hash, int64_t now)
{
	sqlite3_stmt *st = stmt(Q_CRED_SET);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, user_id);
	bind_text(st, 2, hash);
	sqlite3_bind_int64(st, 3, now);
	return exec_stmt(st);
}

static int sq_credential_insert(const char *user_id, const char *account_id, const char *hash,
				int64_t now)
{
	sqlite3_stmt *st = stmt(Q_ACCOUNT_INSERT);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, account_id);
	bind_text(st, 2, user_id);
	bind_text(st, 3, user_id);
	bind_text(st, 4, hash);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, now);
	return exec_stmt(st);
}

/* ---- sessions ---- */

static int sq_session_insert(const struct gh_session *s)
{
	sqlite3_stmt *st = stmt(Q_SESSION_INSERT);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, s->id);
	sqlite3_bind_blob(st, 2, s->token_hash, GH_HASH_LEN, SQLITE_STATIC);
	bind_text(st, 3, s->user_id);
	sqlite3_bind_int64(st, 4, s->expires_at);
	sqlite3_bind_int64(st, 5, s->created_at);
	sqlite3_bind_int64(st, 6, s->updated_at);
	bind_text(st, 7, s->ip[0] ? s->ip : NULL);
	bind_text(st, 8, s->user_agent[0] ? s->user_agent : NULL);
	sqlite3_bind_int(st, 9, s->remember_me);
	return exec_stmt(st);
}

struct session_and_user {
	struct gh_session *s;
	struct gh_user *u;
};

static void read_session_and_user(sqlite3_stmt *st, void *out)
{
	struct session_and_user *su = out;
	read_session(st, su->s);
	read_user(st, 9, su->u);
}

static int sq_session_by_hash(const uint8_t hash[GH_HASH_LEN], struct gh_session *s,
			      struct gh_user *u)
{
	sqlite3_stmt *st = stmt(Q_SESSION_BY_HASH);
	if (!st)
		return GH_STORE_ERROR;
	sqlite3_bind_blob(st, 1, hash, GH_HASH_LEN, SQLITE_STATIC);
	struct session_and_user su = {s, u};
	return query_one(st, read_session_and_user, &su);
}

static int sq_session_list(const char *user_id, gh_session_cb cb, void *ctx)
{
	sqlite3_stmt *st = stmt(Q_SESSION_LIST);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, user_id);
	int rc;
	struct gh_session s;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_session(st, &s);
		cb(&s, ctx);
	}
	stmt_done(st);
	return rc == SQLITE_DONE ? GH_STORE_OK : GH_STORE_ERROR;
}

static int sq_session_touch(const char *id, int64_t expires_at, int64_t updated_at)
{
	sqlite3_stmt *st = stmt(Q_SESSION_TOUCH);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, expires_at);
	sqlite3_bind_int64(st, 3, updated_at);
	return exec_stmt(st);
}

static int sq_session_delete(const char *id, const char *user_id)
{
	sqlite3_stmt *st = stmt(user_id ? Q_SESSION_DELETE : Q_SESSION_DELETE_ID);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, id);
	if (user_id)
		bind_text(st, 2, user_id);
	return exec_stmt(st);
}

static int sq_session_delete_user(const char *user_id, const char *except_id)
{
	sqlite3_stmt *st = stmt(except_id ? Q_SESSION_DELETE_USER_EXCEPT : Q_SESSION_DELETE_USER);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, user_id);
	if (except_id)
		bind_text(st, 2, except_id);
	int rc = exec_stmt(st);
	return rc == GH_STORE_NOT_FOUND ? GH_STORE_OK : rc;
}

/* ---- verification tokens ---- */

static int sq_verification_put(const char *identifier, const char *value, int64_t expires_at,
			       int64_t now)
{
	sqlite3_stmt *st = stmt(Q_VERIF_PUT);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, identifier); /* the identifier is unique: it doubles as the id */
	bind_text(st, 2, identifier);
	bind_text(st, 3, value);
	sqlite3_bind_int64(st, 4, expires_at);
	sqlite3_bind_int64(st, 5, now);
	return exec_stmt(st);
}

struct verif_out {
	char *value;
	size_t valuesz;
	int64_t *expires_at;
};

static void read_verif(sqlite3_stmt *st, void *out)
{
	struct verif_out *v = out;
	col_text(st, 0, v->value, v->valuesz, NULL);
	*v->expires_at = sqlite3_column_int64(st, 1);
}

static int sq_verification_take(const char *identifier, char *value, size_t valuesz,
				int64_t *expires_at)
{
	sqlite3_stmt *get = stmt(Q_VERIF_GET), *del = stmt(Q_VERIF_DELETE);
	if (!get || !del || tx(Q_BEGIN) != GH_STORE_OK)
		return GH_STORE_ERROR;
	bind_text(get, 1, identifier);
	struct verif_out v = {value, valuesz, expires_at};
	int rc = query_one(get, read_verif, &v);
	if (rc == GH_STORE_OK) {
		bind_text(del, 1, identifier);
		rc = exec_stmt(del);
	}
	if (rc != GH_STORE_OK) {
		tx(Q_ROLLBACK);
		return rc;
	}
	return tx(Q_COMMIT);
}

/* ---- API keys ---- */

static int64_t col_opt_int(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static void read_key(sqlite3_stmt *st, struct gh_apikey *k)
{
	memset(k, 0, sizeof *k);
	col_text(st, 0, k->id, sizeof k->id, NULL);
	col_text(st, 1, k->name, sizeof k->name, &k->has_name);
	col_text(st, 2, k->start, sizeof k->start, NULL);
	col_text(st, 3, k->prefix, sizeof k->prefix, &k->has_prefix);
	col_text(st, 4, k->key_hash, sizeof k->key_hash, NULL);
	col_text(st, 5, k->reference_id, sizeof k->reference_id, NULL);
	k->refill_interval = col_opt_int(st, 6);
	k->refill_amount = col_opt_int(st, 7);
	k->last_refill_at = col_opt_int(st, 8);
	k->enabled = sqlite3_column_int(st, 9) != 0;
	k->rate_limit_enabled = sqlite3_column_int(st, 10) != 0;
	k->rate_limit_window = col_opt_int(st, 11);
	k->rate_limit_max = col_opt_int(st, 12);
	k->request_count = sqlite3_column_int64(st, 13);
	k->remaining = col_opt_int(st, 14);
	k->last_request = col_opt_int(st, 15);
	k->expires_at = col_opt_int(st, 16);
	k->created_at = sqlite3_column_int64(st, 17);
	k->updated_at = sqlite3_column_int64(st, 18);
	col_text(st, 19, k->permissions, sizeof k->permissions, NULL);
	col_text(st, 20, k->metadata, sizeof k->metadata, NULL);
}

static void read_key_row(sqlite3_stmt *st, void *out)
{
	read_key(st, out);
}

struct key_and_user {
	struct gh_apikey *k;
	struct gh_user *u;
};

static void read_key_and_user(sqlite3_stmt *st, void *out)
{
	struct key_and_user *ku = out;
	read_key(st, ku->k);
	read_user(st, KEY_NCOLS, ku->u);
}

static int sq_apikey_insert(const struct gh_apikey *k)
{
	sqlite3_stmt *st = stmt(Q_KEY_INSERT);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, k->id);
	bind_text(st, 2, k->has_name ? k->name : NULL);
	bind_text(st, 3, k->start);
	bind_text(st, 4, k->has_prefix ? k->prefix : NULL);
	bind_text(st, 5, k->key_hash);
	bind_text(st, 6, k->reference_id);
	bind_opt_int(st, 7, k->refill_interval);
	bind_opt_int(st, 8, k->refill_amount);
	bind_opt_int(st, 9, k->last_refill_at);
	sqlite3_bind_int(st, 10, k->enabled);
	sqlite3_bind_int(st, 11, k->rate_limit_enabled);
	bind_opt_int(st, 12, k->rate_limit_window);
	bind_opt_int(st, 13, k->rate_limit_max);
	sqlite3_bind_int64(st, 14, k->request_count);
	bind_opt_int(st, 15, k->remaining);
	bind_opt_int(st, 16, k->last_request);
	bind_opt_int(st, 17, k->expires_at);
	sqlite3_bind_int64(st, 18, k->created_at);
	sqlite3_bind_int64(st, 19, k->updated_at);
	bind_text(st, 20, k->permissions[0] ? k->permissions : NULL);
	bind_text(st, 21, k->metadata[0] ? k->metadata : NULL);
	return exec_stmt(st);
}

static int sq_apikey_by_hash(const char *key_hash, struct gh_apikey *k, struct gh_user *owner)
{
	sqlite3_stmt *st = stmt(Q_KEY_BY_HASH);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, key_hash);
	struct key_and_user ku = {k, owner};
	return query_one(st, read_key_and_user, &ku);
}

static int sq_apikey_by_id(const char *id, struct gh_apikey *k)
{
	sqlite3_stmt *st = stmt(Q_KEY_BY_ID);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, id);
	return query_one(st, read_key_row, k);
}

static int sq_apikey_list(const char *owner_id, int limit, int offset, gh_apikey_cb cb, void *ctx,
			  int64_t *total)
{
	sqlite3_stmt *cnt = stmt(Q_KEY_COUNT), *st = stmt(Q_KEY_LIST);
	if (!cnt || !st)
		return GH_STORE_ERROR;
	bind_text(cnt, 1, owner_id);
	int rc = sqlite3_step(cnt);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(cnt, 0) : 0;
	stmt_done(cnt);
	if (rc != SQLITE_ROW)
		return GH_STORE_ERROR;
	bind_text(st, 1, owner_id);
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_int(st, 3, offset);
	struct gh_apikey *k = malloc(sizeof *k);
	if (!k) {
		stmt_done(st);
		return GH_STORE_ERROR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_key(st, k);
		cb(k, ctx);
	}
	free(k);
	stmt_done(st);
	return rc == SQLITE_DONE ? GH_STORE_OK : GH_STORE_ERROR;
}

static int sq_apikey_update(const struct gh_apikey *k)
{
	sqlite3_stmt *st = stmt(Q_KEY_UPDATE);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, k->id);
	bind_text(st, 2, k->has_name ? k->name : NULL);
	bind_opt_int(st, 3, k->refill_interval);
	bind_opt_int(st, 4, k->refill_amount);
	bind_opt_int(st, 5, k->last_refill_at);
	sqlite3_bind_int(st, 6, k->enabled);
	sqlite3_bind_int(st, 7, k->rate_limit_enabled);
	bind_opt_int(st, 8, k->rate_limit_window);
	bind_opt_int(st, 9, k->rate_limit_max);
	sqlite3_bind_int64(st, 10, k->request_count);
	bind_opt_int(st, 11, k->remaining);
	bind_opt_int(st, 12, k->last_request);
	bind_opt_int(st, 13, k->expires_at);
	sqlite3_bind_int64(st, 14, k->updated_at);
	bind_text(st, 15, k->permissions[0] ? k->permissions : NULL);
	bind_text(st, 16, k->metadata[0] ? k->metadata : NULL);
	return exec_stmt(st);
}

static int sq_apikey_delete(const char *id)
{
	sqlite3_stmt *st = stmt(Q_KEY_DELETE);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, id);
	return exec_stmt(st);
}

static int sq_apikey_write_counters(const struct gh_apikey_counters *c, int n)
{
	sqlite3_stmt *st = stmt(Q_KEY_COUNTERS);
	if (!st || tx(Q_BEGIN) != GH_STORE_OK)
		return GH_STORE_ERROR;
	for (int i = 0; i < n; i++) {
		bind_text(st, 1, c[i].id);
		sqlite3_bind_int64(st, 2, c[i].request_count);
		bind_opt_int(st, 3, c[i].remaining);
		bind_opt_int(st, 4, c[i].last_request);
		bind_opt_int(st, 5, c[i].last_refill_at);
		if (exec_stmt(st) == GH_STORE_ERROR) {
			tx(Q_ROLLBACK);
			return GH_STORE_ERROR;
		}
	}
	return tx(Q_COMMIT);
}

/* ---- meta ---- */

struct text_out {
	char *buf;
	size_t sz;
};

static void read_text0(sqlite3_stmt *st, void *out)
{
	struct text_out *t = out;
	col_text(st, 0, t->buf, t->sz, NULL);
}

static int sq_meta_get(const char *key, char *value, size_t valuesz)
{
	sqlite3_stmt *st = stmt(Q_META_GET);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, key);
	struct text_out t = {value, valuesz};
	return query_one(st, read_text0, &t);
}

static int sq_meta_put(const char *key, const char *value)
{
	sqlite3_stmt *st = stmt(Q_META_PUT);
	if (!st)
		return GH_STORE_ERROR;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return exec_stmt(st);
}

const struct gh_store_backend gh_store_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .migrate = sq_migrate,
    .ping = sq_ping,
    .user_insert = sq_user_insert,
    .user_by_id = sq_user_by_id,
    .user_by_email = sq_user_by_email,
    .user_by_username = sq_user_by_username,
    .user_update = sq_user_update,
    .user_set_role = sq_user_set_role,
    .user_delete = sq_user_delete,
    .user_count = sq_user_count,
    .user_list = sq_user_list,
    .user_search = sq_user_search,
    .user_set_ban = sq_user_set_ban,
    .user_set_email = sq_user_set_email,
    .credential_get = sq_credential_get,
    .credential_set = sq_credential_set,
    .credential_insert = sq_credential_insert,
    .session_insert = sq_session_insert,
    .session_by_hash = sq_session_by_hash,
    .session_list = sq_session_list,
    .session_touch = sq_session_touch,
    .session_delete = sq_session_delete,
    .session_delete_user = sq_session_delete_user,
    .verification_put = sq_verification_put,
    .verification_take = sq_verification_take,
    .apikey_insert = sq_apikey_insert,
    .apikey_by_hash = sq_apikey_by_hash,
    .apikey_by_id = sq_apikey_by_id,
    .apikey_list = sq_apikey_list,
    .apikey_update = sq_apikey_update,
    .apikey_delete = sq_apikey_delete,
    .apikey_write_counters = sq_apikey_write_counters,
    .meta_get = sq_meta_get,
    .meta_put = sq_meta_put,
};
