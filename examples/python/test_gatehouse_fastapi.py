"""
Tests for gatehouse_fastapi and the example app (examples/fastapi/app.py).

    /usr/bin/python3 -m unittest discover -s examples/python -v

(Debian's python3-fastapi / python3-httpx; no network, no gatehouse needed.)
The proxy-facing behaviour with a real gatehouse and nginx is covered by
tests/integration/forward-auth.test.mjs.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import sys
import unittest
from unittest import mock

from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gatehouse_fastapi as gf  # noqa: E402
from gatehouse_fastapi import Gatehouse, GatehouseIdentity, permission_granted  # noqa: E402

# The helper warns about every ignored untrusted header set; keep the test
# output readable (test_untrusted_peer_is_logged checks the warning).
logging.getLogger("gatehouse").setLevel(logging.ERROR)


class Peer:
    """ASGI wrapper: makes every request come from `host` (TestClient always
    reports the peer "testclient", which is no IP address)."""

    def __init__(self, app, host: str):
        self.app = app
        self.host = host

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope, client=(self.host, 40000))
        await self.app(scope, receive, send)


USER_HEADERS = {
    "Remote-User": "usr_alice",
    "Remote-Email": "alice@example.com",
    "Remote-Name": "Alice Liddell",
    "Remote-Groups": "user",
    "X-Auth-Scopes": "*:read *:write text:process batch:run",
}
ADMIN_HEADERS = {
    "Remote-User": "usr_root",
    "Remote-Email": "root@example.com",
    "Remote-Groups": "admin",
    "X-Auth-Scopes": "*:*",
}
READONLY_KEY_HEADERS = {
    "Remote-User": "usr_rita",
    "Remote-Groups": "readonly",
    "X-Auth-Key-Id": "key_123",
    "X-Auth-Scopes": "*:read",
}


def probe_app(gh: Gatehouse) -> FastAPI:
    """A tiny app exposing each dependency of `gh`."""
    app = FastAPI()

    @app.get("/who")
    def who(request: Request):
        ident = gh.identity(request)
        return {"identity": ident.as_dict() if ident else None}

    @app.get("/authn")
    def authn(ident: GatehouseIdentity = Depends(gh.require_identity)):
        return ident.as_dict()

    @app.get("/admin")
    def admin(ident: GatehouseIdentity = Depends(gh.require_role("admin"))):
        return ident.as_dict()

    @app.get("/batch")
    def batch(ident: GatehouseIdentity = Depends(gh.require_permission("batch:run"))):
        return ident.as_dict()

    return app


def client(app, peer: str = "127.0.0.1") -> TestClient:
    return TestClient(Peer(app, peer))


class PermissionGrantTests(unittest.TestCase):
    def test_exact_and_wildcards(self):
        cases = [
            (["batch:run"], "batch:run", True),
            (["batch:run"], "batch:cancel", False),
            (["*:read"], "analytics:read", True),
            (["*:read"], "analytics:write", False),
            (["text:*"], "text:process", True),
            (["text:*"], "batch:run", False),
            (["*:*"], "anything:at-all", True),
            (["*"], "batch:run", True),
            ([], "batch:run", False),
            (["batch"], "batch:run", False),          # malformed grant covers nothing
            (["*:read", "batch:run"], "batch:run", True),
        ]
        for grants, perm, want in cases:
            with self.subTest(grants=grants, perm=perm):
                self.assertIs(permission_granted(grants, perm), want)

    def test_permission_without_action_is_never_granted(self):
        self.assertFalse(permission_granted(["*"], "batch"))
        self.assertFalse(permission_granted(["*:*"], ""))


class IdentityParsingTests(unittest.TestCase):
    def setUp(self):
        self.c = client(probe_app(Gatehouse(trusted_proxies="127.0.0.1")))

    def test_all_headers_become_fields(self):
        h = dict(USER_HEADERS, **{"X-Auth-Key-Id": "key_abc"})
        got = self.c.get("/who", headers=h).json()["identity"]
        self.assertEqual(got, {
            "user_id": "usr_alice",
            "email": "alice@example.com",
            "name": "Alice Liddell",
            "role": "user",
            "groups": ["user"],
            "key_id": "key_abc",
            "scopes": sorted(["*:read", "*:write", "text:process", "batch:run"]),
        })

    def test_no_headers_is_anonymous(self):
        self.assertIsNone(self.c.get("/who").json()["identity"])

    def test_empty_remote_user_is_anonymous(self):
        # nginx sends an empty value when auth_request_set captured nothing
        h = {"Remote-User": "  ", "Remote-Groups": "admin", "X-Auth-Scopes": "*:*"}
        self.assertIsNone(self.c.get("/who", headers=h).json()["identity"])

    def test_oauth2_proxy_header_family_is_a_fallback(self):
        h = {"X-Auth-Request-User": "usr_bob", "X-Auth-Request-Email": "bob@example.com",
             "X-Auth-Request-Groups": "readonly"}
        got = self.c.get("/who", headers=h).json()["identity"]
        self.assertEqual((got["user_id"], got["email"], got["role"]),
                         ("usr_bob", "bob@example.com", "readonly"))
        self.assertIsNone(got["key_id"])
        self.assertEqual(got["scopes"], [])

    def test_remote_family_wins_over_x_auth_request(self):
        h = {"Remote-User": "usr_a", "X-Auth-Request-User": "usr_b"}
        self.assertEqual(self.c.get("/who", headers=h).json()["identity"]["user_id"], "usr_a")

    def test_groups_split_on_commas_and_spaces(self):
        h = {"Remote-User": "u1", "Remote-Groups": "editor, admin ops"}
        got = self.c.get("/who", headers=h).json()["identity"]
        self.assertEqual(got["groups"], ["editor", "admin", "ops"])
        self.assertEqual(got["role"], "editor")
        self.assertEqual(self.c.get("/admin", headers=h).status_code, 200)

    def test_dataclass_helpers(self):
        who = GatehouseIdentity(user_id="u", groups=("readonly",), key_id="k",
                                scopes=frozenset({"*:read"}))
        self.assertTrue(who.via_api_key)
        self.assertTrue(who.has_role("readonly"))
        self.assertFalse(who.has_role("admin"))
        self.assertTrue(who.has_permission("analytics:read"))
        self.assertFalse(who.has_permission("batch:run"))
        self.assertFalse(GatehouseIdentity(user_id="u").via_api_key)
        self.assertIsNone(GatehouseIdentity(user_id="u").role)


class TrustedProxyTests(unittest.TestCase):
    def who(self, gh: Gatehouse, peer: str, headers=USER_HEADERS):
        return client(probe_app(gh), peer).get("/who", headers=headers).json()["identity"]

    def test_untrusted_peer_headers_are_ignored(self):
        gh = Gatehouse(trusted_proxies=["10.0.0.5"])
        self.assertIsNone(self.who(gh, "10.0.0.6"))
        self.assertEqual(self.who(gh, "10.0.0.5")["user_id"], "usr_alice")

    def test_untrusted_peer_is_logged(self):
        gh = Gatehouse(trusted_proxies="10.0.0.5")
        with self.assertLogs("gatehouse", "WARNING") as logs:
            self.assertIsNone(self.who(gh, "192.0.2.44"))
        self.assertIn("192.0.2.44", logs.output[0])

    def test_untrusted_peer_gets_401_not_the_forged_identity(self):
        c = client(probe_app(Gatehouse(trusted_proxies="10.0.0.5")), "192.0.2.1")
        r = c.get("/authn", headers=ADMIN_HEADERS)
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.headers.get("www-authenticate"), 'Bearer realm="gatehouse"')
        self.assertEqual(c.get("/admin", headers=ADMIN_HEADERS).status_code, 401)

    def test_cidr_blocks(self):
        gh = Gatehouse(trusted_proxies="10.0.0.0/8, 192.168.1.0/24")
        self.assertIsNotNone(self.who(gh, "10.200.3.4"))
        self.assertIsNotNone(self.who(gh, "192.168.1.77"))
        self.assertIsNone(self.who(gh, "192.168.2.1"))
        self.assertIsNone(self.who(gh, "11.0.0.1"))

    def test_ipv6_and_ipv4_mapped(self):
        with mock.patch.dict(os.environ):
            os.environ.pop("GATEHOUSE_TRUSTED_PROXIES", None)
            gh = Gatehouse()  # default: loopback only
        self.assertIsNotNone(self.who(gh, "::1"))
        self.assertIsNotNone(self.who(gh, "::ffff:127.0.0.1"))
        self.assertIsNotNone(self.who(gh, "127.0.0.1"))
        self.assertIsNone(self.who(gh, "127.0.0.2"))
        self.assertIsNone(self.who(gh, "2001:db8::1"))

    def test_non_ip_peer_is_untrusted(self):
        gh = Gatehouse(trusted_proxies="127.0.0.1")
        self.assertIsNone(self.who(gh, "testclient"))
        self.assertIsNone(self.who(gh, ""))

    def test_uvicorn_proxy_headers_fail_closed(self):
        # uvicorn's --proxy-headers (default for peers in --forwarded-allow-ips)
        # replaces request.client with the X-Forwarded-For address; the helper
        # then sees the end user, not nginx, and must ignore the headers.
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
        gh = Gatehouse(trusted_proxies="127.0.0.1")
        app = ProxyHeadersMiddleware(probe_app(gh), trusted_hosts="127.0.0.1")
        c = client(app, "127.0.0.1")
        h = dict(USER_HEADERS, **{"X-Forwarded-For": "203.0.113.9"})
        self.assertIsNone(c.get("/who", headers=h).json()["identity"])
        self.assertEqual(c.get("/authn", headers=h).status_code, 401)
        # every hop trusted -> client host None -> still no identity
        h = dict(USER_HEADERS, **{"X-Forwarded-For": "127.0.0.1"})
        self.assertIsNone(c.get("/who", headers=h).json()["identity"])
        # without proxy-headers (uvicorn --no-proxy-headers) nginx's address counts
        self.assertEqual(self.who(gh, "127.0.0.1", h)["user_id"], "usr_alice")

    def test_star_trusts_every_peer(self):
        gh = Gatehouse(trusted_proxies="*")
        self.assertEqual(self.who(gh, "203.0.113.9")["user_id"], "usr_alice")
        self.assertEqual(self.who(gh, "testclient")["user_id"], "usr_alice")

    def test_environment_default(self):
        with mock.patch.dict(os.environ, {"GATEHOUSE_TRUSTED_PROXIES": "172.16.0.0/12"}):
            gh = Gatehouse()
        self.assertIsNotNone(self.who(gh, "172.20.1.1"))
        self.assertIsNone(self.who(gh, "127.0.0.1"))

    def test_malformed_entries_are_rejected(self):
        for bad in ("10.0.0.1/8", "not-an-ip", "300.1.1.1"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                Gatehouse(trusted_proxies=bad)


class DependencyTests(unittest.TestCase):
    def setUp(self):
        self.c = client(probe_app(Gatehouse(trusted_proxies="127.0.0.1")))

    def test_require_identity(self):
        r = self.c.get("/authn")
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.headers["www-authenticate"], 'Bearer realm="gatehouse"')
        r = self.c.get("/authn", headers=READONLY_KEY_HEADERS)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["key_id"], "key_123")

    def test_require_role(self):
        self.assertEqual(self.c.get("/admin").status_code, 401)
        r = self.c.get("/admin", headers=USER_HEADERS)
        self.assertEqual(r.status_code, 403)
        self.assertIn("admin", r.json()["detail"])
        r = self.c.get("/admin", headers=ADMIN_HEADERS)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["user_id"], "usr_root")

    def test_require_permission(self):
        self.assertEqual(self.c.get("/batch").status_code, 401)
        self.assertEqual(self.c.get("/batch", headers=READONLY_KEY_HEADERS).status_code, 403)
        self.assertEqual(self.c.get("/batch", headers=USER_HEADERS).status_code, 200)
        self.assertEqual(self.c.get("/batch", headers=ADMIN_HEADERS).status_code, 200)
        # a key narrowed to text:process, owned by a user whose role has batch:run
        narrowed = dict(USER_HEADERS, **{"X-Auth-Key-Id": "k9", "X-Auth-Scopes": "text:process"})
        self.assertEqual(self.c.get("/batch", headers=narrowed).status_code, 403)

    def test_role_is_not_a_permission(self):
        # Remote-Groups: admin without scopes does not grant batch:run — the
        # helper trusts X-Auth-Scopes, it does not re-derive role grants.
        h = {"Remote-User": "u", "Remote-Groups": "admin"}
        self.assertEqual(self.c.get("/batch", headers=h).status_code, 403)
        self.assertEqual(self.c.get("/admin", headers=h).status_code, 200)

    def test_bad_permission_names_fail_at_definition(self):
        with self.assertRaises(ValueError):
            gf.require_permission("batch")
        with self.assertRaises(ValueError):
            Gatehouse().require_permission("")


class ModuleLevelTests(unittest.TestCase):
    def setUp(self):
        self.saved = gf.default

    def tearDown(self):
        gf.default = self.saved

    def test_configure_changes_module_functions(self):
        app = FastAPI()

        @app.get("/b")
        def b(ident: GatehouseIdentity = Depends(gf.require_permission("batch:run"))):
            return ident.as_dict()

        gf.configure(trusted_proxies="10.9.9.9")
        self.assertEqual(client(app, "127.0.0.1").get("/b", headers=USER_HEADERS).status_code, 401)
        self.assertEqual(client(app, "10.9.9.9").get("/b", headers=USER_HEADERS).status_code, 200)
        gf.configure(trusted_proxies="127.0.0.1")
        self.assertEqual(client(app, "127.0.0.1").get("/b", headers=USER_HEADERS).status_code, 200)


def load_example_app():
    path = os.path.join(HERE, "..", "fastapi", "app.py")
    spec = importlib.util.spec_from_file_location("gatehouse_example_app", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.app


class ExampleAppTests(unittest.TestCase):
    """examples/fastapi/app.py seen from nginx on loopback."""

    @classmethod
    def setUpClass(cls):
        cls.saved = gf.default
        gf.configure(trusted_proxies="127.0.0.1")
        cls.app = load_example_app()

    @classmethod
    def tearDownClass(cls):
        gf.default = cls.saved

    def setUp(self):
        self.c = client(self.app)

    def test_health_is_public(self):
        r = self.c.get("/api/v1/health")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["status"], "ok")
        self.assertIsNone(r.json()["identity"])
        r = self.c.get("/api/v1/models")
        self.assertEqual((r.status_code, r.json()["route"]), (200, "public"))

    def test_query_anonymous_vs_identified(self):
        anon = self.c.post("/query", json={"q": "what is RAG"}).json()
        self.assertEqual((anon["mode"], anon["q"]), ("anonymous", "what is RAG"))
        self.assertIsNone(anon["identity"])
        me = self.c.post("/query", json={"q": "x"}, headers=USER_HEADERS).json()
        self.assertEqual(me["mode"], "personalized")
        self.assertEqual(me["identity"]["user_id"], "usr_alice")
        self.assertEqual(me["greeting"], "Hello Alice Liddell")
        self.assertEqual(self.c.get("/query?q=hi").json()["q"], "hi")

    def test_query_from_untrusted_peer_is_anonymous_but_headers_are_visible(self):
        r = client(self.app, "198.51.100.7").get("/query", headers=ADMIN_HEADERS).json()
        self.assertEqual(r["mode"], "anonymous")
        self.assertEqual(r["received"]["remote-user"], "usr_root")

    def test_mcp_needs_identity(self):
        self.assertEqual(self.c.get("/mcp/tools").status_code, 401)
        r = self.c.get("/mcp/tools", headers=USER_HEADERS).json()
        self.assertEqual(r["route"], "mcp")
        self.assertIn("process_text", r["tools"])
        r = self.c.get("/mcp/tools", headers=READONLY_KEY_HEADERS).json()
        self.assertNotIn("process_text", r["tools"])
        self.assertEqual(r["identity"]["key_id"], "key_123")

    def test_internal_is_admin_only(self):
        self.assertEqual(self.c.get("/internal/stats").status_code, 401)
        self.assertEqual(self.c.get("/internal/stats", headers=USER_HEADERS).status_code, 403)
        r = self.c.get("/internal/stats", headers=ADMIN_HEADERS)
        self.assertEqual((r.status_code, r.json()["stats"]), (200, {"users": 42}))

    def test_batch_needs_permission(self):
        self.assertEqual(self.c.post("/batch/run").status_code, 401)
        self.assertEqual(self.c.post("/batch/run", headers=READONLY_KEY_HEADERS).status_code, 403)
        r = self.c.post("/batch/run", headers=USER_HEADERS)
        self.assertEqual((r.status_code, r.json()["job"]), (200, "queued"))


if __name__ == "__main__":
    unittest.main()
