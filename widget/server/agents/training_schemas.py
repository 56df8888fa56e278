"""The training API's bodies: documents (text, or a binary file's bytes in base64) or a website.

A document holds exactly one of `content` (text: .txt, .md, .html) and `contentBase64` (a file's
bytes: PDF, .docx, or text in another encoding); `language` declares its language when the owner
knows it better than detection would. A training holds `documents` or a website's `url` (a page or
a sitemap), never both. What the worker does with them is in `widget.server.agents.training_jobs`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Self

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from widget.agent.language import SUPPORTED_LANGUAGES, normalize_language
from widget.server.core.api_models import (
    HTTP_URL,
    NOT_BLANK,
    ApiModel,
    RequestModel,
    Timestamp,
    is_blank,
    not_null,
)

MAX_URL_LENGTH = 2000
# Standard base64 with its padding, no line breaks: what `decode_base64` accepts, as the API
# document states it (the same rule in Python's and ECMAScript's regular expressions).
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_BASE64 = re.compile(BASE64)


def _any_case(code: str) -> str:
    return "".join(f"[{c.upper()}{c}]" for c in code)


# A language tag whose language the agent stems ("de", "fr-CH", "pt_BR"); JSON Schema patterns
# have no flags, so each letter is spelled in both cases.
LANGUAGE_TAG = (
    "^(?:"
    + "|".join(_any_case(code) for code in sorted({*SUPPORTED_LANGUAGES, "nb", "nn"}))
    + ")(?:[-_][A-Za-z0-9]{1,8})*$"
)
_LANGUAGE_TAG = re.compile(LANGUAGE_TAG)


def _with_pattern(pattern: str) -> Callable[[JsonDict], None]:
    """The schema of an optional string that may be left out, not sent as null, and matches."""

    def schema_of(schema: JsonDict) -> None:
        not_null(schema)
        schema["pattern"] = pattern

    return schema_of


def decode_base64(value: str) -> bytes:
    """Standard base64 (RFC 4648, padding required, no line breaks)."""
    if not _BASE64.match(value):
        raise ValueError("only A-Z, a-z, 0-9, + and /, in groups of four, with = padding")
    return base64.b64decode(value, validate=True)


class DocumentIn(RequestModel):
    # What `_one_content` checks, in the document's own words: exactly one of the two.
    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["content"]}, {"required": ["contentBase64"]}]}
    )

    name: str = Field(min_length=1, max_length=300, json_schema_extra={"pattern": NOT_BLANK})
    content: str | None = Field(default=None, json_schema_extra=not_null)
    content_base64: str | None = Field(
        default=None,
        description="A file's bytes (PDF, .docx), base64-encoded without line breaks.",
        json_schema_extra=_with_pattern(BASE64),
    )
    language: str | None = Field(
        default=None,
        max_length=35,
        description="The document's language as an ISO 639-1 code or a language tag "
        '("de", "fr-CH"); detected from the text when left out.',
        json_schema_extra=_with_pattern(LANGUAGE_TAG),
    )

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError("must not be blank")
        return value

    @field_validator("content_base64")
    @classmethod
    def _valid_base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                decode_base64(value)
            except (binascii.Error, ValueError) as exc:
                raise PydanticCustomError(
                    "invalid_base64",
                    "is not valid base64 ({reason}); send the file's bytes base64-encoded "
                    "(RFC 4648, with padding, without line breaks: base64 -w0)",
                    {"reason": str(exc)},
                ) from None
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = normalize_language(value) if _LANGUAGE_TAG.match(value) else None
        if code is None:
            raise PydanticCustomError(
                "unknown_language",
                "{value} is not a supported language; give an ISO 639-1 code such as "
                "en, de, fr or es",
                {"value": repr(value)},
            )
        return code

    @model_validator(mode="after")
    def _one_content(self) -> Self:
        if (self.content is None) == (self.content_base64 is None):
            raise PydanticCustomError(
                "one_content",
                "document {name} must have exactly one of content (text) and contentBase64 "
                "(a file's bytes, such as a PDF or .docx, base64-encoded)",
                {"name": repr(self.name)},
            )
        return self

    def stored(self) -> dict[str, str]:
        """The document as the Training row keeps it until the worker runs."""
        return self.model_dump(by_alias=True, exclude_none=True)


class TrainingIn(RequestModel):
    # What `_documents_or_url` checks, in the document's own words.
    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["documents"]}, {"required": ["url"]}]}
    )

    source: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK})
    documents: list[DocumentIn] | None = Field(
        default=None, min_length=1, json_schema_extra=not_null
    )
    url: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="A website to crawl instead of documents: a page or a sitemap URL.",
        json_schema_extra=_with_pattern(HTTP_URL),
    )

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _documents_or_url(self) -> Self:
        if (self.documents is None) == (self.url is None):
            raise PydanticCustomError(
                "documents_or_url",
                "a training has exactly one of documents (files) and url (a website's page or "
                "sitemap)",
            )
        return self


class TrainingAccepted(ApiModel):
    training_id: int


class TrainingProgress(ApiModel):
    """Files (or web pages) done of the total known so far; a crawl's total grows as it goes."""

    done: int
    total: int


class SkippedPage(ApiModel):
    url: str
    reason: str


class TrainingOut(ApiModel):
    training_id: int
    agent_id: str
    source: str
    status: str
    data_count: int | None
    error: str | None
    created_at: Timestamp
    finished_at: Timestamp | None
    # Added with website sources and progress: null for a document training / before it runs.
    url: str | None = None
    progress: TrainingProgress | None = None
    skipped: list[SkippedPage] = Field(default_factory=list)
