"""Settings from the environment: defaults, parsing, and clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

import widget
from widget.server.core.config import DEFAULT_BUNDLE_DIR, Settings, SettingsError


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{tmp_path / '.data' / 'widget.db'}"
    assert settings.sqlite_path() == tmp_path / ".data" / "widget.db"
    assert settings.admin_key is None
    assert settings.bundle_dir == DEFAULT_BUNDLE_DIR
    # What `make build` writes, beside the package: `make demo` serves it.
    assert Path(widget.__file__).resolve().parent.parent / "build" == DEFAULT_BUNDLE_DIR
    assert settings.conversation_idle_minutes == 30
    assert settings.webhook_allow_private is False
    assert settings.webhook_retry_delays
    assert dict(settings.llm_env) == {}


def test_values_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "WIDGET_DATABASE_URL": "postgresql+psycopg://db/widget",
            "WIDGET_ADMIN_KEY": "secret",
            "WIDGET_BUNDLE_DIR": "/srv/bundle",
            "WIDGET_WEBHOOK_RETRY_DELAYS": "1, 2.5,60",
            "WIDGET_WEBHOOK_ALLOW_PRIVATE": "1",
            "WIDGET_CONVERSATION_IDLE_MINUTES": "5",
            "WIDGET_LLM_BASE_URL": "http://127.0.0.1:9/v1",
            "WIDGET_LLM_MODEL": "tiny",
            "UNRELATED": "x",
        }
    )
    assert settings.database_url == "postgresql+psycopg://db/widget"
    assert settings.sqlite_path() is None
    assert settings.admin_key == "secret"
    assert settings.bundle_dir == Path("/srv/bundle")
    assert settings.webhook_retry_delays == (1.0, 2.5, 60.0)
    assert settings.webhook_allow_private is True
    assert settings.conversation_idle_minutes == 5
    assert dict(settings.llm_env) == {
        "WIDGET_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "WIDGET_LLM_MODEL": "tiny",
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WIDGET_WEBHOOK_RETRY_DELAYS", "1,soon"),
        ("WIDGET_WEBHOOK_RETRY_DELAYS", "-1"),
        ("WIDGET_WEBHOOK_ALLOW_PRIVATE", "maybe"),
        ("WIDGET_CONVERSATION_IDLE_MINUTES", "0"),
        ("WIDGET_CONVERSATION_IDLE_MINUTES", "half an hour"),
        ("WIDGET_TRAINING_MAX_DOCUMENTS", "0"),
        ("WIDGET_TRAINING_MAX_BINARY_FILE_BYTES", "lots"),
        ("WIDGET_CRAWL_MAX_PAGES", "-3"),
        ("WIDGET_CRAWL_TIME_LIMIT", "0"),
        ("WIDGET_CRAWL_ALLOW_PRIVATE", "maybe"),
        ("WIDGET_PHONE_DEFAULT_REGION", "Germany"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_training_crawl_and_phone_settings_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "WIDGET_TRAINING_MAX_DOCUMENTS": "20",
            "WIDGET_TRAINING_MAX_BYTES": "50M",
            "WIDGET_TRAINING_MAX_TEXT_FILE_BYTES": "200k",
            "WIDGET_TRAINING_MAX_BINARY_FILE_BYTES": "5M",
            "WIDGET_CRAWL_MAX_PAGES": "30",
            "WIDGET_CRAWL_TIME_LIMIT": "45",
            "WIDGET_CRAWL_ALLOW_PRIVATE": "yes",
            "WIDGET_PHONE_DEFAULT_REGION": "de",
        }
    )
    limits = settings.training_limits()
    assert (limits.max_documents, limits.max_total_bytes) == (20, 50 * 1024 * 1024)
    assert (limits.file.max_text_bytes, limits.file.max_binary_bytes) == (
        200 * 1024,
        5 * 1024 * 1024,
    )
    assert (settings.crawl_max_pages, settings.crawl_time_limit) == (30, 45.0)
    assert settings.crawl_allow_private is True
    assert settings.phone_default_region == "DE"
