"""The server's settings, read once from the environment.

Every knob is an environment variable so that `python -m widget serve`, tests and deployments share
one path. `Settings.from_env()` reads them; tests build `Settings(...)` directly.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from widget.agent.formats import DEFAULT_LIMITS
from widget.agent.ingest import TrainingLimits
from widget.agent.leads import is_phone_region
from widget.server.core.db import DEFAULT_BUSY_TIMEOUT

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_BUNDLE_DIR = REPO_ROOT / "build"
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (
    0.0,
    5.0,
    300.0,
    1800.0,
    7200.0,
    18000.0,
    36000.0,
    50400.0,
    72000.0,
    86400.0,
)
DEFAULT_IDLE_MINUTES = 30.0
LLM_PREFIX = "WIDGET_LLM_"
KIB = 1024
MIB = 1024 * KIB
# A chat request holds at most 4,000 characters; JSON may spell each as a 12-byte escape pair.
DEFAULT_BODY_LIMIT_CHAT = 64 * KIB
# Room for about 15 documents of 1 MB in one training request.
DEFAULT_BODY_LIMIT_TRAINING = 16 * MIB
DEFAULT_BODY_LIMIT_ADMIN = 1 * MIB
# What one training may hold (see `widget.agent.ingest.TrainingLimits`): binary files (PDF,
# .docx) get more bytes than text, whose every byte is text.
DEFAULT_TRAINING_MAX_DOCUMENTS = 500
DEFAULT_TRAINING_MAX_BYTES = 100 * MIB
DEFAULT_TRAINING_MAX_TEXT_FILE_BYTES = 1_000_000
DEFAULT_TRAINING_MAX_BINARY_FILE_BYTES = 20_000_000
DEFAULT_CRAWL_MAX_PAGES = 100
DEFAULT_CRAWL_TIME_LIMIT = 120.0
DEFAULT_STREAM_HEARTBEAT_SECONDS = 15.0
DEFAULT_LIVE_POLL_SECONDS = 2.0
DEFAULT_UNANSWERED_POLL_SECONDS = 2.0


class SettingsError(ValueError):
    """An environment variable holds a value the server cannot use."""


def default_database_url(cwd: Path | None = None) -> str:
    return f"sqlite:///{(cwd or Path.cwd()) / '.data' / 'widget.db'}"


@dataclass(frozen=True)
class Settings:
    # Any SQLAlchemy URL; a SQLite file's folder is created on start.
    database_url: str = field(default_factory=default_database_url)
    # Bearer key of the admin API. None locks the admin API; `serve` generates one and prints it.
    admin_key: str | None = None
    # What `make build` produces: widget.js, frame.html, snippet.html, demo.html, bundle folders.
    bundle_dir: Path = DEFAULT_BUNDLE_DIR
    # Seconds to wait before each webhook retry; the delivery worker gives up after the last one.
    webhook_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    # Allow webhook destinations on loopback, private and link-local networks.
    webhook_allow_private: bool = False
    # A conversation with no message for this long is ended by the idle sweeper.
    conversation_idle_minutes: float = DEFAULT_IDLE_MINUTES
    # Every WIDGET_LLM_* variable, passed as is to `widget.agent.core.agent_from_env`.
    llm_env: Mapping[str, str] = field(default_factory=dict)
    # Largest request bodies, in bytes, per route family (see `widget.server.core.body_limits`).
    body_limit_chat: int = DEFAULT_BODY_LIMIT_CHAT
    body_limit_training: int = DEFAULT_BODY_LIMIT_TRAINING
    body_limit_admin: int = DEFAULT_BODY_LIMIT_ADMIN
    # Requests a minute (see `widget.server.chat.rate_limits`); 0 turns a limit off.
    conversations_per_address: int = 30
    conversations_per_agent: int = 600
    messages_per_conversation: int = 20
    # Seconds a request waits for a database another writer holds before it answers 503.
    database_busy_timeout: float = DEFAULT_BUSY_TIMEOUT
    # Run the delivery, CRM and training workers inside the API process; off when they run as
    # `python -m widget worker` processes of their own (`serve --api-only`).
    background_workers: bool = True
    # Training limits: documents and bytes per training, bytes per file (text; PDF or .docx).
    training_max_documents: int = DEFAULT_TRAINING_MAX_DOCUMENTS
    training_max_bytes: int = DEFAULT_TRAINING_MAX_BYTES
    training_max_text_file_bytes: int = DEFAULT_TRAINING_MAX_TEXT_FILE_BYTES
    training_max_binary_file_bytes: int = DEFAULT_TRAINING_MAX_BINARY_FILE_BYTES
    # A website source: pages per crawl, seconds per crawl, and whether it may reach loopback,
    # private and link-local addresses (an intranet site; off, like webhooks', by default).
    crawl_max_pages: int = DEFAULT_CRAWL_MAX_PAGES
    crawl_time_limit: float = DEFAULT_CRAWL_TIME_LIMIT
    crawl_allow_private: bool = False
    # The country (ISO 3166 alpha-2, "DE") for phone numbers written without +country code,
    # when the visitor's browser does not say one; None leaves such numbers as typed.
    phone_default_region: str | None = None
    # Live streams (SSE): a comment line this often keeps proxies from closing an idle stream;
    # on SQLite, processes sharing the file look for each other's changes this often; the
    # nobody-there worker looks for unanswered waits this often.
    stream_heartbeat_seconds: float = DEFAULT_STREAM_HEARTBEAT_SECONDS
    live_poll_seconds: float = DEFAULT_LIVE_POLL_SECONDS
    unanswered_poll_seconds: float = DEFAULT_UNANSWERED_POLL_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("WIDGET_DATABASE_URL") or default_database_url(),
            admin_key=env.get("WIDGET_ADMIN_KEY") or None,
            bundle_dir=Path(env.get("WIDGET_BUNDLE_DIR") or DEFAULT_BUNDLE_DIR),
            webhook_retry_delays=parse_retry_delays(env.get("WIDGET_WEBHOOK_RETRY_DELAYS")),
            webhook_allow_private=parse_flag(
                "WIDGET_WEBHOOK_ALLOW_PRIVATE", env.get("WIDGET_WEBHOOK_ALLOW_PRIVATE")
            ),
            conversation_idle_minutes=parse_positive(
                "WIDGET_CONVERSATION_IDLE_MINUTES",
                env.get("WIDGET_CONVERSATION_IDLE_MINUTES"),
                DEFAULT_IDLE_MINUTES,
            ),
            llm_env={k: v for k, v in env.items() if k.startswith(LLM_PREFIX)},
            body_limit_chat=parse_size(
                "WIDGET_BODY_LIMIT_CHAT", env.get("WIDGET_BODY_LIMIT_CHAT"), DEFAULT_BODY_LIMIT_CHAT
            ),
            body_limit_training=parse_size(
                "WIDGET_BODY_LIMIT_TRAINING",
                env.get("WIDGET_BODY_LIMIT_TRAINING"),
                DEFAULT_BODY_LIMIT_TRAINING,
            ),
            body_limit_admin=parse_size(
                "WIDGET_BODY_LIMIT_ADMIN",
                env.get("WIDGET_BODY_LIMIT_ADMIN"),
                DEFAULT_BODY_LIMIT_ADMIN,
            ),
            conversations_per_address=parse_count(
                "WIDGET_RATE_CONVERSATIONS_PER_ADDRESS",
                env.get("WIDGET_RATE_CONVERSATIONS_PER_ADDRESS"),
                30,
            ),
            conversations_per_agent=parse_count(
                "WIDGET_RATE_CONVERSATIONS_PER_AGENT",
                env.get("WIDGET_RATE_CONVERSATIONS_PER_AGENT"),
                600,
            ),
            messages_per_conversation=parse_count(
                "WIDGET_RATE_MESSAGES_PER_CONVERSATION",
                env.get("WIDGET_RATE_MESSAGES_PER_CONVERSATION"),
                20,
            ),
            database_busy_timeout=parse_positive(
                "WIDGET_DATABASE_BUSY_TIMEOUT",
                env.get("WIDGET_DATABASE_BUSY_TIMEOUT"),
                DEFAULT_BUSY_TIMEOUT,
            ),
            background_workers=parse_flag(
                "WIDGET_BACKGROUND_WORKERS", env.get("WIDGET_BACKGROUND_WORKERS"), default=True
            ),
            training_max_documents=parse_limit(
                "WIDGET_TRAINING_MAX_DOCUMENTS",
                env.get("WIDGET_TRAINING_MAX_DOCUMENTS"),
                DEFAULT_TRAINING_MAX_DOCUMENTS,
            ),
            training_max_bytes=parse_size(
                "WIDGET_TRAINING_MAX_BYTES",
                env.get("WIDGET_TRAINING_MAX_BYTES"),
                DEFAULT_TRAINING_MAX_BYTES,
            ),
            training_max_text_file_bytes=parse_size(
                "WIDGET_TRAINING_MAX_TEXT_FILE_BYTES",
                env.get("WIDGET_TRAINING_MAX_TEXT_FILE_BYTES"),
                DEFAULT_TRAINING_MAX_TEXT_FILE_BYTES,
            ),
            training_max_binary_file_bytes=parse_size(
                "WIDGET_TRAINING_MAX_BINARY_FILE_BYTES",
                env.get("WIDGET_TRAINING_MAX_BINARY_FILE_BYTES"),
                DEFAULT_TRAINING_MAX_BINARY_FILE_BYTES,
            ),
            crawl_max_pages=parse_limit(
                "WIDGET_CRAWL_MAX_PAGES", env.get("WIDGET_CRAWL_MAX_PAGES"), DEFAULT_CRAWL_MAX_PAGES
            ),
            crawl_time_limit=parse_positive(
                "WIDGET_CRAWL_TIME_LIMIT",
                env.get("WIDGET_CRAWL_TIME_LIMIT"),
                DEFAULT_CRAWL_TIME_LIMIT,
            ),
            crawl_allow_private=parse_flag(
                "WIDGET_CRAWL_ALLOW_PRIVATE", env.get("WIDGET_CRAWL_ALLOW_PRIVATE")
            ),
            phone_default_region=parse_region(
                "WIDGET_PHONE_DEFAULT_REGION", env.get("WIDGET_PHONE_DEFAULT_REGION")
            ),
            stream_heartbeat_seconds=parse_positive(
                "WIDGET_STREAM_HEARTBEAT_SECONDS",
                env.get("WIDGET_STREAM_HEARTBEAT_SECONDS"),
                DEFAULT_STREAM_HEARTBEAT_SECONDS,
            ),
            live_poll_seconds=parse_positive(
                "WIDGET_LIVE_POLL_SECONDS",
                env.get("WIDGET_LIVE_POLL_SECONDS"),
                DEFAULT_LIVE_POLL_SECONDS,
            ),
        )

    def training_limits(self) -> TrainingLimits:
        return TrainingLimits(
            max_documents=self.training_max_documents,
            max_total_bytes=self.training_max_bytes,
            file=dataclasses.replace(
                DEFAULT_LIMITS,
                max_text_bytes=self.training_max_text_file_bytes,
                max_binary_bytes=self.training_max_binary_file_bytes,
            ),
        )

    def sqlite_path(self) -> Path | None:
        """The database file when the URL names an on-disk SQLite database."""
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)


def parse_retry_delays(raw: str | None) -> tuple[float, ...]:
    if raw is None or not raw.strip():
        return DEFAULT_RETRY_DELAYS
    delays: list[float] = []
    for part in raw.split(","):
        try:
            delay = float(part.strip())
        except ValueError as exc:
            raise SettingsError(
                f"WIDGET_WEBHOOK_RETRY_DELAYS must be comma-separated seconds, got {part.strip()!r}"
            ) from exc
        if delay < 0:
            raise SettingsError(f"WIDGET_WEBHOOK_RETRY_DELAYS holds a negative delay: {delay}")
        delays.append(delay)
    return tuple(delays)


def parse_flag(name: str, raw: str | None, default: bool = False) -> bool:
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1/0, true/false, yes/no or on/off, got {raw!r}")


def parse_positive(name: str, raw: str | None, default: float) -> float:
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be greater than 0, got {raw!r}")
    return value


_SIZE_UNITS = {"": 1, "b": 1, "k": KIB, "kb": KIB, "kib": KIB, "m": MIB, "mb": MIB, "mib": MIB}


def parse_size(name: str, raw: str | None, default: int) -> int:
    """Bytes: "65536", "64k", "16M" (k and M are 1024 and 1024²)."""
    if raw is None or not raw.strip():
        return default
    text = raw.strip().lower()
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyz ")
    unit = text[len(digits) :].strip()
    if not digits.isdigit() or unit not in _SIZE_UNITS:
        raise SettingsError(
            f"{name} must be a size in bytes such as 65536, 64k or 16M, got {raw!r}"
        )
    value = int(digits) * _SIZE_UNITS[unit]
    if value < 1:
        raise SettingsError(f"{name} must be at least 1 byte, got {raw!r}")
    return value


def parse_limit(name: str, raw: str | None, default: int) -> int:
    """A whole number, at least 1."""
    if raw is None or not raw.strip():
        return default
    if not raw.strip().isdigit() or int(raw.strip()) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw.strip())


def parse_region(name: str, raw: str | None) -> str | None:
    """A country code phone numbers know ("DE", "us"), upper-cased; None when unset."""
    if raw is None or not raw.strip():
        return None
    region = raw.strip().upper()
    if not is_phone_region(region):
        raise SettingsError(
            f"{name} must be a two-letter country code such as US, DE or FR, got {raw!r}"
        )
    return region


def parse_count(name: str, raw: str | None, default: int) -> int:
    """A whole number of requests; 0 turns the limit off."""
    if raw is None or not raw.strip():
        return default
    if not raw.strip().isdigit():
        raise SettingsError(f"{name} must be a whole number (0 turns the limit off), got {raw!r}")
    return int(raw.strip())
