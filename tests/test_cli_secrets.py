"""``crewdesk run`` never shows a key: not in its lines, not in its ``--output`` file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app._cli_output import MaskedOutput, RunResult
from desktop_app.engine import register_secrets
from tests.cli_support import fast_simulator

WRITER = str(Path(__file__).resolve().parents[1] / "resources" / "examples"
             / "research_writer.crew.yaml")
KEY = "sk-proj-cli0echo1test2WXYZ"


def test_a_key_echoed_in_a_401_is_masked_on_the_terminal_and_in_the_output_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:

    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # the provider's variable: found at call time
    out_file = tmp_path / "out.json"
    with fast_simulator() as sim:
        code = cli.main(["run", WRITER, "--model", "openai/sim:status=401,echo_key=1",
                         "--base-url", sim.base_url, "--output", str(out_file)])
        bearers = {r.body.get("model") for r in sim.stats.requests}
    captured = capsys.readouterr()
    written = out_file.read_text(encoding="utf-8")
    [result] = json.loads(written)
    assert code == 1 and bearers == {"sim:status=401,echo_key=1"}
    assert KEY not in written
    for text in (captured.out, captured.err, result["error"]):
        assert KEY not in text
        assert "Incorrect API key provided: sk-…WXYZ." in text


def test_a_key_written_in_pieces_is_masked_whole() -> None:
    register_secrets(["tvly-pieces-0123456789ABCD"])
    sink = io.StringIO()
    masked = MaskedOutput(sink)
    for piece in ("key: tv", "ly-pieces-01", "23456789ABCD", " end", " tv"):
        masked.write(piece)
    assert sink.getvalue() == "key: tvly-…ABCD end "  # "tv" may begin the key: held
    masked.release()
    assert sink.getvalue() == "key: tvly-…ABCD end tv"


def test_the_report_masks_what_the_engine_did_not(tmp_path: Path) -> None:
    register_secrets(["exa-report-0123456789EFGH"])
    out = io.StringIO()
    failed = RunResult(1, {"q": "exa-report-0123456789EFGH"}, error="tool said exa-report-0123456789EFGH")
    cli._report([failed], str(tmp_path / "out.json"), out)
    written = (tmp_path / "out.json").read_text(encoding="utf-8")
    assert "exa-report-0123456789EFGH" not in written + out.getvalue()
    assert json.loads(written)[0]["error"] == "tool said exa-…EFGH"
