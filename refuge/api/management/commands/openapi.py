"""`refuge openapi` / `manage.py openapi`: print the API's OpenAPI document (docs/openapi.json is its output)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from refuge.api.main import api


def openapi_text() -> str:
    """The document exactly as checked into docs/openapi.json: sorted keys, two-space indent, final newline."""
    return json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Print the JSON API's OpenAPI document (make openapi writes it to docs/openapi.json)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(openapi_text(), ending="")
