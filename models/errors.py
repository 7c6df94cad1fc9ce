"""Domain errors that carry structured problems, rendered by each front end (CLI lines, API 422)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input: where (file, row, column) and what.

    `row` is the 1-based line number in the file, the header being line 1, so a user can open the
    file at that line; None when the problem concerns the whole file or column.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row if self.row is not None else '-'}:{self.column or '-'}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


class CapplanError(Exception):
    """Base class of capplan's domain errors."""


class DatasetError(CapplanError):
    """A dataset failed validation; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in dataset:\n{shown}{more}")


class ProposalError(DatasetError):
    """A proposal (allocations.csv format) cannot be read; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        self.args = (f"{len(problems)} problem(s) in the proposal:\n{shown}{more}",)


class ScenarioError(CapplanError):
    """A scenario file or its changes are invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
