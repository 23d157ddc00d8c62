"""Google's ``fields`` masks: partial responses and update masks.

Syntax: comma-separated paths whose steps are joined by ``.`` or ``/``, with
parentheses for sub-selections (``sheets(properties(sheetId,title))``) and ``*`` for
everything. Paths of a ``fields`` query parameter are checked against the discovery
schema that ships with google-api-python-client, as Google does: an unknown path is a
400 naming it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from bansou_sync.emulator.http import ApiError

Mask = dict[str, "Mask | None"]  # None: the whole value below this step


def parse_mask(text: str) -> Mask:
    mask: Mask = {}
    position = _parse_into(mask, text.replace(" ", ""), 0)
    if position != len(text.replace(" ", "")):
        raise ValueError(f"unbalanced parentheses in {text!r}")
    return mask


def _parse_into(mask: Mask, text: str, i: int) -> int:
    while i < len(text):
        start = i
        while i < len(text) and text[i] not in ",()":
            i += 1
        steps = [s for s in text[start:i].replace("/", ".").split(".") if s]
        node = mask
        for step in steps[:-1]:
            child = node.get(step, {})
            if child is None:  # already whole
                child = {}
            node[step] = child
            node = child
        last = steps[-1] if steps else ""
        if i < len(text) and text[i] == "(":
            child = node.get(last) or {}
            node[last] = child
            i = _parse_into(child, text, i + 1)
            if i >= len(text) or text[i] != ")":
                raise ValueError("unbalanced parentheses")
            i += 1
        elif last:
            node[last] = None
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        if i < len(text) and text[i] == ")":
            return i
    return i


def mask_paths(mask: Mask, prefix: str = "") -> list[str]:
    paths: list[str] = []
    for key, child in mask.items():
        path = f"{prefix}.{key}" if prefix else key
        paths.extend([path] if child is None else mask_paths(child, path))
    return paths


def apply_mask(value: Any, mask: Mask | None) -> Any:
    """Keep only the masked parts of a JSON value (lists are masked element-wise)."""
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply_mask(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: apply_mask(value[key], mask[key]) for key in mask if key in value}


@cache
def _discovery() -> dict[str, Any]:
    path = resources.files("googleapiclient").joinpath("discovery_cache/documents/sheets.v4.json")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def check_paths(mask: Mask, schema: str) -> None:
    """400 as Google answers when a ``fields`` path is not in the response schema."""
    schemas = _discovery()["schemas"]
    for path in mask_paths(mask):
        node: dict[str, Any] = schemas[schema]
        for step in path.split("."):
            if step == "*":
                break
            while "$ref" in node or "items" in node:
                node = schemas[node["$ref"]] if "$ref" in node else node["items"]
            properties = node.get("properties", {})
            if step not in properties and "additionalProperties" not in node:
                raise bad_field_mask(path)
            node = properties.get(step) or node.get("additionalProperties") or {}


def bad_field_mask(path: str) -> ApiError:
    return ApiError(
        400,
        "Request contains an invalid argument.",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {
                        "field": path,
                        "description": "Error expanding 'fields' parameter. "
                        f"Cannot find matching fields for path '{path}'.",
                    }
                ],
            }
        ],
    )


def response_fields(fields: str | None, body: Any, schema: str) -> Any:
    """Apply a request's ``fields`` parameter to a reply body."""
    if not fields:
        return body
    try:
        mask = parse_mask(fields)
    except ValueError as exc:
        raise bad_field_mask(fields) from exc
    check_paths(mask, schema)
    return apply_mask(body, mask)


def copy_masked(target: dict[str, Any], source: dict[str, Any], fields: str) -> None:
    """An update mask: copy the masked fields of ``source`` into ``target``; a masked
    field missing from ``source`` is reset (removed), as Google does."""
    mask = parse_mask(fields)
    if "*" in mask:
        for key, value in source.items():
            target[key] = value
        return
    _copy(target, source, mask)


def _copy(target: dict[str, Any], source: dict[str, Any], mask: Mask) -> None:
    for key, child in mask.items():
        if child is None:
            if key in source:
                target[key] = source[key]
            else:
                target.pop(key, None)
        else:
            sub_target = target.setdefault(key, {})
            _copy(sub_target, source.get(key) or {}, child)
