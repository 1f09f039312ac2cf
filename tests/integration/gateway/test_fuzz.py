"""Schema-driven fuzzing (schemathesis + hypothesis) over real HTTP: no 5xx, no unhandled error.

Bodies, headers and path parameters are generated from the OpenAPI schema. Most cases are
pointed at a real account with its real secret (bearer, URL or query), so fuzzed bodies get
past authentication into parsing and validation; the rest exercise unknown accounts and
missing or wrong secrets. Bounded: a fixed number of examples per operation, well under 60 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.bench import gateway_payloads as P
from tests.integration.gateway.conftest import ACME_SECRETS

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 60
MOSTLY = st.sampled_from([True, True, True, False])  # a real account / the right secret
SECRET_FOR = {
    "smartlead": "smartlead",
    "clay": "clay",
    "visitors/generic": "visitor",
    "forms/generic": "form",
    "rb2b": "rb2b",
    "company": "visitor",
    "typeform": "typeform",
    "tally": "tally",
}


def _secret_for(path: str) -> str:
    for marker, source in SECRET_FOR.items():
        if marker in path:
            return ACME_SECRETS[source]
    return ""


@pytest.fixture
def openapi(gateway_url: str) -> Iterator[object]:
    import schemathesis

    yield schemathesis.openapi.from_url(f"{gateway_url}/openapi.json")


def _fuzz(operation, secret: str, gateway_url: str, session, failures: list[str]):
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(case=operation.as_strategy(), real_account=MOSTLY, auth=MOSTLY)
    def run(case, real_account: bool, auth: bool) -> None:
        if real_account:
            case.path_parameters["account"] = "acme"
            if "url_secret" in case.path_parameters:
                case.path_parameters["url_secret"] = secret
            if "form_id" in case.path_parameters and auth:
                case.path_parameters["form_id"] = "contact"
        headers = {"Authorization": f"Bearer {secret}"} if auth else {}
        if auth and "rb2b" in operation.path:
            case.query = {**(case.query or {}), "secret": secret}
        kwargs = case.as_transport_kwargs(base_url=gateway_url, headers=headers)
        if "json" in kwargs:  # send exact bytes, so Typeform/Tally signatures can be made
            raw = json.dumps(kwargs.pop("json")).encode()
            kwargs["data"] = raw
            kwargs["headers"] = {
                **(kwargs.get("headers") or {}),
                "Content-Type": "application/json",
            }
            if auth and "typeform" in operation.path:
                kwargs["headers"]["Typeform-Signature"] = P.typeform_signature(secret, raw)
            if auth and "tally" in operation.path:
                kwargs["headers"]["Tally-Signature"] = P.tally_signature(secret, raw)
        response = session.request(**kwargs, timeout=10)
        code = response.status_code
        typeform_retry = "typeform" in operation.path and code == 503
        if code >= 500 and not typeform_retry:
            failures.append(f"{operation.method} {kwargs['url']} -> {code}: {response.text[:300]}")

    return run


def test_fuzzing_the_openapi_schema_never_gives_a_server_error(
    openapi, gateway_url, redis_client
) -> None:
    started = time.monotonic()
    session = requests.Session()
    failures: list[str] = []
    operations = [r.ok() for r in openapi.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        if operation.method.upper() == "POST":
            _fuzz(operation, _secret_for(operation.path), gateway_url, session, failures)()
    session.close()
    assert failures == []
    # The unhandled-exception handler answers 500: none may have been counted.
    metrics = requests.get(f"{gateway_url}/metrics", timeout=10).text
    assert 'status="500"' not in metrics
    # The cluster-wide limiter figures are served beside the gateway's own.
    assert "leadops_ratelimit_penalty_seconds" in metrics
    assert time.monotonic() - started < 60
