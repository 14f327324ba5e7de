/* roles — see roles.h. */
#include "authz/roles.h"

#include "core/config.h"

#include <stdio.h>
#include <string.h>

struct role {
	const char *name;
	char *const *grants;
	int n;
	char scopes[1024];
};

static char *const admin_grants[] = {"*:*"};
static char *const user_grants[] = {"*:read", "*:write", "text:process", "batch:run"};
static char *const readonly_grants[] = {"*:read"};

static struct role table[3 + GH_MAX_ROLES];
static int n_roles;

static void add_role(const char *name, char *const *grants, int n)
{
	struct role *r = &table[n_roles++];
	r->name = name;
	r->grants = grants;
	r->n = n;
	size_t at = 0;
	r->scopes[0] = 0;
	for (int i = 0; i < n; i++) {
		int w = snprintf(r->scopes + at, sizeof r->scopes - at, "%s%s", i ? " " : "",
				 grants[i]);
		if (w < 0 || (size_t)w >= sizeof r->scopes - at)
			break;
		at += (size_t)w;
	}
}

int roles_init(const struct gh_config *cfg)
{
	n_roles = 0;
	add_role("admin", admin_grants, 1);
	add_role("user", user_grants, 4);
	add_role("readonly", readonly_grants, 1);
	for (int i = 0; i < cfg->n_roles; i++)
		add_role(cfg->roles[i].name, cfg->roles[i].permissions,
			 cfg->roles[i].n_permissions);
	return 0;
}

static const struct role *find(const char *name)
{
	for (int i = 0; i < n_roles; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

bool roles_exists(const char *role)
{
	return find(role) != NULL;
}

/* "a:b" matched part by part; "*" alone grants everything. */
bool roles_grant_covers(const char *grant, const char *perm)
{
	if (strcmp(grant, "*") == 0)
		return true;
	const char *gc = strchr(grant, ':'), *pc = strchr(perm, ':');
	if (!gc || !pc)
		return false;
	size_t gr = (size_t)(gc - grant), pr = (size_t)(pc - perm);
	bool res_ok = (gr == 1 && grant[0] == '*') || (gr == pr && memcmp(grant, perm, gr) == 0);
	bool act_ok = strcmp(gc + 1, "*") == 0 || strcmp(gc + 1, pc + 1) == 0;
	return res_ok && act_ok;
}

bool roles_list_grants(char *const *grants, int n, const char *perm)
{
	for (int i = 0; i < n; i++)
		if (roles_grant_covers(grants[i], perm))
			return true;
	return false;
}

bool roles_grants(const char *role, const char *perm)
{
	const struct role *r = find(role);
	return r && roles_list_grants(r->grants, r->n, perm);
}

const char *roles_scopes(const char *role)
{
	const struct role *r = find(role);
	return r ? r->scopes : "";
}

static bool valid_part(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	if (n == 1 && s[0] == '*')
		return true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

bool roles_valid_permission(const char *perm)
{
	const char *c = strchr(perm, ':');
	if (!c || strchr(c + 1, ':'))
		return false;
	return valid_part(perm, (size_t)(c - perm)) && valid_part(c + 1, strlen(c + 1));
}
