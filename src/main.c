/*
 * main — the gatehouse command line:
 *   gatehouse serve | migrate | config check | user create|list|set-password
 *             | version | help
 * Every command takes --config FILE (or GATEHOUSE_CONFIG) and --help.
 */
#include "app.h"

#include "api/json.h"
#include "auth/password.h"
#include "auth/token.h"
#include "auth/validate.h"
#include "core/clock.h"
#include "store/store.h"

#include <sodium.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GATEHOUSE_VERSION
#define GATEHOUSE_VERSION "0.1.0"
#endif

static const char usage_main[] =
    "usage: gatehouse <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve                 run the server\n"
    "  migrate               apply pending database migrations and exit\n"
    "  config check          validate the configuration and exit\n"
    "  user create           create a user (--email, --name, [--username], [--role],\n"
    "                        [--password-stdin]; without it a password is generated)\n"
    "  user list             list users as JSON lines\n"
    "  user set-password     set a user's password (--email, --password-stdin)\n"
    "  version               print the version\n"
    "\n"
    "options for every command:\n"
    "  -c, --config FILE     YAML configuration (default: $GATEHOUSE_CONFIG, else none)\n"
    "  -h, --help            this text\n"
    "\n"
    "Settings come from the file and GATEHOUSE_* variables; see gatehouse.example.yaml.\n";

struct opts {
	const char *config;
	const char *email, *name, *username, *role;
	bool password_stdin, help;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"email", required_argument, NULL, 'e'},
	    {"name", required_argument, NULL, 'n'},   {"username", required_argument, NULL, 'u'},
	    {"role", required_argument, NULL, 'r'},   {"password-stdin", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof *o);
	o->config = getenv("GATEHOUSE_CONFIG");
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'e': o->email = optarg; break;
		case 'n': o->name = optarg; break;
		case 'u': o->username = optarg; break;
		case 'r': o->role = optarg; break;
		case 'p': o->password_stdin = true; break;
		case 'h': o->help = true; break;
		default: return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gatehouse: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int read_password_stdin(char *out, size_t outsz)
{
	if (!fgets(out, (int)outsz, stdin))
		return -1;
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = 0;
	return n ? 0 : -1;
}

static int open_for_cli(struct gh_config *cfg, const struct opts *o)
{
	if (app_load_config(cfg, o->config, true) != 0)
		return -1;
	if (app_init_auth(cfg) != 0 || app_open_store(cfg) != 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

static int cmd_user_create(const struct opts *o)
{
	if (!o->email || !o->name) {
		fprintf(stderr, "gatehouse: user create needs --email and --name\n");
		return 2;
	}
	struct gh_config cfg;
	if (open_for_cli(&cfg, o) != 0)
		return 1;
	struct gh_user u;
	memset(&u, 0, sizeof u);
	bool email_ok = normalize_email(o->email, u.email);
	snprintf(u.name, sizeof u.name, "%s", o->name);
	snprintf(u.role, sizeof u.role, "%s", o->role ? o->role : "user");
	int rc = 1;
	struct gh_error err = {0};
	if (!email_ok) {
		fprintf(stderr, "gatehouse: invalid email\n");
		goto out;
	}
	if (o->username) {
		if (!validate_username(o->username, 400, &err)) {
			fprintf(stderr, "gatehouse: %s\n", err.message);
			goto out;
		}
		snprintf(u.display_username, sizeof u.display_username, "%s", o->username);
		snprintf(u.username, sizeof u.username, "%s", o->username);
		lowercase_ascii(u.username);
		u.has_username = true;
	}
	char password[4097];
	bool generated = !o->password_stdin;
	if (generated) {
		token_random_alnum(password, 24);
	} else if (read_password_stdin(password, sizeof password) != 0) {
		fprintf(stderr, "gatehouse: no password on standard input\n");
		goto out;
	}
	switch (password_check_policy(password, strlen(password))) {
	case GH_PASSWORD_OK: break;
	case GH_PASSWORD_TOO_SHORT: fprintf(stderr, "gatehouse: password too short\n"); goto out;
	case GH_PASSWORD_TOO_LONG: fprintf(stderr, "gatehouse: password too long\n"); goto out;
	case GH_PASSWORD_COMMON: fprintf(stderr, "gatehouse: password is too common\n"); goto out;
	default: fprintf(stderr, "gatehouse: invalid password\n"); goto out;
	}
	char hash[GH_PASSWORD_HASH_MAX], account_id[GH_ID_LEN + 1];
	token_random_alnum(u.id, GH_ID_LEN);
	token_random_alnum(account_id, GH_ID_LEN);
	u.created_at = u.updated_at = clock_now_ms();
	if (password_hash(password, strlen(password), hash) != 0) {
		fprintf(stderr, "gatehouse: hashing failed\n");
		goto out;
	}
	int st = store()->user_insert(&u, account_id, hash);
	if (st == GH_STORE_CONFLICT) {
		fprintf(stderr, "gatehouse: a user with that email or username exists\n");
		goto out;
	}
	if (st != GH_STORE_OK) {
		fprintf(stderr, "gatehouse: could not create the user\n");
		goto out;
	}
	printf("created user %s <%s> role=%s\n", u.id, u.email, u.role);
	if (generated)
		printf("password: %s\n", password);
	rc = 0;
out:
	sodium_memzero(password, sizeof password);
	store_close();
	config_free(&cfg);
	return rc;
}

static void print_user(const struct gh_user *u, void *ctx)
{
	(void)ctx;
	json_t *j = json_user(u);
	char *s = json_dumps(j, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(j);
}

static int cmd_user_list(const struct opts *o)
{
	struct gh_config cfg;
	if (open_for_cli(&cfg, o) != 0)
		return 1;
	int rc = store()->user_list(0, 1000000, print_user, NULL) == GH_STORE_OK ? 0 : 1;
	store_close();
	config_free(&cfg);
	return rc;
}

static int cmd_user_set_password(const struct opts *o)
{
	if (!o->email || !o->password_stdin) {
		fprintf(stderr,
			"gatehouse: user set-password needs --email and --password-stdin\n");
		return 2;
	}
	struct gh_config cfg;
	if (open_for_cli(&cfg, o) != 0)
		return 1;
	int rc = 1;
	char email[GH_EMAIL_MAX + 1], password[4097] = "";
	struct gh_user u;
	char hash[GH_PASSWORD_HASH_MAX];
	if (!normalize_email(o->email, email) || store()->user_by_email(email, &u) != GH_STORE_OK) {
		fprintf(stderr, "gatehouse: no such user\n");
	} else if (read_password_stdin(password, sizeof password) != 0 ||
		   password_check_policy(password, strlen(password)) != GH_PASSWORD_OK) {
		fprintf(stderr, "gatehouse: the password does not meet the policy\n");
	} else if (password_hash(password, strlen(password), hash) != 0 ||
		   store()->credential_set(u.id, hash, clock_now_ms()) != GH_STORE_OK ||
		   store()->session_delete_user(u.id, NULL) != GH_STORE_OK) {
		fprintf(stderr, "gatehouse: could not set the password\n");
	} else {
		printf("password set for %s; their sessions were ended\n", u.email);
		rc = 0;
	}
	sodium_memzero(password, sizeof password);
	store_close();
	config_free(&cfg);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage_main, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *cmd = argv[1];
	const char *sub = argc > 2 && argv[2][0] != '-' ? argv[2] : NULL;
	int shift = sub ? 2 : 1;
	struct opts o;
	if (parse_opts(argc - shift, argv + shift, &o) != 0) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (o.help) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("gatehouse %s\n", GATEHOUSE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "serve") == 0 && !sub) {
		struct gh_config cfg;
		if (app_load_config(&cfg, o.config, true) != 0)
			return 1;
		int rc = app_serve(&cfg);
		config_free(&cfg);
		return rc;
	}
	if (strcmp(cmd, "migrate") == 0 && !sub) {
		struct gh_config cfg;
		if (app_load_config(&cfg, o.config, false) != 0 || app_open_store(&cfg) != 0)
			return 1;
		printf("database is up to date\n");
		store_close();
		config_free(&cfg);
		return 0;
	}
	if (strcmp(cmd, "config") == 0 && sub && strcmp(sub, "check") == 0) {
		struct gh_config cfg;
		if (app_load_config(&cfg, o.config, false) != 0)
			return 1;
		printf("configuration OK%s%s\n", o.config ? ": " : "", o.config ? o.config : "");
		if (!cfg.secret && !cfg.development)
			printf("warning: no secret set; `serve` will refuse to start\n");
		config_free(&cfg);
		return 0;
	}
	if (strcmp(cmd, "user") == 0 && sub) {
		if (strcmp(sub, "create") == 0)
			return cmd_user_create(&o);
		if (strcmp(sub, "list") == 0)
			return cmd_user_list(&o);
		if (strcmp(sub, "set-password") == 0)
			return cmd_user_set_password(&o);
	}
	fprintf(stderr, "gatehouse: unknown command '%s%s%s'\n", cmd, sub ? " " : "",
		sub ? sub : "");
	fputs(usage_main, stderr);
	return 2;
}
