"""The one base of every API model: camelCase on the wire, snake_case in Python, no unknown fields.

`ApiModel` is the base of every request and response body; `Timestamp` (from `widget.events`, the
webhook specification's format: UTC with milliseconds, "2026-02-24T12:00:00.000Z") is the type of
every time in them. `RequestModel` adds one check to request bodies: text UTF-8 can hold.

JSON can spell a lone surrogate (`"\\ud800"`), which is no Unicode character: no UTF-8 column,
webhook body or JSON response can hold it, so accepting it would fail later, after the agent
answered or a training was queued. Every string in every request model (lists and dicts of strings
included) is checked here, once, at the edge, and refused with a 422 that names the field.
Nested models check their own fields, being request models too.

`NOT_BLANK` is the pattern the API documents for "must hold a visible character"; `is_blank` is
the same rule in Python, so the document and the server agree on every string.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from widget.events import Timestamp

__all__ = [
    "HTTP_URL",
    "NOT_BLANK",
    "ApiModel",
    "RequestModel",
    "Timestamp",
    "first_unencodable",
    "is_blank",
    "not_null",
]

# Whitespace by both Python's and ECMAScript's definitions (JSON Schema patterns are ECMAScript).
_BLANK = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NOT_BLANK = f"[^{_BLANK}]"
_NOT_BLANK = re.compile(NOT_BLANK)


# An absolute http(s) URL with a host, as the API documents it; the server checks the rest (it
# must resolve to an address webhooks may reach).
HTTP_URL = r"^[ \t]*[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@]+"


def not_null(schema: JsonDict) -> None:
    """For an optional field that may be left out but not sent as null: document it so."""
    options = schema.pop("anyOf", None)
    if isinstance(options, list):
        (kept,) = [o for o in options if o != {"type": "null"}]
        assert isinstance(kept, dict)
        schema.update(kept)


def is_blank(value: str) -> bool:
    return _NOT_BLANK.search(value) is None


def first_unencodable(value: str) -> int | None:
    """The index of the first character UTF-8 cannot encode (a lone surrogate), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _check_text(value: Any, where: str = "") -> None:
    if isinstance(value, str):
        index = first_unencodable(value)
        if index is not None:
            raise PydanticCustomError(
                "invalid_unicode",
                "{where}holds a lone surrogate (U+{code}) at character {index}, which is not "
                "a Unicode character; send text as UTF-8",
                {"where": where, "code": f"{ord(value[index]):04X}", "index": index},
            )
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_text(item, f"{where}item {i} ")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, f"{where}a key ")
            _check_text(item, f"{where}{key!r} ")


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class RequestModel(ApiModel):
    """A request body: every string in it is checked to be text UTF-8 can hold."""

    @field_validator("*", mode="after")
    @classmethod
    def _unicode_text(cls, value: Any) -> Any:
        _check_text(value)
        return value
