"""Checks archive records against the JSON Schema files in docs/archive-schema.

The schema files are the format's published contract, so the import reads
them rather than keeping a second copy of each rule. Kinwell has no JSON
Schema library at run time; this checker understands the small part of JSON
Schema those files use (type, properties, required, additionalProperties,
enum, const, minLength, maxLength, pattern, minimum, maximum, items,
minItems, format date-time), and refuses a schema that uses anything else."""

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

SCHEMA_DIR = Path(settings.BASE_DIR) / "docs" / "archive-schema"
_ANNOTATIONS = {"$schema", "$id", "title", "description", "examples"}
_KEYWORDS = _ANNOTATIONS | {
    "type", "properties", "required", "additionalProperties", "enum", "const",
    "minLength", "maxLength", "pattern", "minimum", "maximum", "items",
    "minItems", "format",
}  # fmt: skip
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (SCHEMA_DIR / f"{name}.schema.json").read_text()
    )
    _check_supported(schema, name)
    return schema


def _check_supported(schema: dict[str, Any], where: str) -> None:
    unknown = set(schema) - _KEYWORDS
    if unknown:
        raise ValueError(f"{where}: unsupported schema keywords {sorted(unknown)}")
    for name, inner in schema.get("properties", {}).items():
        _check_supported(inner, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        _check_supported(schema["items"], f"{where}[]")


def problems(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """What is wrong with `value` under `schema`, one message per problem
    (the first problem of each part), naming where: "cluster.name: ..."."""
    where = path or "the record"
    if "type" in schema and not _has_type(value, schema["type"]):
        return [f"{where}: expected {_type_words(schema['type'])}"]
    if "const" in schema and value != schema["const"]:
        return [f"{where}: must be {schema['const']!r}"]
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(str(item) for item in schema["enum"])
        return [f"{where}: {value!r} is not one of {allowed}"]
    if isinstance(value, str):
        return _string_problems(value, schema, where)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_problems(value, schema, where)
    if isinstance(value, dict):
        return _object_problems(value, schema, path)
    if isinstance(value, list):
        return _array_problems(value, schema, where)
    return []


def _has_type(value: Any, expected: str | list[str]) -> bool:
    names = [expected] if isinstance(expected, str) else expected
    if isinstance(value, bool):  # a bool is an int to Python, not to JSON
        return "boolean" in names
    return any(isinstance(value, _TYPES[name]) for name in names)


def _type_words(expected: str | list[str]) -> str:
    return expected if isinstance(expected, str) else " or ".join(expected)


def _string_problems(value: str, schema: dict[str, Any], where: str) -> list[str]:
    if len(value) < schema.get("minLength", 0):
        return [f"{where}: too short (at least {schema['minLength']} characters)"]
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return [f"{where}: too long (at most {schema['maxLength']} characters)"]
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return [f"{where}: {value[:40]!r} does not have the expected form"]
    if schema.get("format") == "date-time" and not _is_date_time(value):
        return [f"{where}: {value[:40]!r} is not a date and time (RFC 3339)"]
    return []


def _is_date_time(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value.upper() and parsed.tzinfo is not None


def _number_problems(value: float, schema: dict[str, Any], where: str) -> list[str]:
    if "minimum" in schema and value < schema["minimum"]:
        return [f"{where}: must be at least {schema['minimum']}"]
    if "maximum" in schema and value > schema["maximum"]:
        return [f"{where}: must be at most {schema['maximum']}"]
    return []


def _object_problems(
    value: dict[str, Any], schema: dict[str, Any], path: str
) -> list[str]:
    prefix = f"{path}." if path else ""
    found = [
        f"{prefix}{name}: missing"
        for name in schema.get("required", [])
        if name not in value
    ]
    properties = schema.get("properties", {})
    if schema.get("additionalProperties", True) is False:
        found += [
            f"{prefix}{name}: not a field of this record"
            for name in value
            if name not in properties
        ]
    for name, inner in properties.items():
        if name in value:
            found += problems(value[name], inner, f"{prefix}{name}")
    return found


def _array_problems(value: list[Any], schema: dict[str, Any], where: str) -> list[str]:
    if len(value) < schema.get("minItems", 0):
        return [f"{where}: at least {schema['minItems']} items expected"]
    found: list[str] = []
    for index, item in enumerate(value):
        found += problems(item, schema.get("items", {}), f"{where}[{index}]")
    return found
