"""Schemathesis checks of Aviary's own promises, on top of the built-in ones.

Loaded by scripts/schemathesis.sh through SCHEMATHESIS_HOOKS. AVIARY_CANARIES holds, comma
separated, secrets that must never appear in any response: an integration's App Secret and the
API keys the run uses.
"""

import os

import schemathesis

CANARIES = [c for c in os.environ.get("AVIARY_CANARIES", "").split(",") if c]


@schemathesis.check
def no_secret_in_response(ctx, response, case):
    body = response.content or b""
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
    for canary in CANARIES:
        if canary.encode() in body or canary in headers:
            raise AssertionError("a secret (an App Secret or an API key) appears in the response")


# A 502 says Lark (or the base URL a registration named) could not be reached or failed: the
# upstream's fault, documented, and the truth when the fuzzer registers made-up credentials.
UPSTREAM_CODES = {"lark_unavailable", "lark_error"}


@schemathesis.check
def no_server_fault(ctx, response, case):
    """Schemathesis's `not_a_server_error`, except a documented 502 about the upstream."""
    if response.status_code < 500:
        return
    if response.status_code == 502:
        try:
            code = response.json()["error"]["code"]
        except Exception:  # noqa: BLE001 - any unreadable body is itself the failure
            code = None
        if code in UPSTREAM_CODES:
            return
    raise AssertionError(f"server error {response.status_code}: {response.text[:200]}")
