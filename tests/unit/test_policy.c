/*
 * Unit tests for authz/policy (globs, first-match rules) and authz/roles
 * (grants, wildcards, narrowing rules).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "authz/policy.h"
#include "authz/roles.h"
#include "core/config.h"

static void glob_segments(void **state)
{
	(void)state;
	assert_true(policy_glob_match("/api/v1/*", "/api/v1/health"));
	assert_true(policy_glob_match("/api/v1/*", "/api/v1/a/b/c")); /* trailing star: the rest */
	assert_true(policy_glob_match("/api/*/items", "/api/v2/items"));
	assert_false(
	    policy_glob_match("/api/*/items", "/api/v2/x/items")); /* inner star: one segment */
	assert_true(policy_glob_match("/api/**/items", "/api/v2/x/items"));
	assert_false(policy_glob_match("/api/v1/*", "/api/v2/health"));
	assert_false(policy_glob_match("/query", "/query2"));
	assert_true(policy_glob_match("/files/*.txt", "/files/a.txt"));
	assert_false(policy_glob_match("/files/*.txt", "/files/a/b.txt"));
	assert_true(policy_glob_match("*", "/anything/at/all"));
}

static void glob_is_not_exponential(void **state)
{
	(void)state;
	char text[4096];
	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = 0;
	/* a classic catastrophic pattern for naive recursive matchers */
	assert_false(policy_glob_match("**a**a**a**a**a**a**a**b", text));
}

static void hosts(void **state)
{
	(void)state;
	assert_true(policy_host_match("*.example.com", "api.example.com"));
	assert_true(policy_host_match("*.example.com", "API.Example.com:8443"));
	assert_false(policy_host_match("*.example.com", "example.org"));
	assert_true(policy_host_match("api.example.com", "api.example.com:80"));
	assert_false(policy_host_match("api.example.com", "xapi.example.com"));
}

static struct gh_config cfg;

static int setup_rules(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof cfg);
	static char p0[] = "/api/v1/*", p1[] = "/mcp/", p2[] = "/query", p3[] = "/internal/*",
		    p4[] = "/reports/*", h4[] = "reports.example.com", p5[] = "/admin/*",
		    role_admin[] = "admin";
	cfg.policies[0] = (struct gh_policy_rule){
	    .path = p0, .methods = GH_GET | GH_HEAD, .access = GH_ACCESS_PUBLIC};
	cfg.policies[1] = (struct gh_policy_rule){.path = p1, .access = GH_ACCESS_AUTHENTICATED};
	cfg.policies[2] = (struct gh_policy_rule){.path = p2, .access = GH_ACCESS_OPTIONAL};
	cfg.policies[3] =
	    (struct gh_policy_rule){.path = p3, .access = GH_ACCESS_ROLE, .arg = role_admin};
	cfg.policies[4] =
	    (struct gh_policy_rule){.path = p4, .host = h4, .access = GH_ACCESS_PUBLIC};
	cfg.policies[5] = (struct gh_policy_rule){.path = p5, .access = GH_ACCESS_DENY};
	cfg.n_policies = 6;
	policy_init(&cfg);
	roles_init(&cfg);
	return 0;
}

static void first_match_and_default_deny(void **state)
{
	(void)state;
	assert_ptr_equal(policy_match(NULL, "/api/v1/x", GH_GET), &cfg.policies[0]);
	assert_null(policy_match(NULL, "/api/v1/x", GH_POST)); /* method not listed */
	assert_ptr_equal(policy_match(NULL, "/mcp/tools", GH_POST), &cfg.policies[1]); /* prefix */
	assert_null(policy_match(NULL, "/mcp", GH_GET));
	assert_ptr_equal(policy_match("h", "/query", GH_POST), &cfg.policies[2]);
	assert_ptr_equal(policy_match("reports.example.com", "/reports/q1", GH_GET),
			 &cfg.policies[4]);
	assert_null(policy_match("other.example.com", "/reports/q1", GH_GET));
	assert_null(policy_match(NULL, "/reports/q1", GH_GET)); /* host rule needs a host */
	assert_ptr_equal(policy_match(NULL, "/admin/x", GH_GET), &cfg.policies[5]);
	assert_null(policy_match(NULL, "/nothing", GH_GET));
}

static void builtin_roles(void **state)
{
	(void)state;
	assert_true(roles_grants("admin", "users:ban"));
	assert_true(roles_grants("user", "analytics:read"));
	assert_true(roles_grants("user", "batch:run"));
	assert_false(roles_grants("user", "users:ban"));
	assert_true(roles_grants("readonly", "text:read"));
	assert_false(roles_grants("readonly", "text:write"));
	assert_false(roles_grants("nosuchrole", "text:read"));
	assert_string_equal(roles_scopes("readonly"), "*:read");
}

static void permission_syntax(void **state)
{
	(void)state;
	assert_true(roles_valid_permission("text:process"));
	assert_true(roles_valid_permission("text:*"));
	assert_true(roles_valid_permission("*:read"));
	assert_false(roles_valid_permission("text"));
	assert_false(roles_valid_permission("a:b:c"));
	assert_false(roles_valid_permission(":x"));
	assert_false(roles_valid_permission("te xt:read"));
	assert_true(roles_grant_covers("text:*", "text:process"));
	assert_false(roles_grant_covers("text:*", "textx:process"));
	assert_true(roles_grant_covers("*", "anything:at"));
}

static void normalised(const char *in, const char *expect)
{
	char out[256];
	bool ok = policy_normalize_path(in, out, sizeof out);
	if (!expect) {
		assert_false(ok);
		return;
	}
	assert_true(ok);
	assert_string_equal(out, expect);
}

static void path_normalisation(void **state)
{
	(void)state;
	normalised("/api/v1/health", "/api/v1/health");
	normalised("/api/v1/../internal/x", "/api/internal/x");
	normalised("/api/v1/../../internal/x", "/internal/x");
	normalised("/api/v1/%2e%2e/%2e%2e/internal/x", "/internal/x");
	normalised("/api/v1/%2E%2E/x", "/api/x");
	normalised("/api/v1/.%2e/x", "/api/x");
	normalised("/api/v1/./../../internal", "/internal");
	normalised("/api/../../internal", NULL); /* above the root */
	normalised("/..", NULL);
	normalised("//internal//x", "/internal/x");
	normalised("/mcp/", "/mcp/");
	normalised("/mcp/.", "/mcp/");
	normalised("/a/b/..", "/a/");
	normalised("/", "/");
	normalised("/api/v1%2F..%2Finternal", NULL); /* encoded slash */
	normalised("/api\\internal", NULL);
	normalised("/%7Euser/%41", "/~user/A");
	normalised("/keep%20space", "/keep%20space");
	normalised("relative", NULL);
	normalised("/a/%%32e%%32e/x", NULL); /* would decode into %2e%2e */
	normalised("/a/%zz", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(glob_segments),
	    cmocka_unit_test(glob_is_not_exponential),
	    cmocka_unit_test(hosts),
	    cmocka_unit_test_setup(first_match_and_default_deny, setup_rules),
	    cmocka_unit_test_setup(builtin_roles, setup_rules),
	    cmocka_unit_test(permission_syntax),
	    cmocka_unit_test(path_normalisation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
