"""Leak scan: every query a PUBLIC or a JOURNALIST client can make, over a demo data set of 2,000
subjects (about 250 natural persons and 1,750 legal representatives), answers no personal data; nor
does any page of the public website (searches by every person's name and ID number, every person's
profile page, the first pages of the feed).

The raw HTTP bodies are scanned for valid 18-digit resident ID numbers and 11-digit mobile numbers
(regular expressions), and for the real names, phone numbers, addresses and ID numbers of the
natural persons and the legal representatives of the data set (a name list). Covered: search by
name, pinyin initials, ID number, phone number and address (with and without filters), every
subject's profile with its records, flags and objections, the whole disclosure feed, and the errors
of refused look-ups and of the entitled-only fields.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from pypinyin import Style, lazy_pinyin
from sqlalchemy import select

from credit.access.repository import insert_key
from credit.enums import Role, SubjectKind
from credit.models import Subject
from credit.platform.runtime import Runtime
from credit.subjects.identifiers import is_resident_id
from credit.subjects.masking import mask_address
from tests.api.http.test_app import load_demo
from tests.conftest import ApiServer

pytestmark = pytest.mark.e2e

SUBJECTS = 2000
ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![\d.])1[3-9]\d{9}(?!\d)")

SUBJECT_FIELDS = "id kind name code formerNames regionCode legalRepresentative registeredOn"
RECORD_FIELDS = f"""id category status title decisionNumber authority listName decidedOn publishedOn
    subject {{ {SUBJECT_FIELDS} }} objections {{ reason status }}"""
PROFILE = f"""{SUBJECT_FIELDS} creditProfile {{
    activeFlags {{ code name basis record {{ title }} }} heldFlags {{ code record {{ title }} }}
    records(first: 20) {{ totalCount edges {{ node {{ {RECORD_FIELDS} }} }} }} }}"""
SEARCH = f"""totalCount edges {{ cursor score highlights node {{ {SUBJECT_FIELDS}
    creditProfile {{ activeFlags {{ code record {{ title }} }} }} }} }} facets {{ name buckets {{ value count }} }}"""
FEED = f"""query($after: String) {{ disclosures(first: 100, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {RECORD_FIELDS} }} }} }} }}"""
# Look-ups by ID number and the entitled-only fields (as aliases, 20 to a request): refused.
ENTITLED_ONLY = [
    'creditCheck(code: "%s", purpose: LOAN_APPROVAL, authorizationRef: "A-1") { id }',
    'auditLog(subjectCode: "%s") { totalCount }',
    'subject(code: "%s") { id }',
]


def trie_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """One regular expression matching any of `words`, as a trie (fast over long bodies)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        ends = "" in node
        group = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        return group + ("?" if ends else "")

    return re.compile(build(trie))


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


LEGAL_REPRESENTATIVE = re.compile(r'"legalRepresentative":"(?:[^"\\]|\\.)*"')
PAGE_LEGAL_REPRESENTATIVE = re.compile(r"<dt>法定代表人</dt><dd>[^<]*</dd>")


class Secrets:
    """What must never appear: the persons' values, and the scan's exceptions (organisations' texts)."""

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        subjects = [line for line in lines if line["type"] == "subject"]
        persons = [s for s in subjects if s["kind"] == "NATURAL_PERSON"]
        organisations = [s for s in subjects if s["kind"] != "NATURAL_PERSON"]
        self.persons = persons
        self.id_numbers = {p["code"] for p in persons}
        self.phones = {p["phone"] for p in persons if p.get("phone")}
        names = {p["name"] for p in persons}
        addresses = {p["address"] for p in persons if p.get("address")}
        # The street part of an address (what masking removes), when it is long enough to be telling.
        tails = {a[len(mask_address(a)) - 4 :] for a in addresses}
        self.organisation_codes = {o["code"] for o in organisations}
        public = {o["name"] for o in organisations} | {f for o in organisations for f in o.get("formerNames", [])}
        public |= {line["authority"] for line in lines if line["type"] == "record"}
        self.public_texts = trie_pattern(public)
        self.clear_values = trie_pattern(
            names | addresses | {t for t in tails if len(t) >= 5} | self.id_numbers | self.phones
        )

    def leaks(self, body: str) -> list[str]:
        # Organisations' legal representatives are published (企业信息公示暂行条例 art. 6): the field is
        # left out of the scan (a natural person's is always null), since the generated names of
        # representatives and of persons overlap.
        body = LEGAL_REPRESENTATIVE.sub('"legalRepresentative":"…"', body)
        body = PAGE_LEGAL_REPRESENTATIVE.sub("<dt>法定代表人</dt><dd>…</dd>", body)
        found = [
            m for m in ID_CANDIDATE.findall(body) if is_resident_id(m.upper()) and m not in self.organisation_codes
        ]
        found += MOBILE.findall(body)
        if self.clear_values.search(body):
            # A person's name may be part of an organisation's or an authority's name: those are public.
            found += self.clear_values.findall(self.public_texts.sub("|", body))
        return found


class Scanner:
    def __init__(self, api: ApiServer, client: httpx.AsyncClient, secrets: Secrets) -> None:
        self.api, self.client, self.secrets = api, client, secrets
        self.limit = asyncio.Semaphore(8)
        self.requests = 0
        self.leaks: list[tuple[str, str]] = []
        self.statuses: set[int] = set()

    async def post(self, query: str, variables: dict[str, Any] | None = None, key: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with self.limit:
            # A connection dropped under load is retried: the scan is about what bodies contain.
            for attempt in range(3):
                try:
                    response = await self.client.post(
                        self.api.graphql_url, json={"query": query, "variables": variables}, headers=headers
                    )
                    break
                except httpx.TransportError:
                    if attempt == 2:
                        raise
                    await asyncio.sleep(0.5)
        self.requests += 1
        self.statuses.add(response.status_code)
        self.leaks += [(query[:80], leak) for leak in self.secrets.leaks(response.text)]
        body: dict[str, Any] = response.json()
        return body

    async def page(self, path: str, params: dict[str, str] | None = None) -> str:
        """A page of the website (always anonymous), scanned like an API answer."""
        async with self.limit:
            response = await self.client.get(self.api.url + path, params=params)
        self.requests += 1
        self.statuses.add(response.status_code)
        self.leaks += [(path, leak) for leak in self.secrets.leaks(response.text)]
        return response.text

    async def run(self, queries: Iterable[tuple[str, dict[str, Any] | None]], key: str | None) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(self.post(q, v, key) for q, v in queries)))


def searches(terms: list[str], filtered: bool) -> Iterable[tuple[str, dict[str, Any]]]:
    filter_arg = ", filter: {kinds: [NATURAL_PERSON]}" if filtered else ""
    for group in chunks(terms, 5):
        parts = [f"s{i}: searchSubjects(query: $q{i}{filter_arg}) {{ {SEARCH} }}" for i in range(len(group))]
        signature = ", ".join(f"$q{i}: String!" for i in range(len(group)))
        yield f"query({signature}) {{ {' '.join(parts)} }}", {f"q{i}": t for i, t in enumerate(group)}


async def scan_role(scanner: Scanner, key: str | None, subject_ids: list[int]) -> None:
    persons = scanner.secrets.persons
    mine = await scanner.post("{ myCheckRecords { totalCount } }", None, key)
    assert mine["errors"][0]["extensions"]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}
    names = [p["name"] for p in persons]
    initials = ["".join(lazy_pinyin(n, style=Style.FIRST_LETTER)) for n in names]
    sample = persons[::4]  # searching by ID number, phone or address: a quarter of the persons is enough
    identifiers = [p["code"] for p in sample] + [p["phone"] for p in sample] + [p["address"] for p in sample]
    queries = [
        *searches(names, False),
        *searches(initials, True),
        *searches(identifiers, False),
    ]
    bodies = await scanner.run(queries, key)
    assert all(b.get("data") for b in bodies), [b for b in bodies if not b.get("data")][:1]

    profiles = []
    for group in chunks(subject_ids, 10):
        signature = ", ".join(f"$i{i}: ID!" for i in range(len(group)))
        fields = " ".join(f"p{i}: subject(id: $i{i}) {{ {PROFILE} }}" for i in range(len(group)))
        profiles.append((f"query({signature}) {{ {fields} }}", {f"i{i}": str(sid) for i, sid in enumerate(group)}))
    bodies = await scanner.run(profiles, key)
    assert all(not b.get("errors") for b in bodies), [b["errors"] for b in bodies if b.get("errors")][:1]
    seen = sum(1 for b in bodies for value in b["data"].values() if value is not None)
    assert seen == len(subject_ids)

    after: str | None = None
    pages = 0
    while True:
        body = await scanner.post(FEED, {"after": after}, key)
        connection = body["data"]["disclosures"]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages >= 10

    refused = [
        "{ " + " ".join(f"r{i}: {field}" for i, field in enumerate(group)) + " }"
        for group in chunks([field % p["code"] for p in persons for field in ENTITLED_ONLY], 20)
    ]
    bodies = await scanner.run(((query, None) for query in refused), key)
    codes = {error["extensions"]["code"] for b in bodies for error in b["errors"]}
    assert codes <= {"UNAUTHENTICATED", "FORBIDDEN"}, codes


async def scan_pages(scanner: Scanner, person_ids: list[int]) -> None:
    """The website as the public sees it: a search by each person's name and by their ID number, each
    person's profile page (by global id: a person's code is masked), and the feed's first pages."""
    persons = scanner.secrets.persons
    asked = [("/", {"q": p["name"]}) for p in persons] + [("/", {"q": p["code"]}) for p in persons[::4]]
    found = await asyncio.gather(*(scanner.page(path, params) for path, params in asked))
    assert sum('class="result"' in body for body in found) > len(persons) // 2  # persons are found, masked
    profiles = [f"/subjects/{base64.b64encode(f'Subject:{sid}'.encode()).decode()}" for sid in person_ids]
    bodies = await asyncio.gather(*(scanner.page(path) for path in profiles))
    assert all("<h1>" in body for body in bodies)
    feed = "/disclosures"
    for _ in range(10):
        body = await scanner.page(feed)
        match = re.search(r'href="([^"]+)" rel="next"', body)
        if match is None:
            break
        feed = match.group(1).replace("&amp;", "&")


@pytest.mark.slow
class TestLeakScan:
    async def test_public_and_journalist_bodies_hold_no_personal_data(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        lines = await load_demo(clean_db, subjects=SUBJECTS)
        secrets = Secrets(lines)
        assert len(secrets.persons) > 150
        async with clean_db.sessions.begin() as session:
            _, journalist = await insert_key(session, Role.JOURNALIST, "leak-scan")
            subject_ids = list((await session.scalars(select(Subject.id).order_by(Subject.id))).all())
            person_ids = list(
                (await session.scalars(select(Subject.id).where(Subject.kind == SubjectKind.NATURAL_PERSON))).all()
            )
        assert len(subject_ids) == SUBJECTS
        async with httpx.AsyncClient(timeout=60) as client:
            scanner = Scanner(api_server, client, secrets)
            for key in (None, journalist):
                await scan_role(scanner, key, subject_ids)
            await scan_pages(scanner, person_ids)
        assert scanner.leaks == [], scanner.leaks[:10]
        assert scanner.statuses <= {200}, scanner.statuses
        assert scanner.requests > 500
