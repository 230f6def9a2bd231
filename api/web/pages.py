"""The public website: `/` (search), `/subjects/<code>` (a subject's profile) and `/disclosures` (the
双公示 and list feeds), in Chinese, each a server-rendered first view that its script then enhances.

Every page is a client of the public API like any other: it runs its operation from
`queries.graphql` as an anonymous viewer (`api.web.client`), and its script sends the same documents
to /graphql and subscribes over graphql-transport-ws. So a page never shows more than PUBLIC may see,
and the website is the reference client of the API for the mini-program.

What the pages never print: the search text (`q`) and the path of a subject page. A query may be a
person's name or ID number; printed into a cacheable public page beside that person's masked entry
(张**) it would undo the masking, so the search box is filled from the address by the page's script
and a subject page that is not found says so without repeating what was asked for.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.schema.base import BaseSchema

from api.graphql.ids import parse_global_id
from api.guard.admission import Admission, Refused
from api.web.client import Answer, run
from api.web.params import BadParameter, FeedParams, SearchParams, link, region_label
from api.web.queries import document
from api.web.render import Assets, environment, page_response, render
from credit import clock
from credit.enums import LABELS, RecordCategory, SubjectKind
from credit.platform.config import Settings

#: The search facets the page shows, in order: title and the parameter a bucket sets.
FACETS: Final = {
    "kind": ("主体类型", "kinds"),
    "province": ("省份", "regionCodePrefix"),
    "city": ("城市", "regionCodePrefix"),
    "categories": ("信用记录", "categories"),
    "has_active_punishment": ("惩戒措施", "hasActivePunishment"),
}
FACET_BUCKETS_SHOWN: Final = 8
PUNISHED_LABELS: Final = {"true": "有惩戒措施", "false": "无惩戒措施"}
#: The 双公示 and list feeds offered as one-click filters (双公示 = licences and penalties).
FEED_PRESETS: Final = (
    ("双公示", "ADMINISTRATIVE_LICENSE,ADMINISTRATIVE_PENALTY"),
    ("行政许可", "ADMINISTRATIVE_LICENSE"),
    ("行政处罚", "ADMINISTRATIVE_PENALTY"),
    ("红名单", "RED_LIST"),
    ("黑名单", "BLACK_LIST"),
    ("失信被执行人", "DISHONEST_JUDGMENT_DEBTOR"),
)


def facet_labels() -> dict[str, dict[str, str]]:
    """What the page shows for facet values that are codes (divisions are named by RegionName):
    the API's own Chinese labels (`credit.enums.LABELS`, as in the `*Label` fields)."""
    return {
        "kind": {kind.value: LABELS[kind] for kind in SubjectKind},
        "categories": {category.value: LABELS[category] for category in RecordCategory},
        "has_active_punishment": dict(PUNISHED_LABELS),
    }


def subject_href(node: dict[str, Any]) -> str:
    """A subject's page: by its 统一社会信用代码, or by id for a natural person (whose code is masked)."""
    key = node["id"] if node["kind"] == "NATURAL_PERSON" else node["code"]
    return f"/subjects/{key}"


def _facets(params: SearchParams, facets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {facet["name"]: facet["buckets"] for facet in facets}
    shown = []
    for name, (title, param) in FACETS.items():
        buckets = []
        for bucket in by_name.get(name, [])[:FACET_BUCKETS_SHOWN]:
            value = bucket["value"]
            text = bucket["label"]
            active = {
                "kinds": value in params.kinds,
                "categories": value in params.categories,
                "regionCodePrefix": params.region_prefix == value,
                "hasActivePunishment": params.punished is not None and str(params.punished).lower() == value,
            }[param]
            href = link("/", params.pairs(**{param: None if active else value}))
            buckets.append({"value": value, "label": text, "count": bucket["count"], "href": href, "active": active})
        if buckets:
            shown.append({"name": name, "title": title, "buckets": buckets})
    return shown


class Website:
    def __init__(self, schema: BaseSchema, settings: Settings) -> None:
        self.schema = schema
        self.assets = Assets()
        self.env = environment(self.assets)
        self.env.globals["subject_href"] = subject_href
        self.max_age = settings.public_cache_max_age_seconds

    def routes(self) -> list[Route]:
        return [
            Route("/", self.search, methods=["GET"]),
            Route("/subjects/{key}", self.subject, methods=["GET"]),
            Route("/disclosures", self.disclosures, methods=["GET"]),
            Route("/static/{path:path}", self.assets.serve, methods=["GET"]),
        ]

    def _page(
        self, request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any
    ) -> Response:
        body = render(self.env, template, **values)
        return page_response(request, body, status, self.max_age, headers or {})

    async def _refused(self, request: Request) -> Response | None:
        """The penalty box of the client's address, as for /graphql (the query itself is charged by
        the query guard when the page runs its operation)."""
        admission: Admission = request.app.state.admission
        try:
            await admission.check_address(request)
        except Refused as refused:
            return self._error(request, refused.status, "请求过于频繁", "请稍后再试。", refused.headers)
        return None

    def _error(
        self, request: Request, status: int, title: str, message: str, headers: dict[str, str] | None = None
    ) -> Response:
        return self._page(request, "error.html", status, headers, page="error", title=title, message=message, client={})

    def _answer_error(self, request: Request, answer: Answer) -> Response | None:
        problem = answer.problem
        if problem is None or problem.status == 400:
            return None
        if problem.status == 429:
            return self._error(request, 429, "请求过于频繁", "请稍后再试。", answer.headers)
        if problem.status == 503:
            return self._error(request, 503, "服务暂不可用", "查询服务正在恢复，请稍后再试。")
        if problem.status == 404:
            return None
        return self._error(request, 500, "出错了", "页面暂时无法显示，请稍后再试。")

    async def search(self, request: Request) -> Response:
        if (refused := await self._refused(request)) is not None:
            return refused
        message = None
        try:
            params = SearchParams.parse(request.query_params)
        except BadParameter as exc:
            params, message = SearchParams(query=(request.query_params.get("q") or "").strip()[:100]), str(exc)
        result: dict[str, Any] | None = None
        headers: dict[str, str] = {}
        status = 400 if message else 200
        if params.query and message is None:
            answer = await run(self.schema, request, "SearchSubjects", params.variables())
            if (failed := self._answer_error(request, answer)) is not None:
                return failed
            headers = answer.headers
            if answer.problem is not None:
                status, message = answer.problem.status, f"查询条件有误：{answer.problem.message}"
            elif answer.data is not None:
                result = answer.data["searchSubjects"]
        facets = _facets(params, result["facets"]) if result else []
        client = {
            "queries": {name: document(name) for name in ("SearchSubjects", "RegionName")},
            "facets": {
                "order": list(FACETS),  # (the JSON block's keys are sorted)
                "titles": {name: title for name, (title, _) in FACETS.items()},
                "params": {name: param for name, (_, param) in FACETS.items()},
                "labels": facet_labels(),
                "shown": FACET_BUCKETS_SHOWN,
                "regions": {
                    b["value"]: b["label"] for f in facets if f["name"] in ("province", "city") for b in f["buckets"]
                },
            },
            "filter": params.filter(),
            "first": params.variables()["first"],
        }
        next_href = None
        if result and result["pageInfo"]["hasNextPage"]:
            next_href = link("/", [*params.pairs(), ("after", result["pageInfo"]["endCursor"])])
        return self._page(
            request, "search.html", status, headers,
            page="search", params=params, result=result, facets=facets, message=message, client=client,
            next_href=next_href, first_href=link("/", params.pairs()) if params.after else None,
            region_name=region_label(params.region_prefix) if params.region_prefix else None,
            clear_href=link("/", params.pairs(kinds=None, categories=None, regionCodePrefix=None,
                                              hasActivePunishment=None)),
        )  # fmt: skip

    async def subject(self, request: Request) -> Response:
        if (refused := await self._refused(request)) is not None:
            return refused
        key = request.path_params["key"].strip()

        def missing() -> Response:  # the same answer whatever was asked for, and never what it was
            return self._error(request, 404, "未找到该信用主体", "请检查统一社会信用代码，或通过名称查询。")

        if not key or len(key) > 64:
            return missing()
        variables = {"id": key} if parse_global_id(key) is not None else {"code": key}
        answer = await run(self.schema, request, "SubjectProfile", variables)
        if (failed := self._answer_error(request, answer)) is not None:
            return failed
        subject = (answer.data or {}).get("subject")
        if answer.problem is not None or subject is None:
            return missing()
        return self._page(
            request, "subject.html", 200, answer.headers, page="subject", s=subject, client={}, today=clock.today()
        )

    async def disclosures(self, request: Request) -> Response:
        if (refused := await self._refused(request)) is not None:
            return refused
        message = None
        try:
            params = FeedParams.parse(request.query_params)
        except BadParameter as exc:
            params, message = FeedParams(), str(exc)
        result: dict[str, Any] | None = None
        headers: dict[str, str] = {}
        status = 400 if message else 200
        if message is None:
            answer = await run(self.schema, request, "Disclosures", params.variables())
            if (failed := self._answer_error(request, answer)) is not None:
                return failed
            headers = answer.headers
            if answer.problem is not None:
                status, message = answer.problem.status, f"筛选条件有误：{answer.problem.message}"
            elif answer.data is not None:
                result = answer.data["disclosures"]
        filter_query = link("", params.pairs()).lstrip("?")
        suffix = f"?{filter_query}" if filter_query else ""
        page_info = result["pageInfo"] if result else None
        client = {"queries": {"DisclosurePublished": document("DisclosurePublished")}, "filter": params.filter()}
        presets = [
            {"label": text, "href": link("/disclosures", params.pairs(categories=value)),
             "active": ",".join(params.categories) == value}
            for text, value in FEED_PRESETS
        ]  # fmt: skip
        return self._page(
            request, "disclosures.html", status, headers,
            page="disclosures", params=params, result=result, message=message, client=client, presets=presets,
            all_href=link("/disclosures", params.pairs(categories=None)),
            categories=[(c.value, LABELS[c]) for c in RecordCategory],
            downloads={
                "csv": f"/export/disclosures.csv{suffix}",
                "xlsx": f"/export/disclosures.xlsx{suffix}",
                "atom": f"/feeds/disclosures.atom{suffix}",
            },
            next_href=link("/disclosures", [*params.pairs(), ("after", page_info["endCursor"])])
            if page_info and page_info["hasNextPage"] and page_info["endCursor"] else None,
            prev_href=link("/disclosures", [*params.pairs(), ("before", page_info["startCursor"])])
            if page_info and page_info["hasPreviousPage"] and page_info["startCursor"] else None,
            first_href=link("/disclosures", params.pairs()) if (params.after or params.before) else None,
        )  # fmt: skip
