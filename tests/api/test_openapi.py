"""The OpenAPI document: served by the application, checked into docs/, and the two never differ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from refuge.api.management.commands.openapi import openapi_text

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_served_document_is_the_one_in_docs() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    served = response.json()
    checked_in = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
    assert served == checked_in, "docs/openapi.json is out of date: run `make openapi` and commit it"


def test_docs_holds_the_document_exactly_as_make_openapi_writes_it() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == openapi_text(), "run `make openapi` and commit docs/openapi.json"


def test_every_operation_documents_the_one_error_body() -> None:
    document = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for status in ("400", "401", "403", "404", "429"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)
            assert operation["security"] == [{"TokenAuth": []}], (path, method)


@pytest.mark.django_db
def test_the_document_needs_no_token_and_the_endpoints_do() -> None:
    client = Client()
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/cases").status_code == 401
