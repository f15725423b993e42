"""Located diagnostics shared by every stage (plan, scenario, options).

Every user-facing error carries a source span so it can be printed compiler-style:
``file:line:col: error: message``, the source line, a caret, what was expected and a hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from attrs import field, frozen

Severity = Literal["error", "warning"]


@frozen(order=True)
class SourceSpan:
    """A region of a source file; lines and columns are 1-based, ends inclusive of the last char."""

    file: str
    line: int
    column: int
    end_line: int = field(default=0)
    end_column: int = field(default=0)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @classmethod
    def unknown(cls, file: str = "<unknown>") -> SourceSpan:
        return cls(file, 0, 0, 0, 0)


@frozen
class Diagnostic:
    """One finding about the user's input."""

    message: str
    span: SourceSpan | None = None
    severity: Severity = "error"
    expected: str | None = None
    hint: str | None = None
    # For scenario files: a JSON-path-like pointer to the field, e.g. ``$.tickets[2].priority``.
    path: str | None = None

    def render(self, source_text: str | None = None) -> str:
        """The compiler-style text: location, message, source line with caret, expected, hint."""
        where = str(self.span) if self.span and self.span.line > 0 else (
            self.span.file if self.span else "<input>"
        )
        lines = [f"{where}: {self.severity}: {self.message}"]
        if self.path:
            lines.append(f"  at {self.path}")
        if source_text is not None and self.span is not None and self.span.line > 0:
            source_lines = source_text.splitlines()
            if 0 < self.span.line <= len(source_lines):
                text = source_lines[self.span.line - 1]
                if len(text) > 200:  # a huge junk line: show the part around the column
                    lo = max(0, self.span.column - 80)
                    text = text[lo : lo + 160]
                    col = self.span.column - lo
                else:
                    col = self.span.column
                width = 1
                same_line = self.span.end_line == self.span.line
                if same_line and self.span.end_column >= self.span.column:
                    width = max(1, self.span.end_column - self.span.column + 1)
                width = min(width, max(1, len(text) - col + 1))
                gutter = f"{self.span.line:>5} | "
                lines.append(gutter + text.expandtabs(1))
                lines.append(" " * (len(gutter) + max(0, col - 1)) + "^" * width)
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class TierwiseError(Exception):
    """Raised with one or more diagnostics; the CLI prints them all and exits 2."""

    def __init__(self, diagnostics: Iterable[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: Sequence[Diagnostic] = tuple(diagnostics)
        super().__init__("\n".join(d.message for d in self.diagnostics))


class PlanError(TierwiseError):
    """The plan text is malformed or inconsistent."""


class ScenarioError(TierwiseError):
    """A scenario (ticket history) is malformed or inconsistent."""


class CalendarError(TierwiseError):
    """A calendar cannot answer (never open, naive instant, negative duration...)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
