"""The sandbox attack suite as a table: each attack, per backend, and the control run.

Run: `uv run python benchmarks/sandbox_attacks.py` (about 40 s). For each backend that works
here, and for a control run with no sandbox (the crew opted in to unsandboxed code; the
attacks that would harm the machine are left out there), a victim process runs every attack
of `tests/reliability/sandbox_attacks.py` through the engine on the simulator; the table shows
what the code printed. `tests/reliability/test_sandbox_attacks.py` asserts the outcomes.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.engine.sandbox import BACKENDS, detect  # noqa: E402 - after the path is set
from tests.reliability.sandbox_attacks import ATTACKS, INJECTION, attack_world  # noqa: E402


def _short(text: str) -> str:
    body = text.removeprefix("Result: ")
    body = body.rsplit(".", 1)[0] if "." in body else body  # drop the simulator's filler
    return " / ".join(line.strip() for line in body.splitlines() if line.strip())[:150]


def main() -> int:
    """Prints every attack's outcome per backend."""
    backends = [name for name in BACKENDS if detect(name).backend == name] + ["none"]
    for backend in backends:
        print(f"## {backend}: {detect(backend).reason}")
        with tempfile.TemporaryDirectory() as folder:
            world = attack_world(Path(folder), backend)
        for attack in ATTACKS:
            outcome = world.outputs.get(attack.name)
            shown = "(not tried)" if outcome is None and not attack.control else _short(
                outcome or "(no outcome)")
            leaked = outcome is not None and any(s in outcome for s in world.secrets.values())
            print(f"| {attack.name} | {'LEAKED: ' if leaked else ''}{shown} |")
        injected = world.outputs.get(INJECTION, "(no outcome)")
        leaked = any(s in injected for s in world.secrets.values())
        print(f"| {INJECTION} | {'LEAKED: ' if leaked else ''}{_short(injected)} |")
        print(f"listeners: { {k: v.connections for k, v in world.listeners.items()} }; "
              f"daemons left: {len(world.daemons_left)}; victim exit: {world.victim_exit}\n",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
