"""docs/plans.md cites plans/*.plan by line (`shipping.plan:136`); these tests keep the
citations true when the plans move.

Every reference must name an existing file and line. What the line must hold depends on
what the document says it is:

- a clause (the default): a line with code on it, not blank and not only a comment; and
  where the row names the clause in its "clause" column (`response`, `fee`...), the line
  holds that keyword;
- a comment (the reference follows the word "comment"): a line with a comment on it;
- a chosen value (the table "Values chosen where a seed leaves them open"): a line holding
  the `# chosen:` comment.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from attrs import frozen

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "plans.md"
PLANS = ROOT / "plans"

#: `promotino.plan:34` or `plans/promotino.plan:34`, in backticks.
REFERENCE = re.compile(r"`(?:plans/)?([\w-]+\.plan):(\d+)`")
CHOSEN_SECTION = "## Values chosen where a seed leaves them open"


@frozen
class Reference:
    """One `file:line` of the document, with what the line must hold."""

    doc_line: int
    file: str
    line: int
    kind: str  # "clause", "comment" or "chosen"
    keywords: tuple[str, ...]  # for a clause: it holds all of them (or see below)

    def __str__(self) -> str:
        return f"docs/plans.md:{self.doc_line} cites {self.file}:{self.line}"


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _keywords(cell: str) -> list[str]:
    """The clause keywords a "clause" cell names: its code spans (`—` names none)."""
    return [code for code in re.findall(r"`([^`]+)`", cell) if not REFERENCE.match(f"`{code}`")]


def _row_references(doc_line: int, cells: list[str], clause_column: int | None,
                    chosen: bool) -> list[Reference]:
    keywords = _keywords(cells[clause_column]) if clause_column is not None else []
    found: list[tuple[str, int, str]] = []
    for cell in cells:
        for match in REFERENCE.finditer(cell):
            before = cell[:match.start()].rstrip()
            kind = "chosen" if chosen else (
                "comment" if before.endswith("comment") else "clause")
            found.append((match.group(1), int(match.group(2)), kind))
    clauses = [f for f in found if f[2] == "clause"]
    out: list[Reference] = []
    for file, line, kind in found:
        wanted: tuple[str, ...] = ()
        if kind == "clause" and keywords:
            if len(keywords) == 1 or len(clauses) == 1:
                wanted = tuple(keywords)  # each cited clause holds them all
            elif len(keywords) == len(clauses):
                wanted = (keywords[clauses.index((file, line, kind))],)  # pairwise
            else:
                wanted = ("|".join(keywords),)  # one of them
        out.append(Reference(doc_line, file, line, kind, wanted))
    return out


def references() -> list[Reference]:
    """Every reference of docs/plans.md, tables read with their header row."""
    out: list[Reference] = []
    section = ""
    header: list[str] | None = None
    for doc_line, text in enumerate(DOC.read_text(encoding="utf-8").splitlines(), start=1):
        if text.startswith("## "):
            section = text.strip()
        if not text.startswith("|"):
            header = None
            for match in REFERENCE.finditer(text):
                out.append(Reference(doc_line, match.group(1), int(match.group(2)),
                                     "clause", ()))
            continue
        cells = _cells(text)
        if header is None:
            header = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue  # the |---|---| line
        clause_column = header.index("clause") if "clause" in header else None
        out += _row_references(doc_line, cells, clause_column, section == CHOSEN_SECTION)
    return out


@cache
def plan_lines(file: str) -> tuple[str, ...]:
    return tuple((PLANS / file).read_text(encoding="utf-8").splitlines())


_PIECE = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#.*|[^"#]+')


def _code(line: str) -> str:
    """The clause part of a plan line: up to its comment (a `#` in a string is text)."""
    code = ""
    for piece in _PIECE.findall(line):
        if piece.startswith("#"):
            break
        code += piece
    return code.strip()


REFERENCES = references()


def test_the_document_cites_plan_lines() -> None:
    assert len(REFERENCES) > 150
    assert {r.kind for r in REFERENCES} == {"clause", "comment", "chosen"}
    assert len([r for r in REFERENCES if r.keywords]) > 100


@pytest.mark.parametrize("ref", REFERENCES, ids=str)
def test_reference_points_at_what_the_document_says(ref: Reference) -> None:
    assert (PLANS / ref.file).is_file(), f"{ref}: no such plan file"
    lines = plan_lines(ref.file)
    assert 1 <= ref.line <= len(lines), f"{ref}: the file has {len(lines)} lines"
    text = lines[ref.line - 1]
    assert text.strip(), f"{ref}: the line is blank"
    if ref.kind == "chosen":
        assert "# chosen:" in text, f"{ref}: not a `# chosen:` comment: {text.strip()!r}"
        return
    if ref.kind == "comment":
        assert "#" in text, f"{ref}: not a comment: {text.strip()!r}"
        return
    code = _code(text)
    assert code, f"{ref}: only a comment, not a clause: {text.strip()!r}"
    for keyword in ref.keywords:
        choices = keyword.split("|")
        assert any(choice in code for choice in choices), (
            f"{ref}: the clause {code!r} is not `{keyword}`")


def test_code_of_a_line_drops_comments_not_strings() -> None:
    assert _code('    feature "Plan #1": yes   # a comment') == 'feature "Plan #1": yes'
    assert _code("    # only a comment") == ""
