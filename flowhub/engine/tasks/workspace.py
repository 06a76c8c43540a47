"""A working directory on the worker, as script tasks and WorkingDirectory use it: filled with the
namespace's files and the input files first, its chosen files stored as files of the execution last."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flowhub.engine import globs
from flowhub.engine.context import RunContext
from flowhub.engine.errors import TaskFailure
from flowhub.engine.fields import NamespaceFiles

from . import properties


def fill(
    ctx: RunContext,
    work: Path,
    namespace_files: NamespaceFiles | None,
    input_files: dict[str, str] | str | None,
    extra: dict[str, str],
) -> None:
    """The namespace's files (with `namespaceFiles`), then the input files (content, or a `kestra://`
    file of the execution), into `work`."""
    if namespace_files is not None and namespace_files.enabled:
        namespace = str(ctx.variables["flow"]["namespace"])
        include, exclude = (
            ctx.render(list(patterns), extra) for patterns in (namespace_files.include, namespace_files.exclude)
        )
        ctx.services.namespace_files_materialize(namespace, work, include, exclude)
    if input_files is None:
        return
    for name, source in properties.files_map(ctx, "inputFiles", ctx.render(input_files, extra)).items():
        target = (work / name).resolve()
        if Path(name).is_absolute() or not target.is_relative_to(work.resolve()) or target == work.resolve():
            raise TaskFailure(f"inputFiles: '{name}' is not a path inside the working directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        with properties.content_stream(ctx, source) as stream, target.open("wb") as sink:
            shutil.copyfileobj(stream, sink)


def matching(ctx: RunContext, work: Path, patterns: Any, extra: dict[str, str]) -> dict[str, Path]:
    """The files of `work` whose relative names match the rendered globs `patterns` (`outputFiles`)."""
    rendered = [str(pattern) for pattern in ctx.render(list(patterns), extra)]
    if not rendered:
        return {}
    return {name: path for name, path in files(work) if globs.selected(name, rendered, ())}


def files(directory: Path) -> list[tuple[str, Path]]:
    """The regular files under `directory` by relative name; symbolic links are not followed."""
    return [
        (path.relative_to(directory).as_posix(), path)
        for path in directory.rglob("*")
        if path.is_file() and not path.is_symlink()
    ]


def store(ctx: RunContext, chosen: dict[str, Path]) -> dict[str, str]:
    """Store the files as files of the task run: name → `kestra:///` URI."""
    stored: dict[str, str] = {}
    for name, path in sorted(chosen.items()):
        with path.open("rb") as stream:
            stored[name] = ctx.services.execution_file_write(ctx.task_run, name, stream)
    return stored
