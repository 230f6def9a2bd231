"""Search quality: recall@1, recall@3 and MRR of `searchSubjects` on a labelled query set.

    .venv/bin/python -m bench.search_quality [--subjects 20000] [--per-type 80] [--show-misses 5]

The demo data set (`creditgraph.demo.generator.generate`) is loaded into a PostgreSQL database of its own through
the real importer, indexed by the real full reindex into an osmem-server of its own, and searched
through `credit.search.service.search_subjects` (the function behind `searchSubjects`, PUBLIC viewer,
first 10). The database is dropped at the end.

Query types (generated from the demo lines with a fixed seed; "core" is the name without its
company-form suffix, see credit/search/names.py):

- exact_name: the registered name as written (all kinds);
- exact_code: the 统一社会信用代码 (organisations; a person's ID number is found only by entitled
  roles, through the blind index);
- code_prefix: the first 10-14 characters of the code (organisations);
- traditional: OpenCC s2t of a simplified name, t2s of a name stored in traditional characters
  (all kinds);
- typo: one character of the core substituted (by a character of another name) or deleted, in the
  full name or in the core alone (organisations: person names are indexed only as keyed hashes,
  with no typo tolerance by design, see search_config/README.md);
- fragment: a contiguous 3-5 character substring of the core (organisations);
- former_name: a former name (曾用名) as written (organisations with former names);
- pinyin: full pinyin of the core, lower case, no spaces (all kinds);
- initials: pinyin initials of the core (all kinds);
- pinyin_typo: the pinyin of the core with one letter (not the first) substituted or deleted
  (organisations: a person's pinyin is only hashed);
- pinyin_fragment: the pinyin of a contiguous 3-4 character substring of the core (organisations);
- trade_pinyin, trade_initials, mixed: typed from the company's 字号 (trade name) without the place
  and often without the form (xingchen, xczn, 星辰zn, xingchen智能): see bench.trade_queries, whose
  ground truth is the demo generator's own parts of each name.

Labels: a query's correct answers are every subject that has the same normalised text for that
query type, not only the subject it was made from, because such queries are genuinely ambiguous:

- exact_name, traditional, typo: subjects whose normalised name equals the source subject's;
- exact_code: the subject; code_prefix: every organisation whose code starts with the prefix;
- fragment: every organisation whose normalised core contains the fragment; fragments contained in
  more than 20 cores are not generated (they name a place or a trade, not a subject);
- former_name: every subject whose normalised current or former name equals the query;
- pinyin / initials: every subject whose name or core romanises to the query (张伟 and 章伟 are the
  same query `zhangwei`; `zw` is any of them); pinyin_typo: those of the pinyin it was made from;
- pinyin_fragment: every organisation whose core's pinyin contains the query (at most 20, as for
  fragments).

A typo that turns the name (or its core) into another subject's name or core is discarded: it is
not a typo any more.
A query counts as found at rank r when the first correct answer is the r-th hit; MRR uses 1/r over
the first 10 hits (0 when none is correct).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import opencc
from sqlalchemy import text

from bench.common import VAULT, add_environment_options, run_on_demo
from bench.trade_queries import TRADE_TYPES, TradeLabels, trade_makers
from credit.search.names import normalize_name, romanise, romanise_prefix, strip_company_forms
from credit.search.service import search_subjects
from credit.subjects.identifiers import normalize_any_code
from creditgraph.demo.generator import trade_names

DATABASE = "creditgraph_bench_search_quality"
TYPES = (
    "exact_name",
    "exact_code",
    "code_prefix",
    "traditional",
    "typo",
    "fragment",
    "former_name",
    "pinyin",
    "initials",
    "pinyin_typo",
    "pinyin_fragment",
    *TRADE_TYPES,
)
TOP = 10
MAX_FRAGMENT_SUBJECTS = 20
PERSON = "NATURAL_PERSON"


@dataclass(frozen=True)
class Subject:
    id: int
    kind: str
    code: str
    name: str
    former_names: tuple[str, ...]
    normalized: str
    core: str
    forms: frozenset[str]  # pinyin and initials of the name and of its core
    trade: str = ""  # the 字号 the demo generator composed the name from, and the industry after it
    industry: str = ""


@dataclass
class Query:
    type: str
    text: str
    source: Subject
    correct: frozenset[int]
    rank: int | None = None
    top: list[int] = field(default_factory=list)


class Labels:
    """Indexes of the demo subjects by the normalised text of each query type."""

    def __init__(self, subjects: list[Subject]) -> None:
        self.subjects = subjects
        self.by_id = {s.id: s for s in subjects}
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.by_any_name: dict[str, set[int]] = defaultdict(set)
        self.by_any_core: dict[str, set[int]] = defaultdict(set)
        self.by_form: dict[str, set[int]] = defaultdict(set)
        for s in subjects:
            self.by_name[s.normalized].add(s.id)
            self.by_any_name[s.normalized].add(s.id)
            self.by_any_core[s.core].add(s.id)
            for former in s.former_names:
                self.by_any_name[normalize_name(former)].add(s.id)
                self.by_any_core[strip_company_forms(normalize_name(former))].add(s.id)
            for form in s.forms:
                self.by_form[form].add(s.id)
        self.organisations = [s for s in subjects if s.kind != PERSON]
        self.cores = [(s.core, s.id) for s in self.organisations]
        self.core_pinyin = [(romanise_prefix(s.normalized, len(s.core))[0], s.id) for s in self.organisations]

    def containing(self, fragment: str, limit: int, *, pinyin: bool = False) -> set[int] | None:
        """Organisations whose core (or its pinyin) contains `fragment`, or None when more than `limit` do."""
        found: set[int] = set()
        for core, subject_id in self.core_pinyin if pinyin else self.cores:
            if fragment in core:
                found.add(subject_id)
                if len(found) > limit:
                    return None
        return found

    def code_prefix(self, prefix: str) -> set[int]:
        return {s.id for s in self.organisations if s.code.startswith(prefix)}


def make_subject(subject_id: int, line: dict[str, Any], parts: tuple[str, str] = ("", "")) -> Subject:
    normalized = normalize_name(line["name"])
    core = strip_company_forms(normalized)
    full = romanise(normalized)
    core_forms = romanise_prefix(normalized, len(core))
    return Subject(
        id=subject_id,
        kind=line["kind"],
        code=line["code"],
        name=line["name"],
        former_names=tuple(line.get("formerNames") or ()),
        normalized=normalized,
        core=core,
        forms=frozenset((*full, *core_forms)),
        trade=parts[0],
        industry=parts[1],
    )


def generate_queries(labels: Labels, per_type: int, seed: int) -> list[Query]:
    rng = random.Random(seed)
    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    everyone, organisations = labels.subjects, labels.organisations
    with_former = [s for s in organisations if s.former_names]
    alphabet = sorted({ch for s in organisations for ch in s.core if "\u4e00" <= ch <= "\u9fff"})

    def same_name(s: Subject) -> frozenset[int]:
        return frozenset(labels.by_name[s.normalized])

    def exact_name(s: Subject) -> tuple[str, frozenset[int]] | None:
        return s.name, same_name(s)

    def exact_code(s: Subject) -> tuple[str, frozenset[int]] | None:
        return s.code, frozenset({s.id})

    def code_prefix(s: Subject) -> tuple[str, frozenset[int]] | None:
        prefix = s.code[: rng.randint(10, 14)]
        return prefix, frozenset(labels.code_prefix(prefix))

    def traditional(s: Subject) -> tuple[str, frozenset[int]] | None:
        simplified = t2s.convert(s.name)
        query = simplified if simplified != s.name else s2t.convert(s.name)
        return (query, same_name(s)) if query != s.name else None

    def typo(s: Subject) -> tuple[str, frozenset[int]] | None:
        if len(s.core) < 4:
            return None
        position = rng.randrange(len(s.core))
        if rng.random() < 0.5:
            replacement = rng.choice(alphabet)
            if replacement == s.core[position]:
                return None
            core = s.core[:position] + replacement + s.core[position + 1 :]
        else:
            core = s.core[:position] + s.core[position + 1 :]
        query = core if rng.random() < 0.5 else core + s.normalized[len(s.core) :]
        normalized = normalize_name(query)
        if normalized in labels.by_any_name or strip_company_forms(normalized) in labels.by_any_core:
            return None  # the typo made another subject's name
        return query, same_name(s)

    def fragment(s: Subject) -> tuple[str, frozenset[int]] | None:
        length = rng.randint(3, 5)
        if len(s.core) <= length:
            return None
        start = rng.randrange(len(s.core) - length + 1)
        piece = s.core[start : start + length]
        found = labels.containing(piece, MAX_FRAGMENT_SUBJECTS)
        return (piece, frozenset(found)) if found else None

    def former_name(s: Subject) -> tuple[str, frozenset[int]] | None:
        former = rng.choice(s.former_names)
        return former, frozenset(labels.by_any_name[normalize_name(former)])

    def pinyin(s: Subject) -> tuple[str, frozenset[int]] | None:
        query = romanise_prefix(s.normalized, len(s.core))[0]
        return query, frozenset(labels.by_form[query])

    def initials(s: Subject) -> tuple[str, frozenset[int]] | None:
        query = romanise_prefix(s.normalized, len(s.core))[1]
        return query, frozenset(labels.by_form[query])

    def pinyin_typo(s: Subject) -> tuple[str, frozenset[int]] | None:
        query = romanise_prefix(s.normalized, len(s.core))[0]
        if len(query) < 8 or not query.isascii():
            return None
        position = rng.randrange(1, len(query))
        if rng.random() < 0.5:
            replacement = rng.choice("abcdefghijklmnopqrstuvwxyz")
            typo = query[:position] + replacement + query[position + 1 :]
        else:
            typo = query[:position] + query[position + 1 :]
        if typo == query or typo in labels.by_form:
            return None  # not a typo, or another subject's pinyin
        return typo, frozenset(labels.by_form[query])

    def pinyin_fragment(s: Subject) -> tuple[str, frozenset[int]] | None:
        length = rng.randint(3, 4)
        if len(s.core) <= length:
            return None
        start = rng.randrange(len(s.core) - length + 1)
        piece = romanise(s.core[start : start + length])[0]
        found = labels.containing(piece, MAX_FRAGMENT_SUBJECTS, pinyin=True)
        return (piece, frozenset(found)) if found else None

    makers: dict[str, tuple[list[Subject], Callable[[Subject], tuple[str, frozenset[int]] | None]]] = {
        "exact_name": (everyone, exact_name),
        "exact_code": (organisations, exact_code),
        "code_prefix": (organisations, code_prefix),
        "traditional": (everyone, traditional),
        "typo": (organisations, typo),
        "fragment": (organisations, fragment),
        "former_name": (with_former, former_name),
        "pinyin": (everyone, pinyin),
        "initials": (everyone, initials),
        "pinyin_typo": (organisations, pinyin_typo),
        "pinyin_fragment": (organisations, pinyin_fragment),
    }
    trade_labels = TradeLabels((s for s in organisations if s.trade), labels.by_form)
    companies = [s for s in organisations if s.id in trade_labels.texts]
    for kind, make_trade in trade_makers(trade_labels, rng).items():
        makers[kind] = (companies, make_trade)
    queries: list[Query] = []
    for kind in TYPES:
        pool, make = makers[kind]
        made = 0
        for _ in range(per_type * 50):
            if made == per_type:
                break
            source = rng.choice(pool)
            result = make(source)
            if result is None or not result[0] or not result[1]:
                continue
            queries.append(Query(kind, result[0], source, result[1]))
            made += 1
    return queries


async def load_subjects(settings: Any, lines: list[dict[str, Any]], args: argparse.Namespace) -> list[Subject]:
    """The demo subjects with their database ids (matched on the keyed blind index of the code) and
    the parts the generator composed companies' names from."""
    parts = trade_names(args.subjects, args.seed)
    from credit.platform.runtime import SearchMode, open_runtime

    async with open_runtime(settings, search=SearchMode.NONE) as runtime, runtime.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, code_index FROM subjects"))).all()
    ids = {bytes(row.code_index): row.id for row in rows}
    subjects = []
    for line in lines:
        canonical = normalize_any_code(line["code"]) or line["code"]
        subject_id = ids.get(VAULT.blind_index(canonical))
        if subject_id is not None:
            subjects.append(make_subject(subject_id, line, parts.get(line["code"], ("", ""))))
    return subjects


async def run_queries(settings: Any, queries: list[Query]) -> float:
    from credit.platform.runtime import SearchMode, open_runtime

    async with open_runtime(settings, search=SearchMode.CONNECT, migrate=False) as runtime:
        assert runtime.search is not None
        started = time.perf_counter()
        failed = 0
        for query in queries:
            try:
                page = await search_subjects(
                    runtime.search, runtime.alias, runtime.vault, query.text, first=TOP, with_facets=False
                )
            except Exception as exc:  # a search that crashes finds nothing: counted as a miss, and said
                failed += 1
                print(f"  {query.type} {query.text!r} failed: {type(exc).__name__}")
                continue
            query.top = [hit.id for hit in page.hits]
            query.rank = next((rank for rank, hit in enumerate(query.top, 1) if hit in query.correct), None)
        if failed:
            print(f"{failed} queries failed")
        return time.perf_counter() - started


def report(queries: list[Query], labels: Labels, show_misses: int) -> None:
    by_type: dict[str, list[Query]] = defaultdict(list)
    for query in queries:
        by_type[query.type].append(query)
    print(f"\n{'type':<13} {'queries':>7} {'ambiguous':>9} {'recall@1':>9} {'recall@3':>9} {'MRR':>7}")
    rows = [(kind, by_type[kind]) for kind in TYPES] + [("overall", queries)]
    for kind, group in rows:
        if not group:
            continue
        n = len(group)
        r1 = sum(q.rank == 1 for q in group) / n
        r3 = sum(q.rank is not None and q.rank <= 3 for q in group) / n
        mrr = sum(1 / q.rank for q in group if q.rank) / n
        ambiguous = sum(len(q.correct) > 1 for q in group)
        if kind == "overall":
            print("-" * 60)
        print(f"{kind:<13} {n:>7} {ambiguous:>9} {r1:>9.3f} {r3:>9.3f} {mrr:>7.3f}")
    if show_misses:
        print("\nmisses (correct answer not in the top 3):")
        for kind in TYPES:
            misses = [q for q in by_type[kind] if q.rank is None or q.rank > 3][:show_misses]
            for q in misses:
                top = ", ".join(labels.by_id[i].name if i in labels.by_id else str(i) for i in q.top[:3])
                print(f"  {kind:<12} {q.text!r} → wanted {q.source.name} (rank {q.rank}); got: {top}")
    kinds = Counter(q.source.kind for q in queries)
    print("\nsource subjects by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


def dump(path: str, queries: list[Query], labels: Labels) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for q in queries:
            top = [labels.by_id[i].name if i in labels.by_id else str(i) for i in q.top[:3]]
            row = {"type": q.type, "query": q.text, "source": q.source.name, "correct": len(q.correct)}
            fh.write(json.dumps({**row, "rank": q.rank, "top3": top}, ensure_ascii=False) + "\n")


async def evaluate(settings: Any, args: argparse.Namespace, lines: list[dict[str, Any]]) -> None:
    subjects = await load_subjects(settings, lines, args)
    labels = Labels(subjects)
    queries = generate_queries(labels, args.per_type, args.query_seed)
    print(f"{len(queries)} labelled queries over {len(subjects):,} subjects")
    seconds = await run_queries(settings, queries)
    print(f"searched in {seconds:.1f} s ({1000 * seconds / len(queries):.1f} ms a query)")
    report(queries, labels, args.show_misses)
    if args.dump:
        dump(args.dump, queries, labels)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--per-type", type=int, default=80, help="queries per query type")
    parser.add_argument("--seed", type=int, default=7, help="seed of the demo data")
    parser.add_argument("--query-seed", type=int, default=2024, help="seed of the query set")
    parser.add_argument("--show-misses", type=int, default=5, help="misses listed per type")
    add_environment_options(parser, "evaluate on")
    parser.add_argument("--dump", help="write every query, its label count, rank and top 3 to this NDJSON file")
    run_on_demo(DATABASE, parser.parse_args(), evaluate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
