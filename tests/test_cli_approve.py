"""``crewdesk run --approve ask|always|never``: crew files, scripts and the terminal's question,
end to end on the simulator.

The example analyst crew calls ``code_interpreter`` once; the simulator then answers
``Result: <tool output>``, so whether the code ran shows in the final output.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_app import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
ANALYST = str(EXAMPLES / "python_data_analyst.crew.yaml")
REFUSED_LINE = (
    "error: refused code_interpreter (Run 2 lines of Python): it needs approval and stdin is "
    "not a terminal to ask; pass --approve always to allow such calls"
)
SCRIPT = '''from crewai import LLM, Agent, Crew, Task
from crewai_tools import FileWriterTool

writer = FileWriterTool()
agent = Agent(role="Clerk", goal="File", backstory="Careful.", llm=LLM("gpt-4o"),
              tools=[writer])
script = 'sim-call: file_writer_tool {"filename": "note.md", "content": "tides"}'
task = Task(description=script, expected_output="done", agent=agent)
Crew(agents=[agent], tasks=[task]).kickoff()
'''


def _crewdesk(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "run", *argv],
        capture_output=True, text=True, timeout=110, env={**os.environ}, check=False,
        stdin=subprocess.DEVNULL, cwd=cwd,
    )


def test_approve_always_runs_the_code_and_never_refuses_it_quietly() -> None:
    ran = _crewdesk(ANALYST, "--simulator", "--approve", "always")
    assert ran.returncode == 0, ran.stderr
    assert "=== final output ===\nResult: 35.0." in ran.stdout
    refused = _crewdesk(ANALYST, "--simulator", "--approve", "never")
    assert refused.returncode == 0, refused.stderr
    assert 'Result: Error: this call was refused: the crew\'s approval policy is "never" ' \
        "(Run 2 lines of Python)." in refused.stdout
    assert "35.0" not in refused.stdout and "error:" not in refused.stderr


def test_ask_without_a_terminal_refuses_at_once_with_a_line_naming_the_call() -> None:
    for argv in ((), ("--approve", "ask")):
        process = _crewdesk(ANALYST, "--simulator", *argv)
        assert process.returncode == 0, process.stderr
        lines = [line for line in process.stderr.splitlines() if not line.startswith("note:")]
        assert REFUSED_LINE in lines[0]
        assert "nobody could give it (Run 2 lines of Python)." in process.stdout
        assert "35.0" not in process.stdout


def test_a_crew_files_own_setting_applies_unless_approve_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crew = tmp_path / "analyst.crew.yaml"
    text = Path(ANALYST).read_text(encoding="utf-8")
    crew.write_text(text.replace("process: sequential", "process: sequential\nsettings:\n"
                                 "  approval: always"), encoding="utf-8")
    assert cli.main(["run", str(crew), "--simulator", "--quiet"]) == 0
    assert "Result: 35.0." in capsys.readouterr().out
    assert cli.main(["run", str(crew), "--simulator", "--quiet", "--approve", "never"]) == 0
    out = capsys.readouterr().out
    assert "35.0" not in out and 'approval policy is "never"' in out


def test_a_script_asks_through_the_process_default(tmp_path: Path) -> None:
    script = tmp_path / "filing.py"
    script.write_text(SCRIPT, encoding="utf-8")
    refused = _crewdesk(str(script), "--simulator", cwd=tmp_path)
    assert refused.returncode == 0, refused.stderr
    assert ("error: refused File Writer Tool (Write note.md): it needs approval and stdin is "
            "not a terminal to ask; pass --approve always") in refused.stderr
    assert not (tmp_path / "note.md").exists()
    allowed = _crewdesk(str(script), "--simulator", "--approve", "always", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert (tmp_path / "note.md").read_text(encoding="utf-8") == "tides"


def _on_a_terminal(answer: str) -> str:
    """Runs the analyst crew with stdin, stdout and stderr on a pseudo-terminal; types
    `answer` at the question. Returns everything the terminal showed."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "run", ANALYST, "--simulator", "--quiet"],
        stdin=child, stdout=child, stderr=child, env={**os.environ},
    )
    os.close(child)
    shown, typed, deadline = b"", False, time.monotonic() + 100
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            shown += data
            if not typed and b"Allow it?" in shown:
                os.write(main, answer.encode() + b"\n")
                typed = True
    finally:
        process.wait(10)
        os.close(main)
    return shown.decode(errors="replace").replace("\r\n", "\n")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize(("answer", "ran"), [("y", True), ("n", False), ("a", True)])
def test_the_terminal_shows_the_code_and_reads_y_n_a(answer: str, ran: bool) -> None:
    shown = _on_a_terminal(answer)
    assert "?? Python Data Analyst asks: Run 2 lines of Python (code_interpreter)\n" in shown
    assert "   | values = [25, 30, 35, 40, 45]\n   | print(sum(values) / len(values))\n" in shown
    assert "Allow it? [y]es, [n]o, [a]lways in this run: " in shown
    assert ("Result: 35.0." in shown) is ran
    if not ran:
        assert "the user did not allow this call (Run 2 lines of Python)" in shown
