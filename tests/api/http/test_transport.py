"""GraphQL over HTTP details of the endpoint (api/http/transport.py)."""

from __future__ import annotations

import orjson
import pytest
from starlette.responses import Response

from api.http.transport import GRAPHQL_RESPONSE, JSON, conform, preferred_media_type

pytestmark = pytest.mark.unit


class TestPreferredMediaType:
    @pytest.mark.parametrize(
        ("accept", "media_type"),
        [
            (None, JSON),
            ("", JSON),
            ("application/json", JSON),
            ("application/graphql-response+json", GRAPHQL_RESPONSE),
            ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE),
            ("application/json, application/graphql-response+json", JSON),
            ("application/json;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE),
            ("application/graphql-response+json;charset=utf-8", GRAPHQL_RESPONSE),
            ("*/*", JSON),
            ("text/html", JSON),
        ],
    )
    def test_examples(self, accept: str | None, media_type: str) -> None:
        assert preferred_media_type(accept) == media_type


def graphql_response(body: dict[str, object], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


class TestConform:
    def test_application_json_is_left_alone(self) -> None:
        response = graphql_response({"data": None, "errors": [{"message": "Syntax Error"}]})
        assert conform(response, JSON) is response

    def test_request_error_has_no_data_and_status_400(self) -> None:
        response = conform(graphql_response({"data": None, "errors": [{"message": "Syntax Error"}]}), GRAPHQL_RESPONSE)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        assert orjson.loads(response.body) == {"errors": [{"message": "Syntax Error"}]}

    def test_field_errors_keep_data_and_200(self) -> None:
        body: dict[str, object] = {"data": None, "errors": [{"message": "no", "path": ["subject"]}]}
        response = conform(graphql_response(body), GRAPHQL_RESPONSE)
        assert response.status_code == 200 and orjson.loads(response.body) == body

    def test_a_rate_limit_keeps_its_status(self) -> None:
        response = graphql_response({"data": None, "errors": [{"message": "slow down"}]}, status=429)
        response.headers["Retry-After"] = "7"
        conformed = conform(response, GRAPHQL_RESPONSE)
        assert conformed.status_code == 429 and conformed.headers["retry-after"] == "7"
