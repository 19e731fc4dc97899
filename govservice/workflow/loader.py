"""Reading process files: ``workflows/processes/*.yaml``, each decoded and checked on load."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import msgspec

from govservice.workflow.definition import ProcessDefinition
from govservice.workflow.errors import InvalidDefinition, Problem
from govservice.workflow.process import Process, compile_process
from govservice.workflow.registry import Registry


@functools.lru_cache(maxsize=128)  # the same files are read by every app and worker a process builds
def _decoded(raw: bytes) -> ProcessDefinition:
    return msgspec.yaml.decode(raw, type=ProcessDefinition)  # frozen: safe to share


def decode_process(raw: bytes, file: str) -> ProcessDefinition:
    try:
        return _decoded(raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if "got `bool`" in message:
            message += " (YAML 1.1 reads unquoted yes/no/on/off as booleans: quote the value)"
        raise InvalidDefinition([Problem(file=file, rule="format", message=message)]) from exc
    except msgspec.DecodeError as exc:
        raise InvalidDefinition([Problem(file=file, rule="yaml", message=str(exc))]) from exc


def load_process(path: Path, *, registry: Registry) -> Process:
    """Decode, check and compile one file; :class:`InvalidDefinition` names every problem."""
    return compile_process(decode_process(path.read_bytes(), path.name), registry=registry, file=path.name)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every process found in a directory, by (id, version), with the file each came from."""

    processes: dict[tuple[str, int], Process]
    files: dict[tuple[str, int], str]
    problems: list[Problem]

    def latest(self, process_id: str) -> Process | None:
        versions = [v for (pid, v) in self.processes if pid == process_id]
        return self.processes[(process_id, max(versions))] if versions else None


def load_directory(directory: Path, *, registry: Registry) -> Catalogue:
    """Load every ``*.yaml`` below ``directory``; problems are collected, not raised."""
    processes: dict[tuple[str, int], Process] = {}
    files: dict[tuple[str, int], str] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            process = load_process(path, registry=registry)
        except InvalidDefinition as exc:
            problems.extend(exc.problems)
            continue
        key = (process.id, process.version)
        if key in processes:
            problems.append(
                Problem(
                    file=path.name,
                    rule="duplicate-version",
                    message=f"{process.id} version {process.version} is also defined in {files[key]}",
                )
            )
            continue
        processes[key] = process
        files[key] = path.name
    return Catalogue(processes, files, problems)
