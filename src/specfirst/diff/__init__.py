"""`specfirst diff`: what a contract change breaks for clients, and which service methods it touches.

`ContractDiff(base_document, head_document).run()` classifies the changes; `build_report` adds
locations, the service methods and the verdict; `specfirst.commands.diff` is the CLI.
"""

from specfirst.diff.compare import ContractDiff, DiffResult
from specfirst.diff.model import Change, Direction, Level
from specfirst.diff.report import DiffReport, build_report, render
from specfirst.diff.sources import SourceError, Version, open_version

__all__ = [
    "Change",
    "ContractDiff",
    "DiffReport",
    "DiffResult",
    "Direction",
    "Level",
    "SourceError",
    "Version",
    "build_report",
    "open_version",
    "render",
]
