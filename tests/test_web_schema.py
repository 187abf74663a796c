"""Property-based tests of the JSON API generated from its OpenAPI schema (schemathesis): no
request, valid or not, gets a 500; every answer has a documented status code, content type and
body shape."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from dtsim.web import create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(allowed_hosts=("testserver",)))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
