"""The one typed configuration object of the Tasks service.

Everything configurable is read here, from environment variables (prefix `TASKS_`; `DATABASE_URL`
and `REDIS_URL` also work unprefixed, as platforms set them) and from a `.env` file. Nothing else
in the service reads the environment. In production mode the service refuses to start with the
development signing secret, so a forgotten variable cannot ship forgeable tokens.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cached_property
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-insecure-secret-change-me-0123456789"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/tasks.db"


class Settings(BaseSettings):
    """Service configuration; see docs/tasks-api.md for every variable."""

    model_config = SettingsConfigDict(
        env_prefix="TASKS_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Literal["development", "test", "production"] = "development"

    # The plugin cannot see that these aliases have defaults; the unprefixed names are what
    # hosting platforms set.
    database_url: str = Field(  # type: ignore[pydantic-alias]
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("TASKS_DATABASE_URL", "DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; postgresql:// is served through asyncpg.",
    )
    database_schema: str | None = Field(
        default=None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL schema to use (search_path); ignored on SQLite.",
    )
    database_echo: bool = False
    database_pool_size: int = Field(
        default=20, ge=1, description="pooled connections per process, opened as needed and kept"
    )
    database_max_overflow: int = Field(
        default=0,
        ge=0,
        description="connections beyond the pool, closed again after use (churn under load)",
    )
    database_connect_timeout_seconds: float = Field(
        default=2.0, gt=0, le=60, description="opening a connection (asyncpg connect)"
    )
    database_statement_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=300,
        description="one statement (asyncpg command timeout and PostgreSQL statement_timeout; "
        "SQLite busy timeout)",
    )
    database_pool_timeout_seconds: float = Field(
        default=3.0, gt=0, le=60, description="waiting for a free pooled connection"
    )
    redis_url: str | None = Field(  # type: ignore[pydantic-alias]
        default=None,
        validation_alias=AliasChoices("TASKS_REDIS_URL", "REDIS_URL", "redis_url"),
        description="Shared rate-limit and revocation state; in-process when unset.",
    )
    redis_key_prefix: str = "tasks:"
    redis_connect_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    redis_timeout_seconds: float = Field(default=1.0, gt=0, le=60, description="one command")

    request_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="the deadline of one request; past it the answer is 503 and the work stops",
    )
    write_retry_seconds: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description="how long an unconditional write retries a lost compare-and-set (then 503)",
    )
    retry_after_seconds: int = Field(
        default=5, ge=1, le=3600, description="`Retry-After` of a 503 (a dependency is down)"
    )
    cursor_secrets: list[SecretStr] = Field(
        default_factory=list,
        description="HMAC keys for list cursors: the first signs, all verify (rotation); "
        "when empty, a key derived from the JWT signing key",
    )

    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_issuer: str = "specfirst-tasks"
    jwt_audience: str = "specfirst-tasks-api"
    jwt_leeway_seconds: int = Field(default=10, ge=0, le=300)
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=60)

    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65_536, ge=1024)
    argon2_parallelism: int = Field(default=4, ge=1)

    login_account_limit: int = Field(default=10, ge=1, description="attempts per account")
    login_account_window_seconds: int = Field(default=300, ge=1)
    login_client_limit: int = Field(default=30, ge=1, description="attempts per client address")
    login_client_window_seconds: int = Field(default=60, ge=1)
    register_client_limit: int = Field(default=20, ge=1)
    register_client_window_seconds: int = Field(default=3600, ge=1)
    refresh_client_limit: int = Field(default=60, ge=1)
    refresh_client_window_seconds: int = Field(default=60, ge=1)

    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_header_bytes: int = Field(
        default=16_384, ge=1024, description="all request header names and values (431)"
    )
    max_header_count: int = Field(default=100, ge=10, description="request headers (431)")
    max_url_bytes: int = Field(default=8192, ge=256, description="path and query string (414)")
    gzip_minimum_bytes: int = Field(default=1000, ge=0)
    hsts: bool = Field(default=False, description="send Strict-Transport-Security (HTTPS only)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_logs: bool = True

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    http_parser: Literal["h11", "httptools"] = Field(
        default="h11",
        description="uvicorn's HTTP parser; h11 bounds the request head, httptools does not",
    )
    h11_max_incomplete_event_size: int = Field(
        default=65_536,
        ge=4096,
        description="request line + headers uvicorn (h11) buffers before answering 400 itself",
    )

    @model_validator(mode="after")
    def _production_is_safe(self) -> Self:
        if self.jwt_algorithm == "RS256" and self.jwt_private_key_file is None:
            raise ValueError("RS256 needs TASKS_JWT_PRIVATE_KEY_FILE (and a public key)")
        if self.environment == "production":
            secret = self.jwt_secret.get_secret_value()
            if self.jwt_algorithm == "HS256" and (secret == DEV_JWT_SECRET or len(secret) < 32):
                raise ValueError(
                    "production needs TASKS_JWT_SECRET set to a random value of 32+ characters"
                )
        if any(len(secret.get_secret_value()) < 32 for secret in self.cursor_secrets):
            raise ValueError("every TASKS_CURSOR_SECRETS key needs 32+ characters")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with an async driver (`postgresql://` means asyncpg)."""
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite://") and not url.startswith("sqlite+"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @cached_property
    def cursor_keys(self) -> tuple[bytes, ...]:
        """The cursor HMAC keys, the signing one first."""
        if self.cursor_secrets:
            return tuple(secret.get_secret_value().encode() for secret in self.cursor_secrets)
        derived = hmac.new(self.signing_key.encode(), b"tasks-cursor-v1", hashlib.sha256)
        return (derived.digest(),)

    @cached_property
    def signing_key(self) -> str:
        if self.jwt_algorithm == "RS256":
            assert self.jwt_private_key_file is not None  # checked by the validator
            return self.jwt_private_key_file.read_text()
        return self.jwt_secret.get_secret_value()

    @cached_property
    def verification_key(self) -> str:
        if self.jwt_algorithm == "RS256":
            if self.jwt_public_key_file is None:
                raise ValueError("RS256 needs TASKS_JWT_PUBLIC_KEY_FILE")
            return self.jwt_public_key_file.read_text()
        return self.jwt_secret.get_secret_value()
