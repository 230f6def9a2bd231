"""The `creditgraph` command line (CONTRACT.md): serve, demo, import, keys, worker, reindex, outbox."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from credit.clock import CHINA
from credit.enums import Role
from credit.errors import DomainError
from credit.platform.config import Settings, get_settings, pool_size_per_worker
from credit.platform.runtime import Runtime, SearchMode, open_runtime

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


@contextlib.contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Progress]:
    """A progress line on a terminal; silent when stderr is not one (CI, pipes)."""
    columns = [TextColumn(label), BarColumn(), TextColumn("{task.completed:,}"), TimeElapsedColumn()]
    with Progress(*columns, console=err, disable=not err.is_terminal, transient=True) as bar:
        bar.add_task(label, total=total)
        yield bar


def _advance(bar: Progress, completed: int) -> None:
    bar.update(bar.task_ids[0], completed=completed)


# --- import -----------------------------------------------------------------------------------------


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    yield from stream


async def _import(settings: Settings, path: str, authorities: list[str] | None) -> int:
    from credit.records.importer import Importer

    scope = frozenset(a.strip() for a in authorities) if authorities else None
    async with open_runtime(settings, search=SearchMode.NONE) as runtime:
        with progress("importing") as bar:
            importer = Importer(runtime, authorities=scope, on_progress=lambda s: _advance(bar, s.lines))
            if path == "-":
                summary = await importer.run(_lines(sys.stdin.buffer))
            else:
                with open(path, "rb") as fh:  # noqa: ASYNC230 - a sequential stream, read between batches
                    summary = await importer.run(_lines(fh))
    for number, reason in summary.rejected:
        out.print(f"line {number}: {reason}", markup=False)
    for number, warning in summary.warnings:
        out.print(f"line {number}: warning: {warning}", markup=False)
    warned = f", {len(summary.warnings)} with warnings" if summary.warnings else ""
    out.print(
        f"accepted {summary.accepted} (created {summary.created}, updated {summary.updated}, "
        f"unchanged {summary.unchanged}{warned}), rejected {len(summary.rejected)}",
        markup=False,
    )
    return 1 if summary.rejected else 0


# --- keys --------------------------------------------------------------------------------------------


async def _create_key(
    settings: Settings,
    role: Role,
    name: str,
    subject_code: str | None,
    authorities: list[str],
    rate_limit: int | None,
) -> int:
    from credit.access.service import create_key

    async with open_runtime(settings, search=SearchMode.NONE) as runtime:
        try:
            key = await create_key(runtime, role, name, subject_code, authorities, rate_limit)
        except DomainError as exc:
            err.print(exc.message, markup=False)
            return 2
    out.print(key, markup=False)
    return 0


async def _list_keys(settings: Settings) -> int:
    from rich.table import Table

    from credit.access.service import list_keys

    async with open_runtime(settings, search=SearchMode.NONE) as runtime:
        keys = await list_keys(runtime)
    table = Table("prefix", "role", "name", "authorities", "subject", "created", "last used", "revoked")

    def when(value: dt.datetime | None) -> str:
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else "-"

    for key in keys:
        table.add_row(
            key.prefix,
            key.role.value,
            key.name,
            ", ".join(key.authorities) or "-",
            key.subject_code or "-",
            when(key.created_at),
            when(key.last_used_at),
            when(key.revoked_at),
        )
    out.print(table)
    return 0


async def _revoke_key(settings: Settings, prefix: str) -> int:
    from credit.access.service import revoke_key

    async with open_runtime(settings, search=SearchMode.NONE) as runtime:
        count = await revoke_key(runtime, prefix)
    out.print(f"revoked {count} key(s)")
    return 0 if count else 1


# --- worker, reindex, outbox --------------------------------------------------------------------------


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _need_search(runtime: Runtime) -> bool:
    if runtime.search is None:
        err.print("no search engine: set ELASTICSEARCH_URL, or start `creditgraph serve` on this CREDITGRAPH_HOME")
        return False
    return True


async def _worker(settings: Settings, metrics_port: int | None) -> int:
    from indexers.worker import Indexer

    async with open_runtime(settings, search=SearchMode.CONNECT) as runtime:
        if not _need_search(runtime):
            return 2
        if metrics_port is not None:
            # This process's counters and lag histogram; the outbox gauges are on the API's /metrics.
            from prometheus_client import start_http_server

            start_http_server(metrics_port)
        await Indexer(runtime).run(_stop_event())
    return 0


async def _reindex(settings: Settings) -> int:
    from indexers.reindex import reindex

    async with open_runtime(settings, search=SearchMode.CONNECT) as runtime:
        if not _need_search(runtime):
            return 2
        with progress("reindexing") as bar:
            summary = await reindex(runtime, on_progress=lambda n: _advance(bar, n))
    out.print(
        f"reindexed {summary.subjects} subjects into {summary.index} in {summary.seconds:.1f} s "
        f"({summary.caught_up} caught up after the load, {summary.deleted} vanished); alias swapped"
    )
    if summary.queued:
        err.print(f"{summary.queued} subject(s) could not be written and were queued: see `creditgraph outbox`")
    return 0


async def _outbox(settings: Settings, action: str, ids: list[int] | None) -> int:
    from credit.outbox import queue

    async with open_runtime(settings, search=SearchMode.NONE) as runtime:
        if action == "replay":
            count = await queue.replay(runtime.engine, ids)
            out.print(f"replaying {count} dead letter(s)")
            return 0 if count or not ids else 1
        stats = await queue.stats(runtime.engine)
        rows = await queue.dead_letters(runtime.engine)
    out.print(
        f"pending {stats.backlog} ({stats.retrying} retrying), oldest {stats.oldest_pending_age:.1f} s; "
        f"dead letters {stats.dead}"
    )
    for row in rows:
        out.print(
            f"  #{row.id} subject {row.subject_id} ({row.reason}) after {row.attempts} attempts: {row.last_error}",
            markup=False,
        )
    return 0


# --- serve and demo -----------------------------------------------------------------------------------


async def _prepare(settings: Settings, fresh_engine: bool, demo_subjects: int | None) -> dict[str, str]:
    """Migrate, load demo data, and build the index when the engine is new; the URLs for workers."""
    from credit.search.client import ensure_alias
    from indexers.reindex import reindex

    async with open_runtime(settings, search=SearchMode.CONNECT) as runtime:
        if demo_subjects is not None:
            await _load_demo(runtime, demo_subjects)
        assert runtime.search is not None
        if fresh_engine:
            with progress("building the search index") as bar:
                summary = await reindex(runtime, on_progress=lambda n: _advance(bar, n))
            err.print(f"search index built: {summary.subjects:,} subjects in {summary.seconds:.1f} s")
        else:
            await ensure_alias(runtime.search, runtime.alias)
        if demo_subjects is not None:
            await _print_demo_keys(runtime)
        return {"DATABASE_URL": runtime.database_url, "ELASTICSEARCH_URL": runtime.search_url or ""}


async def _load_demo(runtime: Runtime, subjects: int) -> None:
    import orjson

    from credit.records.importer import Importer
    from creditgraph.demo.generator import generate

    with progress("loading demo data") as bar:
        importer = Importer(runtime, actor="demo", on_progress=lambda s: _advance(bar, s.lines))
        summary = await importer.run(orjson.dumps(line) for line in generate(subjects))
    err.print(
        f"demo data: {summary.accepted:,} lines accepted ({summary.created:,} created, "
        f"{summary.unchanged:,} unchanged), {len(summary.rejected)} rejected"
    )


async def _print_demo_keys(runtime: Runtime) -> None:
    from creditgraph.demo.keys import issue_demo_keys

    out.print("demo API keys (Authorization: Bearer <key>); earlier demo keys are revoked:")
    for role, key, authorities in await issue_demo_keys(runtime):
        acting = f"  (for {', '.join(authorities)})" if authorities else ""
        out.print(f"  {role.value:<22} {key}{acting}", markup=False)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _serve(settings: Settings, args: argparse.Namespace, demo_subjects: int | None) -> int:
    import uvicorn

    from credit.platform.embedded import EmbeddedSearch, find_search, search_state_file, start_search

    # uvicorn re-raises the signal that stopped it once it has shut down. Left to its default, a
    # SIGTERM (docker stop, systemd, a supervisor) would end the process on the spot, skipping the
    # `finally` below and the embedded PostgreSQL's exit hook: leave through SystemExit instead.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    embedded: EmbeddedSearch | None = None
    if args.workers > 1 and settings.redis_url is None:
        # A worker's in-process cache would not hear of changes another worker's indexer applied,
        # and its subscribers would miss them: several workers share these through Redis.
        err.print(
            "--workers above 1 needs REDIS_URL: API workers share their profile cache, rate limits and "
            "live events through Redis (the in-process default serves one worker)"
        )
        return 2
    if settings.elasticsearch_url is None:
        running = find_search(settings.home)
        if running is None:
            # This process owns the in-memory engine for the whole serve (API workers are children).
            embedded = start_search(settings.home)
            running = embedded.url
        os.environ["ELASTICSEARCH_URL"] = running
        settings = Settings()
    if demo_subjects is not None and "CORS_ALLOW_ORIGINS" not in os.environ:
        # The demo serves a front end under development on this machine (api/http/cors.py).
        from api.http.cors import DEMO_ORIGINS

        os.environ["CORS_ALLOW_ORIGINS"] = ",".join(DEMO_ORIGINS)
    try:
        env = asyncio.run(_prepare(settings, embedded is not None, demo_subjects))
        os.environ.update({k: v for k, v in env.items() if v})
        os.environ["CREDITGRAPH_RUN_WORKER"] = "0" if args.no_worker else "1"
        if "DB_POOL_SIZE" not in os.environ:
            pool = pool_size_per_worker(settings.db_connection_budget, args.workers, settings.db_pool_size)
            os.environ["DB_POOL_SIZE"] = str(pool)
        err.print(
            f"serving on http://{args.host}:{args.port}/graphql"
            f" ({args.workers} worker{'s' if args.workers > 1 else ''}, up to {2 * int(os.environ['DB_POOL_SIZE'])}"
            " database connections each)"
        )
        uvicorn.run(
            "creditgraph.wiring:app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
            # uvicorn would otherwise take X-Forwarded-For from any loopback peer as the client's
            # address; the API reads it itself, only behind TRUSTED_PROXIES (api/guard/admission.py).
            proxy_headers=False,
        )
    finally:
        if embedded is not None:
            embedded.close(search_state_file(settings.home))
    return 0


# --- entry point ---------------------------------------------------------------------------------------


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 1_000_000_000:
        raise argparse.ArgumentTypeError("must be from 1 to 1000000000")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="creditgraph", description="Public credit-information service")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "demo"):
        p = sub.add_parser(name, help="serve the API" if name == "serve" else "load demo data, then serve")
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, default=1)
        p.add_argument("--no-worker", action="store_true", help="do not run an indexer in-process")
        if name == "demo":
            p.add_argument("--subjects", type=int, default=20_000)
    p = sub.add_parser("import", help="load NDJSON subjects and records")
    p.add_argument("file", help="NDJSON file, or - for standard input")
    p.add_argument(
        "--authority",
        action="append",
        dest="authorities",
        metavar="AUTHORITY",
        help="load a provider's file: its records must belong to this authority (repeatable)",
    )
    keys = sub.add_parser("keys", help="manage API keys").add_subparsers(dest="keys_command", required=True)
    p = keys.add_parser("create", help="create a key (printed once)")
    p.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.PUBLIC])
    p.add_argument("--name", required=True)
    p.add_argument("--subject", help="code of the subject a SUBJECT key acts for")
    p.add_argument(
        "--authority",
        action="append",
        dest="authorities",
        default=[],
        metavar="AUTHORITY",
        help="an authority (认定单位) the key writes and decides for (repeatable; required for DATA_PROVIDER)",
    )
    p.add_argument(
        "--rate-limit",
        type=_positive,
        metavar="COST_PER_MINUTE",
        help="the key's own budget in query cost per minute (default: RATE_LIMIT_COST_PER_KEY per window)",
    )
    keys.add_parser("list", help="every key: role, name, authorities, subject, created, last used, revoked")
    p = keys.add_parser("revoke", help="revoke a key by its first 10 characters")
    p.add_argument("prefix")
    p = sub.add_parser("worker", help="run an indexer worker")
    p.add_argument("--metrics-port", type=int, help="serve this worker's Prometheus metrics on this port")
    sub.add_parser("reindex", help="rebuild the search index and swap the alias")
    p = sub.add_parser("outbox", help="indexing backlog and dead letters")
    p.add_argument("action", choices=["status", "replay"], nargs="?", default="status")
    p.add_argument("--id", type=int, action="append", dest="ids", help="replay only this dead letter (repeatable)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    Path(settings.home).mkdir(parents=True, exist_ok=True)
    if args.command in ("serve", "demo"):
        return _serve(settings, args, args.subjects if args.command == "demo" else None)
    if args.command == "import":
        return asyncio.run(_import(settings, args.file, args.authorities))
    if args.command == "keys":
        if args.keys_command == "create":
            return asyncio.run(
                _create_key(settings, Role(args.role), args.name, args.subject, args.authorities, args.rate_limit)
            )
        if args.keys_command == "list":
            return asyncio.run(_list_keys(settings))
        return asyncio.run(_revoke_key(settings, args.prefix))
    if args.command == "worker":
        return asyncio.run(_worker(settings, args.metrics_port))
    if args.command == "reindex":
        return asyncio.run(_reindex(settings))
    if args.command == "outbox":
        return asyncio.run(_outbox(settings, args.action, args.ids))
    return 2


if __name__ == "__main__":
    sys.exit(main())
