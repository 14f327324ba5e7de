"""
gatehouse_fastapi — read the caller's identity that gatehouse put in front of
your FastAPI app (through nginx ``auth_request``, Traefik ForwardAuth, Caddy
``forward_auth`` or Envoy ext_authz).

The proxy asks gatehouse about every request. On success gatehouse answers
with identity headers and the proxy copies them onto the request it sends to
your app:

    Remote-User         user id            (X-Auth-Request-User)
    Remote-Email        e-mail             (X-Auth-Request-Email)
    Remote-Name         display name
    Remote-Groups       role(s)            (X-Auth-Request-Groups)
    X-Auth-Key-Id       API key id, when the caller used an API key
    X-Auth-Scopes       effective permissions, space-separated
                        ("*:read *:write text:process batch:run")

The headers are only as trustworthy as the network path: the proxy must
overwrite (or delete) whatever the client sent under those names — the
example configurations in ``examples/`` do — and the app must not be
reachable except through the proxy. As a second line of defence this helper
believes the headers only when the TCP peer (``request.client.host``) is one
of ``trusted_proxies`` (default: loopback, or ``$GATEHOUSE_TRUSTED_PROXIES``,
comma-separated IPs/CIDRs; ``"*"`` trusts every peer).

That check needs the TCP peer's address. Uvicorn's (and Gunicorn's)
proxy-headers mode, on by default for connections from 127.0.0.1, replaces
``request.client`` with the address from X-Forwarded-For — the end user, not
the proxy — and the helper then (safely) ignores the identity headers. Start
the app with ``uvicorn --no-proxy-headers`` (read the client's address from
X-Forwarded-For yourself if you need it), or pass ``trusted_proxies="*"``
when the app only listens where nothing but the proxy can reach it (a unix
socket, a private network).

Usage::

    from fastapi import Depends, FastAPI
    from gatehouse_fastapi import (GatehouseIdentity, identity, require_identity,
                                   require_permission, require_role)

    app = FastAPI()

    @app.get("/mcp/tools")
    def tools(who: GatehouseIdentity = Depends(require_identity)):
        return {"user": who.user_id}

    @app.post("/batch/run")
    def run(who: GatehouseIdentity = Depends(require_permission("batch:run"))):
        ...

    @app.post("/query")
    def query(request: Request):
        who = identity(request)          # None for anonymous callers
        ...

For other settings create your own ``Gatehouse(trusted_proxies=[...])`` and
use its methods (``gh.identity``, ``gh.require_identity``, ``gh.require_role(..)``,
``gh.require_permission(..)``) exactly like the module-level ones.

Standard library + FastAPI only; Python 3.9+.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Callable, FrozenSet, Iterable, Optional, Sequence, Tuple, Union

from fastapi import HTTPException, Request, status

__all__ = [
    "Gatehouse",
    "GatehouseIdentity",
    "IDENTITY_HEADERS",
    "configure",
    "default",
    "identity",
    "permission_granted",
    "require_identity",
    "require_permission",
    "require_role",
]

log = logging.getLogger("gatehouse")

#: Every header this helper reads. A proxy in front of the app must set (or
#: clear) all of them on every request.
IDENTITY_HEADERS: Tuple[str, ...] = (
    "remote-user",
    "remote-email",
    "remote-name",
    "remote-groups",
    "x-auth-request-user",
    "x-auth-request-email",
    "x-auth-request-groups",
    "x-auth-key-id",
    "x-auth-scopes",
)

_DEFAULT_TRUSTED = ("127.0.0.1", "::1")
_SPLIT = re.compile(r"[\s,]+")


def permission_granted(grants: Iterable[str], perm: str) -> bool:
    """Whether any grant covers ``perm`` ("resource:action").

    Same rules as gatehouse (src/authz/roles.h): a grant may use ``*`` for
    either part (``*:read``, ``text:*``, ``*:*``) or be ``*`` alone.
    """
    if ":" not in perm:
        return False
    resource, action = perm.split(":", 1)
    for grant in grants:
        if grant in ("*", "*:*", perm):
            return True
        if ":" not in grant:
            continue
        g_res, g_act = grant.split(":", 1)
        if g_res in ("*", resource) and g_act in ("*", action):
            return True
    return False


@dataclass(frozen=True)
class GatehouseIdentity:
    """Who is calling, as gatehouse vouched for it."""

    user_id: str
    email: Optional[str] = None
    name: Optional[str] = None
    #: Roles / groups from Remote-Groups (gatehouse sends the user's role).
    groups: Tuple[str, ...] = ()
    #: The API key's id when the caller authenticated with an API key.
    key_id: Optional[str] = None
    #: Effective permissions (owner's role narrowed by the key's permissions).
    scopes: FrozenSet[str] = field(default_factory=frozenset)

    @property
    def role(self) -> Optional[str]:
        """The primary role (first group), e.g. "admin", "user", "readonly"."""
        return self.groups[0] if self.groups else None

    @property
    def via_api_key(self) -> bool:
        return self.key_id is not None

    def has_role(self, role: str) -> bool:
        return role in self.groups

    def has_permission(self, perm: str) -> bool:
        return permission_granted(self.scopes, perm)

    def as_dict(self) -> dict:
        """JSON-friendly form (scopes sorted)."""
        return {
            "user_id": self.user_id,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "groups": list(self.groups),
            "key_id": self.key_id,
            "scopes": sorted(self.scopes),
        }


_Net = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def _parse_proxies(spec: Union[str, Iterable[str], None]) -> Tuple[bool, Tuple[_Net, ...]]:
    """-> (trust_all, networks). Raises ValueError on a malformed entry."""
    if spec is None:
        env = os.environ.get("GATEHOUSE_TRUSTED_PROXIES")
        spec = env if env is not None and env.strip() else _DEFAULT_TRUSTED
    if isinstance(spec, str):
        spec = [s for s in _SPLIT.split(spec) if s]
    nets = []
    for entry in spec:
        entry = entry.strip()
        if entry == "*":
            return True, ()
        # strict=True: "10.0.0.1/8" is a mistake, as in gatehouse's config.
        nets.append(ipaddress.ip_network(entry, strict=True))
    return False, tuple(nets)


def _first(request: Request, *names: str) -> Optional[str]:
    for name in names:
        value = request.headers.get(name)
        if value is not None:
            value = value.strip()
            if value:
                return value
    return None


class Gatehouse:
    """Reads gatehouse identity headers; FastAPI dependencies for access rules.

    trusted_proxies: peers whose identity headers are believed — IP addresses
        or CIDR blocks (list or comma/space-separated string); ``"*"`` trusts
        every peer (only when nothing but the proxy can reach the app).
        None: ``$GATEHOUSE_TRUSTED_PROXIES``, else loopback.
    realm: realm of the ``WWW-Authenticate: Bearer`` challenge on 401.
    """

    def __init__(self, trusted_proxies: Union[str, Sequence[str], None] = None,
                 realm: str = "gatehouse"):
        self._trust_all, self._nets = _parse_proxies(trusted_proxies)
        self._challenge = {"WWW-Authenticate": f'Bearer realm="{realm}"'}

    # ------------------------------------------------------------ reading

    def peer_trusted(self, request: Request) -> bool:
        """Whether the TCP peer of this request is a trusted proxy."""
        if self._trust_all:
            return True
        client = request.client
        if client is None or not client.host:
            # e.g. uvicorn --proxy-headers with every X-Forwarded-For hop
            # trusted: the peer is unknown, so nothing is vouched for.
            return False
        try:
            addr = ipaddress.ip_address(client.host.split("%", 1)[0])
        except ValueError:
            return False  # a unix socket path, "testclient", ...
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
            addr = addr.ipv4_mapped
        return any(addr in net for net in self._nets)

    def identity(self, request: Request) -> Optional[GatehouseIdentity]:
        """The caller's identity, or None (anonymous, or untrusted peer)."""
        user = _first(request, "remote-user", "x-auth-request-user")
        if user is None:
            return None
        if not self.peer_trusted(request):
            client = request.client.host if request.client else "?"
            log.warning("ignoring gatehouse identity headers from untrusted peer %s", client)
            return None
        groups_raw = _first(request, "remote-groups", "x-auth-request-groups") or ""
        scopes_raw = _first(request, "x-auth-scopes") or ""
        return GatehouseIdentity(
            user_id=user,
            email=_first(request, "remote-email", "x-auth-request-email"),
            name=_first(request, "remote-name"),
            groups=tuple(g for g in _SPLIT.split(groups_raw) if g),
            key_id=_first(request, "x-auth-key-id"),
            scopes=frozenset(s for s in _SPLIT.split(scopes_raw) if s),
        )

    # -------------------------------------------------------- dependencies

    def _unauthorized(self) -> HTTPException:
        return HTTPException(status.HTTP_401_UNAUTHORIZED, "authentication required",
                             headers=dict(self._challenge))

    def require_identity(self, request: Request) -> GatehouseIdentity:
        """Dependency: any authenticated caller, else 401."""
        who = self.identity(request)
        if who is None:
            raise self._unauthorized()
        return who

    def require_role(self, role: str) -> Callable[[Request], GatehouseIdentity]:
        """Dependency factory: the caller has ``role`` (401 anonymous, 403 other)."""
        def dependency(request: Request) -> GatehouseIdentity:
            who = self.require_identity(request)
            if not who.has_role(role):
                raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {role!r} required")
            return who
        dependency.__name__ = f"require_role_{role}"
        return dependency

    def require_permission(self, perm: str) -> Callable[[Request], GatehouseIdentity]:
        """Dependency factory: the caller's scopes grant ``perm`` (401/403)."""
        if ":" not in perm:
            raise ValueError(f"permission must be 'resource:action', got {perm!r}")

        def dependency(request: Request) -> GatehouseIdentity:
            who = self.require_identity(request)
            if not who.has_permission(perm):
                raise HTTPException(status.HTTP_403_FORBIDDEN, f"permission {perm!r} required")
            return who
        dependency.__name__ = "require_permission_" + re.sub(r"\W", "_", perm)
        return dependency


#: The module-level instance used by the functions below.
default = Gatehouse()


def configure(trusted_proxies: Union[str, Sequence[str], None] = None,
              realm: str = "gatehouse") -> Gatehouse:
    """Replaces the module-level settings; call once at start-up, before
    the dependencies below are used in routes."""
    global default
    default = Gatehouse(trusted_proxies=trusted_proxies, realm=realm)
    return default


def identity(request: Request) -> Optional[GatehouseIdentity]:
    return default.identity(request)


def require_identity(request: Request) -> GatehouseIdentity:
    return default.require_identity(request)


def require_role(role: str) -> Callable[[Request], GatehouseIdentity]:
    def dependency(request: Request) -> GatehouseIdentity:
        return default.require_role(role)(request)
    dependency.__name__ = f"require_role_{role}"
    return dependency


def require_permission(perm: str) -> Callable[[Request], GatehouseIdentity]:
    if ":" not in perm:
        raise ValueError(f"permission must be 'resource:action', got {perm!r}")

    def dependency(request: Request) -> GatehouseIdentity:
        return default.require_permission(perm)(request)
    dependency.__name__ = "require_permission_" + re.sub(r"\W", "_", perm)
    return dependency
