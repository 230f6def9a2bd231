"""Database engines and sessions. URLs are plain `postgresql://` in settings; the driver is psycopg 3."""

from __future__ import annotations

import psycopg
from sqlalchemy import Engine, create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def driver_url(url: str) -> str:
    """`postgresql://…` (as libpq and pgserver write it) → the SQLAlchemy psycopg 3 form."""
    for prefix in ("postgresql+psycopg://", "postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


def libpq_url(url: str) -> str:
    """The plain libpq form of a URL, for psycopg connections outside SQLAlchemy (LISTEN)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def make_async_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        driver_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def make_sync_engine(url: str) -> Engine:
    return create_engine(driver_url(url), pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


#: Seconds a client is asked to wait (`Retry-After`) when PostgreSQL does not answer.
DATABASE_RETRY_AFTER = 5


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` says PostgreSQL cannot be reached now (refused or lost connection, a server
    shutting down or terminating the session, an exhausted pool), as opposed to a bad statement: the
    caller answers SERVICE_UNAVAILABLE (503, Retry-After) instead of an internal error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
            return True
        if isinstance(current, psycopg.OperationalError | psycopg.InterfaceError | ConnectionError):
            return True
        current = current.__cause__ or current.__context__
    return False
