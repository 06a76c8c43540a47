"""Kestra's script tasks: `scripts.shell.Commands`, `scripts.shell.Script`, `scripts.python.Commands` and
`scripts.python.Script`, run as local processes (flowhub/engine/scripts.py) as Kestra's Process task
runner runs them.

Each run gets a fresh working directory (inside a WorkingDirectory, the one its tasks share) holding
the namespace's files (with `namespaceFiles`) and its `inputFiles`; `WORKING_DIR`/`OUTPUT_DIR` (and
`{{ workingDir }}`/`{{ outputDir }}`) say where it is. Files matching `outputFiles`, and every file
left in the output directory, are stored as files of the execution. Python runs with the server's
own interpreter.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field

from flowhub.engine.context import RunContext
from flowhub.engine.errors import TaskFailure
from flowhub.engine.fields import NamespaceFiles, Strict
from flowhub.engine.inputs.temporal import java_duration
from flowhub.engine.registry import TaskDefinition
from flowhub.engine.scripts import DEFAULT_MAX_DURATION, ScriptLines, run_process, scrubbed_environment

from . import properties, workspace

DOCKER_RUNNER = "io.kestra.plugin.scripts.runner.docker.Docker"


class TaskRunner(Strict):
    """Where a script runs. flowhub runs every script as a local process; a Docker runner's own
    properties (image, pull policy, volumes, …) are accepted and not used."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: Literal["io.kestra.plugin.core.runner.Process", "io.kestra.plugin.scripts.runner.docker.Docker"]


EnvValue = str | int | float | bool


class _ScriptTask(TaskDefinition):
    beforeCommands: list[str] = Field(default_factory=list)
    env: dict[str, EnvValue] = Field(default_factory=dict)
    interpreter: list[str] = Field(default_factory=lambda: ["/bin/sh", "-c"], min_length=1)
    inputFiles: dict[str, str] | str | None = None
    outputFiles: list[str] = Field(default_factory=list)
    namespaceFiles: NamespaceFiles | None = None
    taskRunner: TaskRunner | None = None
    containerImage: str | None = None
    # Kestra 0.20 turned a run that wrote to stderr into a WARNING; newer Kestra ignores it, as flowhub does.
    warningOnStdErr: bool = True
    failFast: bool = True

    def _command(self, ctx: RunContext, extra: dict[str, str], scratch: Path) -> str:
        """The shell text that runs the task's own part, after `beforeCommands`."""
        raise NotImplementedError

    def _environment(self) -> dict[str, str]:
        return scrubbed_environment(os.environ)

    def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.containerImage or (self.taskRunner and self.taskRunner.type == DOCKER_RUNNER):
            where = f"the container image '{self.containerImage}'" if self.containerImage else "a Docker container"
            ctx.log("WARN", f"flowhub runs this script as a local process, not in {where}")
        with tempfile.TemporaryDirectory(prefix="flowhub-script-") as root:
            outputs, scratch = Path(root, "outputs"), Path(root, "scratch")
            work = ctx.working_dir or Path(root, "work")
            for directory in (work, outputs, scratch):
                directory.mkdir(exist_ok=True)
            extra = {"workingDir": str(work), "outputDir": str(outputs)}
            workspace.fill(ctx, work, self.namespaceFiles, self.inputFiles, extra)
            lines = [*(["set -e"] if self.failFast else []), *map(str, ctx.render(self.beforeCommands, extra))]
            lines.append(self._command(ctx, extra, scratch))
            env = {
                **self._environment(),
                "WORKING_DIR": str(work),
                "OUTPUT_DIR": str(outputs),
                **{name: str(ctx.render(value, extra)) for name, value in self.env.items()},
            }
            limit = properties.duration(ctx, "timeout", self.timeout) if self.timeout else DEFAULT_MAX_DURATION
            protocol = ScriptLines(ctx.log)
            outcome = run_process(
                [*self.interpreter, "\n".join(lines)],
                cwd=work,
                env=env,
                on_line=lambda line, stderr: protocol.add(line, stderr=stderr),
                on_idle=ctx.flush_logs_if_due,
                max_duration=limit,
                stop=ctx.stop,
            )
            if outcome.stopped:
                raise TaskFailure("the script was stopped")
            if outcome.timed_out:
                raise TaskFailure(f"the script ran longer than its limit of {java_duration(limit)} and was killed")
            if outcome.exit_code != 0:
                tail = "\n".join(protocol.stderr_tail)
                raise TaskFailure(f"Command failed with exit code {outcome.exit_code}" + (f":\n{tail}" if tail else ""))
            chosen = {**workspace.matching(ctx, work, self.outputFiles, extra), **dict(workspace.files(outputs))}
            files = workspace.store(ctx, chosen)
        return {
            "vars": protocol.vars,
            "exitCode": outcome.exit_code,
            "outputFiles": files,
            "stdOutLineCount": protocol.stdout_count,
            "stdErrLineCount": protocol.stderr_count,
        }


class _PythonTask(_ScriptTask):
    def _environment(self) -> dict[str, str]:
        # `python` in commands is the server's interpreter.
        env = scrubbed_environment(os.environ)
        env["PATH"] = os.pathsep.join(filter(None, [str(Path(sys.executable).parent), env.get("PATH")]))
        return env


class ShellCommands(_ScriptTask):
    """Run shell `commands` in a fresh working directory; outputs `vars`, `exitCode`, `outputFiles`,
    `stdOutLineCount` and `stdErrLineCount`."""

    TYPE = "io.kestra.plugin.scripts.shell.Commands"

    commands: list[str] = Field(min_length=1, examples=[["echo hello"]])

    def _command(self, ctx: RunContext, extra: dict[str, str], scratch: Path) -> str:
        return "\n".join(map(str, ctx.render(self.commands, extra)))


class ShellScript(_ScriptTask):
    """Run a shell `script` in a fresh working directory; outputs as shell Commands."""

    TYPE = "io.kestra.plugin.scripts.shell.Script"

    script: str = Field(examples=["echo hello"])

    def _command(self, ctx: RunContext, extra: dict[str, str], scratch: Path) -> str:
        return str(ctx.render(self.script, extra))


class PythonCommands(_PythonTask):
    """Run shell `commands` (`python main.py`, …) with the server's Python; outputs as shell Commands."""

    TYPE = "io.kestra.plugin.scripts.python.Commands"

    commands: list[str] = Field(min_length=1, examples=[["python --version"]])

    def _command(self, ctx: RunContext, extra: dict[str, str], scratch: Path) -> str:
        return "\n".join(map(str, ctx.render(self.commands, extra)))


class PythonScript(_PythonTask):
    """Run a Python `script` with the server's Python in a fresh working directory; outputs as shell Commands."""

    TYPE = "io.kestra.plugin.scripts.python.Script"

    script: str = Field(examples=["print('hello')"])

    def _command(self, ctx: RunContext, extra: dict[str, str], scratch: Path) -> str:
        path = scratch / "main.py"
        path.write_text(str(ctx.render(self.script, extra)), encoding="utf-8")
        return f"{shlex.quote(sys.executable)} {shlex.quote(str(path))}"


TASK_TYPES: tuple[type[TaskDefinition], ...] = (ShellCommands, ShellScript, PythonCommands, PythonScript)
