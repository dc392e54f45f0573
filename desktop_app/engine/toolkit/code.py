"""CrewAI's `CodeInterpreterTool`, run by the engine's own code runner.

crewai-tools ran the model's code in Docker (or, with `unsafe_mode`, on the host); CrewDesk
runs it in a separate, limited Python process (`desktop_app.engine.code_execution`) under the
OS sandbox, with no Docker (`unsafe_mode=True` lets it run where no sandbox works). It starts
in an empty temporary folder: unlike CrewAI's Docker run, which mounted the working folder,
the code does not see the project's files. The Docker settings are accepted and warned
about; `libraries_used` cannot be installed, and the model is told so when an import fails.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, Field

from desktop_app.engine import code_execution
from desktop_app.engine.toolkit._face import CrewAIToolFace
from desktop_app.engine.toolkit._warn import warn_ignored

__all__ = ["CodeInterpreterTool"]


class CodeInterpreterSchema(BaseModel):
    """Input for CodeInterpreterTool."""

    code: str = Field(
        ...,
        description=(
            "Python3 code used to be interpreted in the Docker container. ALWAYS PRINT the "
            "final result and the output of the code"
        ),
    )
    libraries_used: list[str] = Field(
        default_factory=list,
        description=(
            "List of libraries used in the code with proper installing names separated by "
            "commas. Example: numpy,pandas,beautifulsoup4"
        ),
    )


_DOCKER_SETTINGS = {
    "user_dockerfile_path": None,
    "user_docker_base_url": None,
    "default_image_tag": "code-interpreter:latest",
}


class CodeInterpreterTool(CrewAIToolFace, code_execution.CodeInterpreterTool):
    """CrewAI's `CodeInterpreterTool` (name, description, arguments and settings).

    Attributes:
        code: Code run when the model gives none.
        user_dockerfile_path: Accepted; not used (no Docker).
        user_docker_base_url: Accepted; not used.
        default_image_tag: Accepted; not used.
        unsafe_mode: Lets the code run where no OS sandbox works on this machine (still in
            the limited child process, under the guard); without it such a machine refuses
            to run code, as `CodeLimits.allow_unsandboxed`.
    """

    name: str = "Code Interpreter"
    description: str = "Interprets Python3 code strings with a final print statement."
    args_schema: type[BaseModel] = CodeInterpreterSchema
    code: str | None = None
    user_dockerfile_path: str | None = None
    user_docker_base_url: str | None = None
    default_image_tag: str = "code-interpreter:latest"
    unsafe_mode: bool = False

    def model_post_init(self, context: Any, /) -> None:
        """Maps `unsafe_mode` onto the limits; warns about each Docker setting given."""
        super().model_post_init(context)
        if self.unsafe_mode and not self.limits.allow_unsandboxed:
            self.limits = dataclasses.replace(self.limits, allow_unsandboxed=True)
        for setting, default in _DOCKER_SETTINGS.items():
            if getattr(self, setting) != default:
                warn_ignored(
                    "CodeInterpreterTool", setting,
                    "CrewDesk runs the code in its own limited Python process, not in Docker "
                    "or on the host",
                )

    def _run(self, **kwargs: Any) -> str:
        return self._explained(super()._run(**self._with_code(kwargs)), kwargs)

    async def _arun(self, **kwargs: Any) -> str:
        return self._explained(await super()._arun(**self._with_code(kwargs)), kwargs)

    def _code_of(self, arguments: dict[str, Any]) -> str:
        return str(self._with_code(arguments)["code"])

    def _with_code(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        code = kwargs.get("code") or self.code
        if not code:
            raise ValueError("no code to run: give Python code as code")
        return {**kwargs, "code": code}

    @staticmethod
    def _explained(output: str, kwargs: dict[str, Any]) -> str:
        libraries = kwargs.get("libraries_used") or []
        if libraries and "ModuleNotFoundError" in output:
            output += (
                "\nNote: CrewDesk does not install libraries "
                f"({', '.join(map(str, libraries))}); use the standard library or those "
                "already installed."
            )
        return output
