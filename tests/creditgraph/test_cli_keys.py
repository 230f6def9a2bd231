"""`creditgraph keys create --authority`, `keys list` and `import --authority`, run as an operator would
(a subprocess against the session's database)."""

from __future__ import annotations

import orjson
import pytest

from credit.platform.config import Settings
from credit.platform.runtime import Runtime
from tests.support.cli import cli
from tests.support.factories import uscc

pytestmark = pytest.mark.integration

ENV = "常州市生态环境局"
MARKET = "常州市市场监督管理局"


def record(source_id: str, authority: str) -> bytes:
    line = {
        "type": "record",
        "sourceId": source_id,
        "authority": authority,
        "subjectCode": uscc(1),
        "category": "ADMINISTRATIVE_PENALTY",
        "title": "处罚",
        "decidedOn": "2025-05-10",
        "severity": "GENERAL",
    }
    return orjson.dumps(line)


class TestKeys:
    def test_a_provider_key_is_bound_to_its_authorities_and_listed(self, clean_db: Runtime, settings: Settings) -> None:
        created = cli(settings, "keys", "create", "--role", "DATA_PROVIDER", "--name", "环保局", "--authority", ENV)
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip()
        assert key.startswith("cg_")
        listed = cli(settings, "keys", "list")
        assert listed.returncode == 0, listed.stderr
        assert "DATA_PROVIDER" in listed.stdout and ENV in listed.stdout and "环保局" in listed.stdout
        assert key not in listed.stdout and key[10:] not in listed.stdout  # never the secret
        assert key[:10] in listed.stdout  # its prefix, to revoke it by

    def test_a_provider_key_needs_an_authority(self, clean_db: Runtime, settings: Settings) -> None:
        refused = cli(settings, "keys", "create", "--role", "DATA_PROVIDER", "--name", "无主")
        assert refused.returncode == 2 and "--authority" in refused.stderr and "cg_" not in refused.stdout

    def test_only_providers_and_the_office_act_for_authorities(self, clean_db: Runtime, settings: Settings) -> None:
        refused = cli(settings, "keys", "create", "--role", "JOURNALIST", "--name", "记者", "--authority", ENV)
        assert refused.returncode == 2 and "act for authorities" in refused.stderr


class TestImportForAnAuthority:
    def test_lines_of_other_authorities_are_refused_with_their_numbers(
        self, clean_db: Runtime, settings: Settings
    ) -> None:
        subject = orjson.dumps(
            {"type": "subject", "kind": "LEGAL_PERSON", "code": uscc(1), "name": "常州测试1科技有限公司"}
        )
        lines = b"\n".join([subject, record("E-1", ENV), record("M-1", MARKET), record("E-2", ENV)]) + b"\n"
        result = cli(settings, "import", "-", "--authority", ENV, stdin=lines.decode())
        assert result.returncode == 1
        assert "line 3: authority: another body's record" in result.stdout
        assert "accepted 3 (created 3" in result.stdout and "rejected 1" in result.stdout
