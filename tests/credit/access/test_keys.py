"""API keys with their own rate limit: `creditgraph keys create --rate-limit` through the service."""

from __future__ import annotations

import pytest

from credit.access.service import authenticate, create_key
from credit.enums import Role
from credit.errors import InvalidRequest
from credit.platform.runtime import Runtime
from creditgraph.cli import main

pytestmark = pytest.mark.integration


class TestCreateKey:
    async def test_a_key_carries_its_rate_limit_to_its_viewer(self, tx: Runtime) -> None:
        key = await create_key(tx, Role.FINANCIAL_INSTITUTION, "bank", rate_limit=90_000)
        viewer = await authenticate(tx, key)
        assert viewer is not None and viewer.rate_limit == 90_000
        plain = await authenticate(tx, await create_key(tx, Role.JOURNALIST, "paper"))
        assert plain is not None and plain.rate_limit is None

    async def test_a_rate_limit_must_be_positive(self, tx: Runtime) -> None:
        with pytest.raises(InvalidRequest, match="rate limit"):
            await create_key(tx, Role.JOURNALIST, "paper", rate_limit=0)


def test_the_command_line_refuses_a_bad_rate_limit(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["keys", "create", "--role", "JOURNALIST", "--name", "x", "--rate-limit", "-5"])
    assert exit_info.value.code == 2
    assert "must be from 1" in capsys.readouterr().err
