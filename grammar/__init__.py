"""The tierwise plan language: grammar file, AST, parse-tree transformer and parser."""

from __future__ import annotations

from pathlib import Path

#: The Lark grammar of the plan language.
GRAMMAR_PATH = Path(__file__).with_name("tierwise.lark")
