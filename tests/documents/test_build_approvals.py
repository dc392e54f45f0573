"""A crew document's approval settings reach the engine crew `build_crew` makes."""

from __future__ import annotations

from pathlib import Path

from desktop_app.documents.build import approvals_of, build_crew
from desktop_app.documents.model import AgentSpec, CrewDocument, CrewSettings, TaskSpec
from desktop_app.engine import CodeInterpreterTool
from desktop_app.engine.approval import ApprovalRequest, Decision


def _coder(**settings: object) -> CrewDocument:
    agent = AgentSpec(key="coder", role="Coder", goal="Compute", backstory="Writes Python.",
                      allow_code_execution=True, tools=["code_interpreter"])
    task = TaskSpec(key="sum", description="Add 1 and 2.", expected_output="3", agent="coder")
    return CrewDocument(name="Coder", agents=[agent], tasks=[task],
                        settings=CrewSettings.model_validate(settings))


def test_the_policy_workspace_allowed_paths_and_approver_reach_the_crew(tmp_path: Path) -> None:
    def approver(_request: ApprovalRequest) -> Decision:
        return "deny"

    document = _coder(approval="never", workspace="work", allowed_paths=["../shared", "/etc/hosts"])
    crew = build_crew(document, base_dir=tmp_path, approver=approver)
    approvals = crew.approvals()
    assert approvals.policy == "never"
    assert approvals.approver is approver
    assert approvals.workspace == tmp_path / "work"
    assert approvals.allowed_paths == (tmp_path / "../shared", Path("/etc/hosts"), tmp_path)


def test_a_document_starts_at_ask_with_its_folder_as_workspace(tmp_path: Path) -> None:
    crew = build_crew(_coder(), base_dir=tmp_path)
    assert crew.approvals().policy == "ask"
    assert crew.approvals().workspace == tmp_path.absolute()
    assert crew.approvals().allowed_paths == ()
    assert approvals_of(CrewSettings(), None).workspace is None


def test_run_unsandboxed_reaches_every_code_tool_and_only_when_set(tmp_path: Path) -> None:
    sandboxed = build_crew(_coder(), base_dir=tmp_path).agents[0]
    assert not any(t.limits.allow_unsandboxed for t in sandboxed.all_tools()
                   if isinstance(t, CodeInterpreterTool))
    agent = build_crew(_coder(allow_unsandboxed=True), base_dir=tmp_path).agents[0]
    code_tools = [t for t in agent.all_tools() if isinstance(t, CodeInterpreterTool)]
    assert len(code_tools) == 2  # the named tool and allow_code_execution's
    assert all(tool.limits.allow_unsandboxed for tool in code_tools)
