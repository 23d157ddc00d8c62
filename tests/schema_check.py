"""Walking a JSON reply against a Google discovery schema.

The discovery documents ship with google-api-python-client
(``googleapiclient/discovery_cache/documents/{forms.v1,sheets.v4,gmail.v1}.json``).
``schema_errors`` follows ``$ref``, checks types, formats (int64 strings, RFC 3339
times, base64url bytes), enums and arrays; a key the schema does not name is an error.
Shared by the emulator tests and the conformance tests (``pythonpath = ["tests"]``).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import googleapiclient

DOCS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"

_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")
_B64URL = re.compile(r"[A-Za-z0-9_\-]*={0,2}")


@functools.cache
def discovery(name: str) -> dict[str, Any]:
    """``discovery("sheets.v4")``: the bundled discovery document."""
    loaded: dict[str, Any] = json.loads((DOCS / f"{name}.json").read_text("utf-8"))
    return loaded


def find_method(doc: dict[str, Any], method_id: str) -> dict[str, Any]:
    """The method description whose ``id`` is ``method_id`` (``sheets.spreadsheets.get``)."""

    def walk(resource: dict[str, Any]) -> dict[str, Any] | None:
        for method in resource.get("methods", {}).values():
            if method["id"] == method_id:
                return dict(method)
        for child in resource.get("resources", {}).values():
            found = walk(child)
            if found is not None:
                return found
        return None

    found = walk(doc)
    if found is None:
        raise KeyError(method_id)
    return found


def schema_errors(doc: dict[str, Any], schema: dict[str, Any], value: Any, at: str) -> list[str]:
    if "$ref" in schema:
        return schema_errors(doc, doc["schemas"][schema["$ref"]], value, at)
    kind, fmt = schema.get("type"), schema.get("format")
    errors: list[str] = []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{at}: expected an object, got {type(value).__name__}"]
        props, extra = schema.get("properties", {}), schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                errors += schema_errors(doc, props[key], item, f"{at}.{key}")
            elif extra is not None:
                errors += schema_errors(doc, extra, item, f"{at}[{key!r}]")
            else:
                errors.append(f"{at}: unknown key {key!r}")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{at}: expected an array"]
        for i, item in enumerate(value):
            errors += schema_errors(doc, schema["items"], item, f"{at}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{at}: expected a string, got {value!r}"]
        if fmt in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
            errors.append(f"{at}: {fmt} string expected, got {value!r}")
        if fmt == "google-datetime" and not _DATETIME.fullmatch(value):
            errors.append(f"{at}: RFC 3339 UTC expected, got {value!r}")
        if fmt == "byte" and not _B64URL.fullmatch(value):
            errors.append(f"{at}: base64url expected")
        if "enum" in schema and value not in schema["enum"]:
            errors.append(f"{at}: {value!r} not in enum")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{at}: expected an integer, got {value!r}")
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            errors.append(f"{at}: expected a number, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{at}: expected a boolean, got {value!r}")
    return errors


def check_schema(doc_name: str, schema: str, value: Any) -> None:
    """``check_schema("forms.v1", "FormResponse", reply)``: AssertionError listing every
    mismatch."""
    errors = schema_errors(discovery(doc_name), {"$ref": schema}, value, schema)
    assert errors == [], "\n".join(errors)
