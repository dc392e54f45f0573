"""Controllers: QObjects that own the app's asyncio work and feed the models views observe."""

from desktop_app.ui.controllers.run_controller import RunController, RunRequest
from desktop_app.ui.controllers.run_state import FrameClock, RunState, RunStatus

__all__ = ["FrameClock", "RunController", "RunRequest", "RunState", "RunStatus"]
