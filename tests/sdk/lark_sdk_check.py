#!/usr/bin/env python3
"""Drives Aviary's Lark simulator with Lark's official Python SDK (`lark-oapi`) and checks that
every call succeeds and that the counts the SDK sees match the simulated tenant.

    lark_sdk_check.py --base-url http://127.0.0.1:9400 --app-id cli_... [--page-size N]

The App Secret comes from the environment variable AVIARY_SIM_APP_SECRET. The SDK fetches and
caches the tenant access token itself. Calls, in order:

  tenant.v2.tenant.query
  contact.v3.scope.list                               (all pages)
  contact.v3.department.children "0", fetch_child=True (all pages; the SDK sends "True")
  contact.v3.user.find_by_department for "0" and every department (all pages)
  contact.v3.user.batch with up to 50 of the listed users
  contact.v3.group.simplelist type 1 and 2 (all pages), then
  contact.v3.group_member.simplelist per group, users and departments (all pages)
  application.v6.application.list lang=en_us          (all pages)

The expected counts come from the simulator's control surface (/_simulator/departments, /users,
/scope, /groups, /apps), computed the way the documentation says Lark answers: resigned users
are in no department listing; the contact range lists its departments and, with
contact:user.employee_id:readonly, its users; groups and apps are listed whole.

Exit status: 0 every call succeeded and every count matched; 1 a count differs; 2 an SDK call
failed (code, msg and log id are printed); 3 bad usage.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from typing import Any, Callable, Dict, List, Optional

import lark_oapi as lark
from lark_oapi.api.application.v6 import ListApplicationRequest
from lark_oapi.api.contact.v3 import (
    BatchUserRequest,
    ChildrenDepartmentRequest,
    FindByDepartmentUserRequest,
    ListScopeRequest,
    SimplelistGroupMemberRequest,
    SimplelistGroupRequest,
)
from lark_oapi.api.tenant.v2 import QueryTenantRequest

RATE_LIMITED = 99991400
MAX_PAGES = 10_000


class ApiFailure(Exception):
    """An SDK call that did not answer code 0."""


def log_id(resp: Any) -> Optional[str]:
    """The SDK reads `X-Tt-Logid` with that exact spelling; the body's `error.log_id` is the
    fallback."""
    found = resp.get_log_id()
    if not found and isinstance(getattr(resp, "error", None), dict):
        found = resp.error.get("log_id")
    return found


class Checker:
    def __init__(self, client: lark.Client, page_size: Optional[int]):
        self.client = client
        self.page_size = page_size
        self.calls = 0

    def size(self, default: int) -> int:
        return min(self.page_size, default) if self.page_size else default

    def call(self, name: str, fn: Callable[[Any], Any], request: Any) -> Any:
        """One SDK call, retried on the rate limit (the SDK itself never retries)."""
        for attempt in range(6):
            self.calls += 1
            resp = fn(request)
            if resp.success():
                return resp
            if resp.code == RATE_LIMITED and attempt < 5:
                time.sleep(1)
                continue
            status = resp.raw.status_code if resp.raw else None
            raise ApiFailure(
                f"{name}: HTTP {status}, code {resp.code}, msg {resp.msg!r}, "
                f"log id {log_id(resp)!r}, request {request.uri} {request.queries}"
            )
        raise AssertionError("unreachable")

    def pages(self, name: str, fn: Callable[[Any], Any], build: Callable[[Optional[str]], Any]) -> List[Any]:
        """The data of every page of a paged listing, refusing loops."""
        out: List[Any] = []
        token: Optional[str] = None
        seen = set()
        for _ in range(MAX_PAGES):
            data = self.call(name, fn, build(token)).data
            out.append(data)
            if not getattr(data, "has_more", False):
                return out
            token = getattr(data, "page_token", None)
            if not token or token in seen:
                raise ApiFailure(f"{name}: has_more without a new page_token")
            seen.add(token)
        raise ApiFailure(f"{name}: more than {MAX_PAGES} pages")

    def run(self) -> Dict[str, Any]:
        c = self.client.contact.v3
        got: Dict[str, Any] = {}
        tenant = self.call("tenant.query", self.client.tenant.v2.tenant.query, QueryTenantRequest.builder().build())
        got["tenant_name"] = tenant.data.tenant.name
        # Every official sample reports errors with get_log_id(), which reads the header
        # `X-Tt-Logid` in exactly that spelling.
        if not tenant.get_log_id():
            raise ApiFailure("tenant.query: the SDK could not read the X-Tt-Logid header")

        scopes = self.pages("scope.list", c.scope.list, lambda t: paged(
            ListScopeRequest.builder().user_id_type("open_id").department_id_type("open_department_id")
            .page_size(self.size(100)), t))
        got["scope_departments"] = len({d for p in scopes for d in (p.department_ids or [])})
        got["scope_users"] = len({u for p in scopes for u in (p.user_ids or [])})
        got["scope_groups"] = len({g for p in scopes for g in (p.group_ids or [])})

        departments = self.pages("department.children", c.department.children, lambda t: paged(
            ChildrenDepartmentRequest.builder().department_id("0").user_id_type("open_id")
            .department_id_type("open_department_id").fetch_child(True).page_size(self.size(50)), t))
        department_ids = list(dict.fromkeys(d.open_department_id for p in departments for d in (p.items or [])))
        got["departments"] = len(department_ids)

        users: Dict[str, None] = {}
        for department in ["0"] + department_ids:
            for page in self.pages("user.find_by_department", c.user.find_by_department, lambda t, d=department: paged(
                    FindByDepartmentUserRequest.builder().department_id(d).user_id_type("open_id")
                    .department_id_type("open_department_id").page_size(self.size(50)), t)):
                for user in page.items or []:
                    users[user.open_id] = None
        got["users"] = len(users)

        wanted = list(users)[:50]
        if wanted:
            batch = self.call("user.batch", c.user.batch, BatchUserRequest.builder().user_ids(wanted)
                              .user_id_type("open_id").department_id_type("open_department_id").build())
            got["batch_users"] = len({u.open_id for u in batch.data.items or []})

        groups: Dict[str, Any] = {}
        for kind in (1, 2):
            for page in self.pages("group.simplelist", c.group.simplelist, lambda t, k=kind: paged(
                    SimplelistGroupRequest.builder().type(k).page_size(self.size(100)), t)):
                for group in page.grouplist or []:
                    groups[group.id] = group
        got["groups"] = len(groups)
        members = 0
        for group_id in groups:
            for member_type in ("user", "department"):
                for page in self.pages("group_member.simplelist", c.group_member.simplelist,
                                       lambda t, g=group_id, m=member_type: paged(
                                           SimplelistGroupMemberRequest.builder().group_id(g).member_type(m)
                                           .member_id_type("open_id").page_size(self.size(100)), t)):
                    members += len(page.memberlist or [])
        got["group_members"] = members

        apps = self.pages("application.list", self.client.application.v6.application.list, lambda t: paged(
            ListApplicationRequest.builder().lang("en_us").user_id_type("open_id").page_size(self.size(50)), t))
        got["apps"] = len({a.app_id for p in apps for a in (p.app_list or [])})
        got["sdk_calls"] = self.calls
        return got


def paged(builder: Any, token: Optional[str]) -> Any:
    if token:
        builder.page_token(token)
    return builder.build()


def control(base_url: str, path: str) -> Any:
    with urllib.request.urlopen(base_url + "/_simulator" + path, timeout=30) as answer:
        return json.load(answer)


def expected(base_url: str, wanted_batch: int) -> Dict[str, Any]:
    """What the documentation says Lark answers for the simulated tenant."""
    users = control(base_url, "/users")
    departments = control(base_url, "/departments")
    groups = control(base_url, "/groups")
    apps = control(base_url, "/apps")
    listed = [u for u in users if not (u.get("status") or {}).get("is_resigned")]
    return {
        "departments": len(departments),
        "users": len(listed),
        "batch_users": wanted_batch,
        "groups": len(groups),
        "group_members": sum(len(g.get("member_user_ids") or []) + len(g.get("member_department_ids") or []) for g in groups),
        "apps": len(apps),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True, help="the simulator's origin, e.g. http://127.0.0.1:9400")
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--page-size", type=int, help="cap every page_size (exercises page tokens)")
    args = parser.parse_args()
    secret = os.environ.get("AVIARY_SIM_APP_SECRET")
    if not secret:
        print("error: set AVIARY_SIM_APP_SECRET", file=sys.stderr)
        return 3
    base_url = args.base_url.rstrip("/")
    # The SDK refuses a domain with a path or a trailing slash, and plain http except on loopback.
    client = lark.Client.builder().app_id(args.app_id).app_secret(secret).domain(base_url) \
        .log_level(lark.LogLevel.WARNING).build()
    try:
        got = Checker(client, args.page_size).run()
    except ApiFailure as failure:
        print(f"FAIL: an SDK call failed: {failure}", file=sys.stderr)
        return 2
    want = expected(base_url, min(got["users"], 50))
    mismatches = [f"{key}: expected {value}, the SDK saw {got.get(key)}" for key, value in want.items() if got.get(key) != value]
    print(json.dumps({"seen": got, "expected": want}, indent=2, ensure_ascii=False))
    if mismatches:
        print("FAIL: " + "; ".join(mismatches), file=sys.stderr)
        return 1
    print(f"OK: {got['sdk_calls']} SDK calls succeeded and every count matched", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
