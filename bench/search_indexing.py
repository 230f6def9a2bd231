"""Indexing cost of subject documents: Python (document building) and engine (bulk into the mapping).

    .venv/bin/python -m bench.search_indexing [--subjects 20000]

1. Documents/s of `credit.search.document.build_document` for the demo subjects, against the
   reference builder it replaced (pypinyin `lazy_pinyin` called separately for every name, core and
   former name, for full pinyin and initials), measured in the same run on the same snapshots, and
   how many documents the two disagree on.
2. Engine-side bulk cost on an osmem-server of its own: the same documents bulk-loaded into the index
   of `search_config/subjects.json`, then into copies of it without one analysed (sub-)field each,
   to show what each costs; a field no query, filter or highlight refers to is marked unused. The
   cost is the engine process's CPU time (from /proc), which other load on the machine barely
   changes; wall time is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import gc
import os
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from elasticsearch import AsyncElasticsearch
from pypinyin import Style, lazy_pinyin

from bench.common import VAULT, demo_subject_lines
from credit.enums import SubjectKind
from credit.platform.embedded import running_engine
from credit.search import document as document_module
from credit.search.client import load_index_config, make_search_client
from credit.search.document import SubjectSnapshot, build_document
from credit.search.names import normalize_name, strip_company_forms
from credit.search.query import SearchFilter, build_search_body


def snapshot_of_line(subject_id: int, line: dict[str, Any]) -> SubjectSnapshot:
    """A snapshot of a demo subject line without records (name fields are what indexing costs)."""
    return SubjectSnapshot(
        id=subject_id,
        kind=SubjectKind(line["kind"]),
        code=line["code"],
        name=line["name"],
        former_names=tuple(line.get("formerNames") or ()),
        region_code=line.get("regionCode"),
        revision=1,
        categories=(),
        active_flag_codes=(),
        has_active_punishment=False,
    )


# --- the reference builder (what `_name_fields` did before the cached, segment-once romanisation) ----


def _reference_romanise(normalized: str) -> tuple[str, str]:
    text = normalize_name(normalized)
    return (
        "".join(lazy_pinyin(text)).lower(),
        "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower(),
    )


def _reference_unique(values: Any) -> list[str]:
    return [value for value in dict.fromkeys(values) if value]


def _reference_name_fields(name: str, former_names: tuple[str, ...]) -> dict[str, Any]:
    def core(text: str) -> str:
        return strip_company_forms(normalize_name(text))

    def full(text: str) -> str:
        return "".join(lazy_pinyin(normalize_name(text))).lower()

    def initials(text: str) -> str:
        return "".join(lazy_pinyin(normalize_name(text), style=Style.FIRST_LETTER)).lower()

    former = [f for f in former_names if normalize_name(f)]
    all_names = [name, *former]
    return {
        "name": name,
        "former_names": former,
        "name_norm": normalize_name(name),
        "name_core": core(name),
        "former_norm": _reference_unique(normalize_name(f) for f in former),
        "former_core": _reference_unique(core(f) for f in former),
        "pinyin": _reference_unique(form for n in all_names for form in (full(n), full(core(n)))),
        "initials": _reference_unique(form for n in all_names for form in (initials(n), initials(core(n)))),
    }


@contextlib.contextmanager
def reference_builder() -> Iterator[None]:
    """`build_document` with the reference name fields and person-token romanisation swapped in."""
    module: Any = document_module  # patched for the measurement only
    saved = module._name_fields, module.romanise
    module._name_fields, module.romanise = _reference_name_fields, _reference_romanise
    try:
        yield
    finally:
        module._name_fields, module.romanise = saved


def _time_build(snapshots: list[SubjectSnapshot], clear: Callable[[], None]) -> tuple[float, list[dict[str, Any]]]:
    clear()
    gc.collect()
    started = time.process_time()
    documents = [build_document(snapshot, VAULT) for snapshot in snapshots]
    return time.process_time() - started, documents


def _clear_caches() -> None:
    from credit.search import names

    names._word_romanised.cache_clear()
    names._romanised_words.cache_clear()


def measure_python(snapshots: list[SubjectSnapshot]) -> list[dict[str, Any]]:
    with reference_builder():
        before, reference = _time_build(snapshots, _clear_caches)
    after, documents = _time_build(snapshots, _clear_caches)  # cold caches: the first full reindex
    warm, _ = _time_build(snapshots, lambda: None)  # warm caches: a running worker
    differ = [(a, b) for a, b in zip(reference, documents, strict=True) if a != b]
    n = len(snapshots)
    print(f"\n== document building ({n:,} demo subjects, CPU seconds of this process) ==")
    print(f"reference (lazy_pinyin per form): {n / before:9,.0f} documents/s  ({before:.2f} s)")
    print(f"build_document, cold caches:      {n / after:9,.0f} documents/s  ({after:.2f} s)")
    print(f"build_document, warm caches:      {n / warm:9,.0f} documents/s  ({warm:.2f} s)")
    print(f"speed-up (cold): {before / after:.1f}x")
    print(f"documents that differ from the reference: {len(differ)}")
    for a, b in differ[:5]:
        changed = {key: (a.get(key), b.get(key)) for key in a.keys() | b.keys() if a.get(key) != b.get(key)}
        print(f"  subject {a['id']} {a['name']}: {changed}")
    return documents


# --- engine-side bulk cost per field ----------------------------------------------------------------


def candidates(config: dict[str, Any]) -> list[str]:
    """Every analysed field and every sub-field of the mapping ("field" or "field.sub")."""
    paths: list[str] = []
    for name, spec in config["mappings"]["properties"].items():
        if spec.get("type") == "text":
            paths.append(name)
        paths += [f"{name}.{sub}" for sub in spec.get("fields", {})]
    return paths


def _without(config: dict[str, Any], path: str) -> dict[str, Any]:
    """The index config with the (sub-)field at `path` made unsearchable.

    A sub-field is removed. A top-level analysed field keeps its sub-fields and is mapped
    `"index": false` (the document still carries the value, so the bulk is the same)."""
    trimmed = copy.deepcopy(config)
    properties = trimmed["mappings"]["properties"]
    field, _, sub = path.partition(".")
    if sub:
        del properties[field]["fields"][sub]
    else:
        properties[field]["index"] = False
    return trimmed


def referenced_fields() -> set[str]:
    """Every field a search body refers to (queries, filters, highlights, sort, aggregations)."""
    queries = [
        "常州星辰智能科技有限公司",
        "星辰智能",
        "changzhouxingchen",
        "czxc",
        "91320402MA1X",
        "张三丰",
        "長江實業",
    ]
    fields: set[str] = set()

    def walk(node: Any, parent: str | None) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if parent in {"term", "terms", "match", "match_phrase", "prefix", "fields"} and key != "boost":
                    fields.add(key)
                if key == "field" and isinstance(value, str):
                    fields.add(value)
                if key == "fields" and isinstance(value, list):
                    fields.update(value)
                walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, parent)

    for query in queries:
        body = build_search_body(
            query, filter=SearchFilter(), size=10, search_after=None, vault=VAULT, allow_id_lookup=True
        )
        walk(body, None)
    return fields


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (Linux /proc), insensitive to other load."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _bulk_seconds(
    client: AsyncElasticsearch, pid: int, config: dict[str, Any], payloads: list[bytes]
) -> tuple[float, float]:
    """(engine CPU seconds, wall seconds) of bulk-loading `payloads` into a new index with `config`."""
    index = "bench_bulk"
    await client.options(ignore_status=404).indices.delete(index=index)
    settings = copy.deepcopy(config["settings"])
    settings["index"].update(refresh_interval="-1", number_of_replicas=0)
    settings["index"].pop("auto_expand_replicas", None)
    await client.indices.create(index=index, settings=settings, mappings=config["mappings"])
    started, cpu = time.perf_counter(), process_cpu_seconds(pid)
    for payload in payloads:
        response = await client.perform_request(
            "POST", f"/{index}/_bulk", body=payload, headers={"content-type": "application/x-ndjson"}
        )
        assert not response["errors"], str(response)[:2000]
    await client.indices.refresh(index=index)
    seconds, cpu = time.perf_counter() - started, process_cpu_seconds(pid) - cpu
    await client.indices.delete(index=index)
    return cpu, seconds


def _values(document: dict[str, Any], field: str) -> list[str]:
    value = document.get(field)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


async def token_counts(
    client: AsyncElasticsearch, config: dict[str, Any], documents: list[dict[str, Any]]
) -> dict[str, int]:
    """Tokens each analysed (sub-)field makes for `documents`, from the engine's `_analyze` API."""
    index = "bench_analyze"
    await client.options(ignore_status=404).indices.delete(index=index)
    await client.indices.create(index=index, settings=config["settings"], mappings=config["mappings"])
    counts: dict[str, int] = {}
    try:
        for path in candidates(config):
            field = path.partition(".")[0]
            values = [value for document in documents for value in _values(document, field)]
            counts[path] = 0
            for start in range(0, len(values), 100):  # index.analyze.max_token_count is 10,000
                response = await client.indices.analyze(index=index, field=path, text=values[start : start + 100])
                counts[path] += len(response["tokens"])
    finally:
        await client.indices.delete(index=index)
    return counts


async def measure_engine(documents: list[dict[str, Any]], rounds: int) -> None:
    payloads: list[bytes] = []
    for start in range(0, len(documents), 500):
        lines = []
        for document in documents[start : start + 500]:
            lines.append(orjson.dumps({"index": {"_id": str(document["id"])}}))
            lines.append(orjson.dumps(document))
        payloads.append(b"\n".join(lines) + b"\n")
    config = load_index_config()
    used = referenced_fields()
    variants = [("(full mapping)", config)] + [
        (f"without {path}", _without(config, path)) for path in candidates(config)
    ]
    cpu: dict[str, list[float]] = {label: [] for label, _ in variants}
    wall: dict[str, list[float]] = {label: [] for label, _ in variants}
    with running_engine() as server:
        client = make_search_client(server.url, "opensearch", request_timeout=300)
        try:
            tokens = await token_counts(client, config, documents)
            await _bulk_seconds(client, server.pid, config, payloads)  # warm-up: the first load is slower
            for _ in range(rounds):  # interleaved rounds: drift and other load hit every variant alike
                for label, variant in variants:
                    engine_cpu, seconds = await _bulk_seconds(client, server.pid, variant, payloads)
                    cpu[label].append(engine_cpu)
                    wall[label].append(seconds)
        finally:
            await client.close()
    full = statistics.median(cpu["(full mapping)"])
    n = len(documents)
    print(f"\n== engine bulk cost (osmem-server, {n:,} documents, median of {rounds} interleaved rounds) ==")
    print("engine CPU seconds of the osmem-server process (wall time varies with other load on the machine)")
    print("field share: CPU saved without the field (differences under ~15 % are noise on a busy machine);")
    print("tokens: tokens the field's analyzer makes per document (from _analyze: exact, load-independent)")
    total_tokens = sum(tokens.values())
    print(
        f"{'mapping':<28} {'CPU s':>7} {'docs/CPU s':>10} {'wall s':>7} {'field share':>11}"
        f" {'tokens/doc':>10} {'of tokens':>9}  used by queries"
    )
    for label, _ in variants:
        seconds = statistics.median(cpu[label])
        path = label.removeprefix("without ")
        full_mapping = label == "(full mapping)"
        share = 0.0 if full_mapping else (full - seconds) / full
        usage = "" if full_mapping else ("yes" if path in used else "NO")
        count = total_tokens if full_mapping else tokens[path]
        print(
            f"{label:<28} {seconds:7.2f} {n / seconds:10,.0f} {statistics.median(wall[label]):7.2f}"
            f" {share:11.1%} {count / n:10.1f} {count / total_tokens:9.1%}  {usage}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--engine-subjects", type=int, default=2_000, help="documents bulk-loaded per mapping")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved bulk rounds per mapping (median kept)")
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    lines = demo_subject_lines(args.subjects)
    snapshots = [snapshot_of_line(number, line) for number, line in enumerate(lines, start=1)]
    documents = measure_python(snapshots)
    if not args.skip_engine:
        asyncio.run(measure_engine(documents[: args.engine_subjects], args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
