"""Run the simulator from a terminal: ``python -m desktop_app.simulator`` (or
``crewdesk simulator``) to rehearse a crew offline.

The first line printed is ``CREWDESK_SIMULATOR_URL=<base url>``, which ``SimulatorProcess``
reads; a short hint for people follows. The server runs until Ctrl+C (or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from desktop_app.simulator._config import SimulatorConfig
from desktop_app.simulator._runners import URL_LINE_PREFIX
from desktop_app.simulator._server import Simulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m desktop_app.simulator",
        description="A local OpenAI-compatible server with a fake model, to rehearse crews "
                    "offline. Each request can override these settings through its model "
                    "string, e.g. openai/sim:ttft=0.5,tokens=50 (see desktop_app.simulator).")
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    add("--port", type=int, default=8765, help="port; 0 picks a free one (default 8765)")
    add("--ttft", type=float, default=0.05, help="seconds before the first token")
    add("--tps", type=float, default=200.0, help="tokens per second")
    add("--tokens", type=int, default=20, help="tokens per reply")
    add("--status", type=int, help="answer every request with this HTTP error status")
    add("--retry-after", type=float, help="Retry-After seconds sent with --status")
    add("--fail-times", type=int, help="with --status, fail only the first N requests")
    add("--drop-after", type=int, help="close each stream abruptly after N tokens")
    add("--bytes", type=int, help="make replies about this many bytes long")
    add("--hang", action="store_true", help="never answer")
    add("--malformed", action="store_true", help="send one invalid JSON chunk per stream")
    add("--no-structured", action="store_true",
        help="ignore response_format and forced tools; answer in text")
    return parser


def _config(args: argparse.Namespace) -> SimulatorConfig:
    return SimulatorConfig(
        ttft=args.ttft, tokens_per_second=args.tps, tokens=args.tokens, status=args.status,
        retry_after=args.retry_after, fail_times=args.fail_times,
        drop_after=args.drop_after, hang=args.hang, malformed=args.malformed,
        reply_bytes=args.bytes, structured=not args.no_structured, host=args.host,
        port=args.port)


async def _serve(config: SimulatorConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows loops
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with Simulator(config) as sim:
        print(f"{URL_LINE_PREFIX}{sim.base_url}", flush=True)
        print(
            "CrewDesk simulator is serving a fake model. To rehearse a crew with it, give an "
            f"agent the model `openai/sim`, the base URL {sim.base_url} and any API key.\n"
            "Per-agent behaviour goes in the model string, e.g. openai/sim:ttft=0.5,tokens=50 "
            "or openai/sim:status=429,retry_after=1. Any other model name is answered too.\n"
            f"Search and scrape endpoints for web tools: {sim.root_url}/serper/search, "
            "/tavily/search, /exa/search, /brave/res/v1/web/search and /web/<path> (any "
            "API key). Press Ctrl+C to stop.",
            flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until interrupted.

    Args:
        argv: Command-line arguments, without the program name (default ``sys.argv[1:]``).

    Returns:
        The process exit status: 0 after Ctrl+C or SIGTERM, 2 for invalid settings.
    """
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(config))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: cannot serve on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
