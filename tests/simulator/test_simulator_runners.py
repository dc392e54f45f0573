"""Running the simulator in a thread, in a process, and from the command line."""

from __future__ import annotations

import httpx
import pytest

from desktop_app.simulator import SimulatorConfig, SimulatorProcess, SimulatorThread
from desktop_app.simulator.__main__ import main
from desktop_app.simulator._runners import command_line

QUESTION = [{"role": "user", "content": "Ready?"}]


def test_thread_serves_synchronous_clients() -> None:
    with SimulatorThread(SimulatorConfig(ttft=0.0, tokens=4)) as sim:
        assert sim.base_url == f"http://127.0.0.1:{sim.port}/v1"
        with httpx.Client(base_url=sim.base_url, timeout=5.0) as client:
            response = client.post("/chat/completions",
                                   json={"model": "sim", "messages": QUESTION})
        assert response.json()["choices"][0]["message"]["content"].startswith("Answer to: Ready?.")
        assert sim.stats.requests_total == 1
        assert sim.stats.requests[0].body["messages"] == QUESTION
        url = sim.base_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/models", timeout=2.0)


def test_process_runs_the_cli_with_the_whole_config() -> None:
    config = SimulatorConfig(ttft=0.0, tokens=3, status=503, fail_times=1, retry_after=2.0)
    with SimulatorProcess(config) as sim, httpx.Client(base_url=sim.base_url,
                                                       timeout=5.0) as client:
        assert sim.base_url == f"http://127.0.0.1:{sim.port}/v1"
        assert sim.root_url == f"http://127.0.0.1:{sim.port}"
        first = client.post("/chat/completions", json={"model": "sim", "messages": QUESTION})
        second = client.post("/chat/completions", json={"model": "sim", "messages": QUESTION})
        counters = sim.fetch_stats()
        url = sim.base_url
    assert (first.status_code, first.headers["retry-after"]) == (503, "2")
    assert second.json()["usage"]["completion_tokens"] == 3
    assert counters["requests_total"] == 3  # the two completions and this GET /stats
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/models", timeout=2.0)


def test_command_line_carries_structured() -> None:
    assert "--no-structured" in command_line(SimulatorConfig(structured=False))
    assert "--no-structured" not in command_line(SimulatorConfig())


def test_cli_rejects_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--tokens", "0", "--port", "0"]) == 2
    assert "tokens must be >= 1" in capsys.readouterr().err
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_the_thread_runner_has_a_root_url() -> None:
    with SimulatorThread() as sim:
        assert sim.root_url == f"http://127.0.0.1:{sim.port}"
        assert sim.base_url == sim.root_url + "/v1"
        response = httpx.post(sim.root_url + "/serper/search", json={"q": "x"},
                              headers={"X-API-KEY": "k"})
        assert response.status_code == 200
        assert sim.stats.tool_requests["serper"] == 1
        assert httpx.get(sim.root_url + "/stats").json()["serper_requests"] == 1
