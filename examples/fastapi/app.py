"""
Example FastAPI service protected by gatehouse (seed layouts 000/002/004):

    /api/v1/health, /api/v1/*   public     anyone; never sees an identity
    /mcp/*                      authenticated (MCP tools for signed-in users/keys)
    /query                      optional   anonymous RAG queries allowed; answers
                                           are personalised when an identity is sent
    /internal/*                 role:admin
    /batch/run                  permission:batch:run

The access rules live in gatehouse's `policies:` (the proxy enforces them
before a request gets here); the dependencies below repeat them so the app
is safe even if a proxy rule is ever too loose (defence in depth), and give
handlers a typed identity. Every handler echoes the identity it received, so
tests can check what reached the app.

Run (behind nginx, see examples/nginx/gatehouse.conf):

    /usr/bin/python3 -m uvicorn --app-dir examples/fastapi app:app \
        --host 127.0.0.1 --port 8000 --no-proxy-headers

(--no-proxy-headers keeps request.client the proxy's address, which the
helper checks against GATEHOUSE_TRUSTED_PROXIES; with uvicorn's default
proxy-headers mode it would be the end user's address from X-Forwarded-For
and every identity would be ignored — see examples/python/gatehouse_fastapi.py.)

Settings (environment):
    GATEHOUSE_TRUSTED_PROXIES   peers whose identity headers are believed
                                (default 127.0.0.1, ::1: nginx on this host)
"""
from __future__ import annotations

import os
import sys
from typing import Any, Optional

from fastapi import Body, Depends, FastAPI, Request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from gatehouse_fastapi import (  # noqa: E402  (path set up above)
    IDENTITY_HEADERS,
    GatehouseIdentity,
    identity,
    require_identity,
    require_permission,
    require_role,
)

app = FastAPI(title="gatehouse example API", version="1.0.0")


def echo(request: Request, route: str, who: Optional[GatehouseIdentity], **extra: Any) -> dict:
    """What this request looked like from inside the app."""
    return {
        "route": route,
        "method": request.method,
        "path": request.url.path,
        "identity": who.as_dict() if who else None,
        # Raw identity headers as received (shows whether a proxy let a
        # client-sent value through; the helper would still ignore them from
        # an untrusted peer).
        "received": {h: request.headers.get(h) for h in IDENTITY_HEADERS
                     if request.headers.get(h) is not None},
        **extra,
    }


# ------------------------------------------------------------------ public

@app.get("/api/v1/health")
def health(request: Request) -> dict:
    return echo(request, "health", identity(request), status="ok")


@app.api_route("/api/v1/{rest:path}", methods=["GET", "POST"])
def public_api(rest: str, request: Request) -> dict:
    return echo(request, "public", identity(request))


# ---------------------------------------------------------- authenticated

@app.api_route("/mcp/{rest:path}", methods=["GET", "POST"])
def mcp(rest: str, request: Request, who: GatehouseIdentity = Depends(require_identity)) -> dict:
    tools = ["search", "summarize"]
    if who.has_permission("text:process"):
        tools.append("process_text")
    return echo(request, "mcp", who, tools=tools)


# --------------------------------------------------------------- optional

@app.api_route("/query", methods=["GET", "POST"])
def query(request: Request, payload: Optional[dict] = Body(default=None)) -> dict:
    who = identity(request)
    q = (payload or {}).get("q") or request.query_params.get("q") or ""
    if who is None:
        answer = {"mode": "anonymous", "results": 3, "history_saved": False}
    else:
        answer = {"mode": "personalized", "results": 10, "history_saved": True,
                  "greeting": f"Hello {who.name or who.email or who.user_id}"}
    return echo(request, "query", who, q=q, **answer)


# ------------------------------------------------------------------ admin

@app.api_route("/internal/{rest:path}", methods=["GET", "POST"])
def internal(rest: str, request: Request,
             who: GatehouseIdentity = Depends(require_role("admin"))) -> dict:
    return echo(request, "internal", who, stats={"users": 42})


# -------------------------------------------------------------- permission

@app.api_route("/batch/run", methods=["GET", "POST"])
def batch_run(request: Request,
              who: GatehouseIdentity = Depends(require_permission("batch:run"))) -> dict:
    return echo(request, "batch", who, job="queued")
