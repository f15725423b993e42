"""Parsing plan text: the cached LALR parser, and syntax errors a person can act on.

``parse(text, file)`` returns the AST or raises ``PlanError`` with every syntax error it
found (up to ``MAX_SYNTAX_ERRORS``). Each diagnostic has the file, line, column and end
of the offending text, what was expected in English (``TERMINAL_ENGLISH``), and a hint:
"did you mean 'response'?" for a misspelt keyword, the forms of the clause being written,
or the forms of a value for an unknown unit.

Error recovery: after an error the parser's stacks are unwound to the start of the
current clause, a ``BAD_CLAUSE`` token (declared in the grammar, never lexed) stands in
for it, and lexing resumes at the end of the line, or at the next ``plan``/``calendar``
line when the error was outside any block. Every step moves forward, so junk input costs
one pass and at most ``MAX_SYNTAX_ERRORS`` diagnostics.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import re
from collections.abc import Iterable

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from tierwise.engine.errors import Diagnostic, PlanError, SourceSpan, TierwiseError
from tierwise.grammar import GRAMMAR_PATH, ast
from tierwise.grammar.transformer import DAY_UNITS, MONTH_UNITS, TIME_UNITS, PlanTransformer

#: Stop reporting syntax errors in one file after this many.
MAX_SYNTAX_ERRORS = 20

#: How each terminal reads in "expected ..." and "unexpected ..." messages. Keywords and
#: fixed phrases are written as the author types them; a test checks that every terminal
#: of the grammar is here.
TERMINAL_ENGLISH: dict[str, str] = {
    "$END": "end of file",
    "BAD_CLAUSE": "a clause",
    # lexical
    "_NL": "end of line",
    "COMMENT": "a comment",
    "WS": "a space",
    "_COMMA": "','",
    "_LBRACE": "'{'",
    "RBRACE": "'}'",
    "_LSQB": "'['",
    "_RSQB": "']'",
    "_COLON": "':'",
    "_DASH": "'-'",
    "_DOTDOT": "'..'",
    "NAME": "a name",
    "STRING": 'a "string"',
    # values with units
    "NUMBER": "a number",
    "DURATION": "a duration (4h, 30min)",
    "PERCENT": "a percentage (23%)",
    "UNIT": "a unit (min, hours, days, months)",
    "CURRENCY": "a currency (EUR, €, zł)",
    "PERIOD_NAME": "'month', 'quarter' or 'year'",
    "TIME": "a time (09:00)",
    "DATE": "a date (2026-12-24)",
    # calendars
    "_CALENDAR": "'calendar'",
    "_ZONE": "'zone'",
    "_OPEN": "'open'",
    "_HOLIDAYS": "'holidays'",
    "CLOSED": "'closed'",
    "_SPECIAL": "'special'",
    "ALWAYS_OPEN": "'24/7'",
    "ZONE_NAME": "a time zone (Europe/Warsaw)",
    # plans
    "_PLAN": "'plan'",
    "_EXTENDS": "'extends'",
    "_TITLE": "'title'",
    "_PRIORITIES": "'priorities'",
    "_CHANNELS": "'channels'",
    "_CURRENCY_KW": "'currency'",
    "_VAT": "'vat'",
    "_MINIMUM_TERM": "'minimum term'",
    "_PLAN_CHANGES": "'plan changes'",
    "_TAKE_EFFECT_NEXT_PERIOD": "'take effect next period'",
    "_TAKE_EFFECT_IMMEDIATELY": "'take effect immediately'",
    "_PRORATED": "'prorated'",
    "_SUBSCRIPTION_REQUIRED": "'subscription required'",
    "_REQUESTS_IN_SUPPORT_HOURS_ONLY": "'requests in support hours only'",
    "_QUEUE_EARLIEST_DEADLINE_FIRST": "'queue earliest deadline first'",
    "_REFUNDS_PAID_OUT": "'refunds paid out'",
    "_REQUESTS_AT_ANY_TIME": "'requests at any time'",
    "_QUEUE_IN_ANY_ORDER": "'queue in any order'",
    "_REFUNDS_CARRIED_FORWARD": "'refunds carried forward'",
    # conditions
    "_WHEN": "'when'",
    "_AND": "'and'",
    "_IS": "'is'",
    "_IS_NOT": "'is not'",
    "_IN": "'in'",
    "_NOT_IN": "'not in'",
    "_FIELD": "'field'",
    "_BECAUSE": "'because'",
    # targets
    "RESPONSE": "'response'",
    "RESOLUTION": "'resolution'",
    "NEXT_REPLY": "'next reply'",
    "UPDATE": "'update'",
    "BEST_EFFORT": "'best effort'",
    "AVERAGE": "'average'",
    "WITHIN": "'within'",
    "EVERY": "'every'",
    "END_OF_NEXT_BUSINESS_DAY": "'by end of next business day'",
    "_BUSINESS": "'business'",
    "PAUSED_WHILE_WAITING": "'paused while waiting'",
    "NOT_PAUSED": "'not paused'",
    "_USING_CALENDAR": "'using calendar'",
    # eligibility
    "_NOT_COVERED": "'not covered'",
    "_GUARANTEED_ONLY": "'guaranteed only'",
    "_NOT_GUARANTEED": "'not guaranteed'",
    "_GUARANTEES_LIMITED_TO": "'guarantees limited to'",
    "_OF": "'of'",
    "_WORK": "'work'",
    "ALL": "'all'",
    # money
    "_FEE": "'fee'",
    "_FROM": "'from'",
    "FREE": "'free'",
    "_NEGOTIATED": "'negotiated'",
    "_PER": "'per'",
    "_RATE": "'rate'",
    "_PER_HOUR": "'per hour'",
    "_NOT_BILLED": "'not billed'",
    "_BILLED_PER_STARTED": "'billed per started'",
    "_PER_STARTED": "'per started'",
    "_IN_HOURS": "'in hours'",
    "OUT_OF_HOURS": "'out of hours'",
    "_OVERHEAD": "'overhead'",
    "_PER_SESSION": "'per session'",
    "_FOR": "'for'",
    "EXPRESS": "'express'",
    "_SURCHARGE": "'surcharge'",
    "_INCLUDED": "'included'",
    "_ROLLS_OVER": "'rolls over'",
    "_PACK": "'pack'",
    "_VALID": "'valid'",
    "_ALLOW": "'allow'",
    "_TICKETS": "'tickets'",
    "_THEN": "'then'",
    "_EACH": "'each'",
    # credits
    "_CREDIT": "'credit'",
    "_PER_MISSED": "'per missed'",
    "_GUARANTEE": "'guarantee'",
    "_EXPIRING_AFTER": "'expiring after'",
    "_OF_FEE": "'of fee'",
    "_CREDITS": "'credits'",
    "_MEASURE": "'measure'",
    "MEAN": "'mean'",
    "ATTAINMENT_OF": "'attainment of'",
    "_EXCEEDS_TARGET": "'exceeds target'",
    "_BELOW": "'below'",
    "_CAP": "'cap'",
    "_CLAIM_WITHIN": "'claim within'",
    "_AFTER_PERIOD_END": "'after period end'",
    "_SOLE_REMEDY": "'sole remedy'",
    # features
    "_FEATURE": "'feature'",
    "YES": "'yes'",
    "_NO": "'no'",
    # inheritance
    "_TARGET": "'target'",
    "_COVERAGE_EXCLUSIONS": "'coverage exclusions'",
    "_GUARANTEE_EXCLUSIONS": "'guarantee exclusions'",
    "_GUARANTEE_LIMITS": "'guarantee limits'",
    "_INCLUDED_HOURS": "'included hours'",
    "_TICKET_ALLOWANCES": "'ticket allowances'",
}

#: The forms of each clause, by its first word: the hint for a syntax error inside it.
CLAUSE_FORMS: dict[str, str] = {
    "zone": "`zone Europe/Warsaw`",
    "open": "`open mon-fri 09:00-17:00`, `open sat 10:00-12:00, 13:00-15:00`, `open 24/7`",
    "holidays": "`holidays PL`, `holidays ES-MD`",
    "closed": "`closed 2026-12-24`, `closed 2026-08-10..2026-08-14`",
    "special": "`special 2026-12-31 09:00-12:00`, `special 2027-01-06 closed`",
    "title": '`title "Support Plus"`',
    "calendar": "`calendar office`",
    "priorities": "`priorities urgent, high, normal`",
    "channels": "`channels email, phone`",
    "fee": "`fee 450 EUR per month`, `fee from 290 PLN per month`, `fee free`, "
           "`fee negotiated`",
    "currency": "`currency PLN`",
    "vat": "`vat 23%`",
    "minimum": "`minimum term 3 months`",
    "plan": "`plan changes take effect next period`, `plan changes prorated`",
    "response": "`response within 4 business hours when priority is high`, "
                "`response by end of next business day`",
    "resolution": "`resolution within 5 business days`, `resolution within 14 days, not paused`",
    "next": "`next reply within 8 business hours`",
    "update": "`update every 4h when priority is critical`",
    "best": "`best effort response within 24h`",
    "average": "`average response within 2 business days`",
    "no": "`no response target`, `no credits`, `no coverage exclusions`, "
          "`no guarantee exclusions`, `no guarantee limits`, `no included hours`, "
          "`no ticket allowances`, `no overhead`, `no express surcharge`, `no pack NAME`, "
          '`no feature "NAME"`, `no minimum term`, `no subscription required`',
    "requests": "`requests in support hours only`, `requests at any time`",
    "queue": "`queue earliest deadline first`, `queue in any order`",
    "refunds": "`refunds paid out`, `refunds carried forward`",
    "not": '`not covered when category is migration because "..."`, '
           "`not guaranteed when channel in [sms, whatsapp]`",
    "guaranteed": "`guaranteed only when contact is registered`",
    "guarantees": "`guarantees limited to 3h of email work per month when category is not bug`",
    "rate": "`rate remote 140 PLN per hour, billed per started 30min`, `rate email not billed`",
    "overhead": "`overhead 5min per session for remote, phone`",
    "express": "`express surcharge +100%`",
    "out": "`out of hours surcharge +50%`",
    "included": "`included 3h per month for phone, remote`, `included 2h per month for all`, "
                "`included 7h per month, rolls over 2 months`",
    "pack": "`pack unit 1h for 40 EUR, valid 1 year`",
    "allow": "`allow 4 tickets per month free when category is unjustified, then 60 PLN each`",
    "credit": "`credit 1h free per missed guarantee`, `credit 10% of fee per missed response "
              'guarantee`, `credit "Name" { ... }`',
    "feature": '`feature "Dedicated manager": yes`',
    "measure": "`measure mean response per priority per month`, "
               "`measure attainment of response per month`",
    "exceeds": "`exceeds target: 100% of fee`",
    "below": "`below 95%: 10% of fee`",
    "cap": "`cap 100% of fee`",
    "claim": "`claim within 30 days after period end`",
    "sole": "`sole remedy`",
}

VALUE_FORMS = "`4h`, `30min`, `4 business hours`, `4 days`, `4 business days`, `3 months`, " \
              "`450 EUR`, `€450`, `23%`"
_UNIT_WORDS = (*TIME_UNITS, *DAY_UNITS, *MONTH_UNITS, "EUR", "PLN", "USD", "GBP", "zł",
               "business hours", "business days", "calendar days")

_PLAN_CLAUSE = "a plan clause (title, calendar, fee, vat, response, resolution, rate, " \
               "included, credit, feature, ...)"
_CALENDAR_CLAUSE = "a calendar clause (zone, open, holidays, closed, special)"
_CREDIT_CLAUSE = "a credit clause (measure, exceeds target, below, cap, claim within, " \
                 "sole remedy)"
_VALUE_TERMINALS = frozenset({"NUMBER", "DURATION", "PERCENT", "CURRENCY"})
_VALUE_WORDS = {"NUMBER": "number", "DURATION": "duration", "PERCENT": "percentage",
                "TIME": "time", "DATE": "date", "UNIT": "unit", "CURRENCY": "currency"}
_WORD = re.compile(r"[^\W\d_][\w-]*")
_NEXT_DEFINITION = re.compile(r"\n(?=[ \t]*(?:plan|calendar)[ \t])")


@functools.cache
def lark_parser() -> Lark:
    """The LALR parser, built once per process on first use (about 0.15 s)."""
    return Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
    )


def parse(text: str, file: str) -> ast.PlanFile:
    """Parse one plan file; raise ``PlanError`` with every syntax error found."""
    source = text if text.endswith("\n") else text + "\n"
    collector = _SyntaxErrors(source, file)
    tree: Tree[Token] | None = None
    with contextlib.suppress(UnexpectedInput):  # recorded by the collector, which gave up
        tree = lark_parser().parse(source, on_error=collector)
    if collector.diagnostics or tree is None:
        raise PlanError(collector.finish())
    try:
        return PlanTransformer(file).transform(tree)
    except VisitError as exc:  # a transformer bug must still not be a bare traceback
        if isinstance(exc.orig_exc, TierwiseError):
            raise exc.orig_exc from None
        raise


def english(terminal: str) -> str:
    """How a terminal reads in a message."""
    return TERMINAL_ENGLISH.get(terminal, terminal.lower().strip("_"))


def expected_text(expected: Iterable[str]) -> str:
    """The set of acceptable terminals, as one short English phrase."""
    names = {t for t in expected if t not in {"BAD_CLAUSE", "COMMENT", "WS"}}
    if "_TITLE" in names and "_FEE" in names:
        return f"{_PLAN_CLAUSE} or '}}'"
    if "_ZONE" in names and "_OPEN" in names:
        return f"{_CALENDAR_CLAUSE} or '}}'"
    if "_MEASURE" in names and "_CAP" in names:
        return f"{_CREDIT_CLAUSE} or '}}'"
    if "_PLAN" in names and "_CALENDAR" in names:
        return "'plan' or 'calendar'"
    phrases: list[str] = []
    if names >= _VALUE_TERMINALS:
        names -= _VALUE_TERMINALS
        phrases.append("a value with its unit (4 business hours, 450 EUR, 23%)")
    phrases += sorted({english(t) for t in names},
                      key=lambda p: (p.startswith("'"), p.strip("'")))
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _keywords(terminal: str) -> tuple[str, ...]:
    """The words an author types for a keyword terminal: ``_PER_HOUR`` -> ``per hour``."""
    if terminal == "PERIOD_NAME":
        return ("month", "quarter", "year")
    text = TERMINAL_ENGLISH.get(terminal, "")
    inner = text[1:-1]
    if len(text) > 2 and text[0] == text[-1] == "'" and "'" not in inner and _WORD.match(inner):
        return (inner,)
    return ()


class _SyntaxErrors:
    """The ``on_error`` callback of one parse: records a diagnostic, then recovers."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self.truncated = False
        self._last_position = -1

    def finish(self) -> list[Diagnostic]:
        out = list(dict.fromkeys(self.diagnostics))  # same error twice: once
        if self.truncated:
            out.append(Diagnostic(
                f"too many syntax errors; stopped after {MAX_SYNTAX_ERRORS}",
                SourceSpan(self.file, 0, 0),
                hint="fix the first errors and run again",
            ))
        return out

    # ------------------------------------------------------------------ callback

    def __call__(self, error: UnexpectedInput) -> bool:
        self.diagnostics.append(self.diagnose(error))
        if len(self.diagnostics) >= MAX_SYNTAX_ERRORS:
            self.truncated = True
            return False
        try:
            return self._recover(error)
        except UnexpectedInput:
            return False

    # ------------------------------------------------------------------ diagnosis

    def diagnose(self, error: UnexpectedInput) -> Diagnostic:
        if isinstance(error, UnexpectedCharacters):
            return self._unexpected_character(error)
        assert isinstance(error, UnexpectedToken)
        return self._unexpected_token(error)

    def _unexpected_character(self, error: UnexpectedCharacters) -> Diagnostic:
        pos = error.pos_in_stream or 0
        char = self.text[pos] if pos < len(self.text) else ""
        line, column = error.line, error.column
        if char == '"':
            end = self.text.find("\n", pos)
            return Diagnostic(
                "unterminated string",
                SourceSpan(self.file, line, column, line, column + max(0, end - pos - 1)),
                hint="close the string with '\"' on the same line (write \\\" for a quote "
                     "inside it)",
            )
        span = SourceSpan(self.file, line, column, line, column)
        expected = expected_text(error.allowed or ())
        hint = None
        if char == "=":
            hint = "conditions are written `when priority is urgent`"
        elif char in "(){}":
            hint = "lists are written in square brackets: `when priority in [urgent, high]`"
        else:
            hint = self._clause_hint(error)
        if not char:
            shown = "at the end of the file"
        elif char.isprintable() and char.strip():
            shown = repr(char)
        else:
            shown = f"U+{ord(char):04X}"
        return Diagnostic(f"unexpected character {shown}", span,
                          expected=expected or None, hint=hint)

    def _unexpected_token(self, error: UnexpectedToken) -> Diagnostic:
        token = error.token
        expected = set(error.expected or ())
        span = self._token_span(token)
        previous = self._previous(error)
        shown = _show(token)
        hint = self._clause_hint(error)
        if token.type == "$END":
            block = self._open_block(error)
            if block is not None:
                hint = f"the block at line {block.line} is not closed: add '}}' on a line " \
                       "of its own"
            return Diagnostic("unexpected end of file", span,
                              expected=expected_text(expected) or None, hint=hint)
        word = str(token) if _WORD.fullmatch(str(token)) else None
        if (isinstance(previous, Token) and previous.type == "NUMBER" and "UNIT" in expected
                and word is not None):
            suggestion = _closest(word, _UNIT_WORDS)
            unit_hint = f"did you mean '{suggestion}'? " if suggestion else ""
            return Diagnostic(f"unknown unit '{_clip(word)}'", span,
                              expected="a unit: min, h, hours, days, business hours, "
                                       "business days, months, or a currency",
                              hint=f"{unit_hint}values are written {VALUE_FORMS}")
        if word is not None:
            keyword = self._misspelt_keyword(token, expected)
            if keyword is not None:
                lower = " ".join(word.lower().split()) == keyword.split()[0] and \
                    word != word.lower()
                did_you_mean = f"did you mean '{keyword}'?"
                if lower:
                    did_you_mean += " (keywords are lower case)"
                return Diagnostic(f"unknown keyword '{_clip(word)}'", span,
                                  expected=expected_text(expected) or None,
                                  hint=did_you_mean)
        if token.type == "_NL":
            return Diagnostic("this clause is not complete", span,
                              expected=expected_text(expected) or None,
                              hint=hint)
        return Diagnostic(f"unexpected {shown}", span,
                          expected=expected_text(expected) or None, hint=hint)

    def _token_span(self, token: Token) -> SourceSpan:
        if token.type == "$END":
            stripped = self.text.rstrip()
            line = stripped.count("\n") + 1
            column = len(stripped) - (stripped.rfind("\n") + 1) + 1
            return SourceSpan(self.file, line, max(1, column), line, max(1, column))
        line = token.line or 1
        column = token.column or 1
        if token.type == "_NL":  # point just after the last character of the line
            return SourceSpan(self.file, line, column, line, column)
        end_line = token.end_line or line
        end_column = (token.end_column or column + 1) - 1
        if end_line != line:
            end_line, end_column = line, column
        return SourceSpan(self.file, line, column, end_line, max(column, end_column))

    @staticmethod
    def _previous(error: UnexpectedInput) -> object:
        parser = getattr(error, "interactive_parser", None)
        stack = parser.parser_state.value_stack if parser is not None else []
        return stack[-1] if stack else None

    def _misspelt_keyword(self, token: Token, expected: set[str]) -> str | None:
        """The expected keyword (or phrase) closest to what was written at ``token``."""
        if len(token) > 40:
            return None
        best: tuple[float, str] | None = None
        rest = self.text[token.start_pos or 0:(token.start_pos or 0) + 80].split("\n")[0]
        words = rest.split()
        for keyword in (k for terminal in expected for k in _keywords(terminal)):
            written = " ".join(words[: len(keyword.split())]).lower()
            ratio = difflib.SequenceMatcher(None, written, keyword).ratio()
            if ratio >= 0.75 and (best is None or ratio > best[0]):
                best = (ratio, keyword)
        return best[1] if best else None

    def _clause_hint(self, error: UnexpectedInput) -> str | None:
        """The forms of the clause being written when the error happened."""
        if isinstance(error, UnexpectedToken):
            position = error.token.start_pos or 0
        else:
            position = error.pos_in_stream or 0
        start = self._clause_start(position)
        match = _WORD.match(self.text, start)
        if match is None or match.start() >= position:
            return None  # the error is the clause's first word: nothing written to explain
        forms = CLAUSE_FORMS.get(match.group(0))
        return f"this clause is written {forms}" if forms else None

    def _clause_start(self, position: int) -> int:
        """Where the clause around ``position`` starts: its line, or an earlier line that
        it continues after a trailing comma (first non-blank character)."""
        text = self.text
        start = text.rfind("\n", 0, position) + 1
        while start > 0:
            previous = text.rfind("\n", 0, start - 1) + 1
            if not text[previous:start - 1].split("#")[0].rstrip().endswith(","):
                break
            start = previous
        while start < len(text) and text[start] in " \t":
            start += 1
        return start

    @staticmethod
    def _open_block(error: UnexpectedInput) -> Token | None:
        parser = getattr(error, "interactive_parser", None)
        if parser is None:
            return None
        opened: list[Token] = []
        for item in parser.parser_state.value_stack:
            if isinstance(item, Token) and item.type == "_LBRACE":
                opened.append(item)
            elif isinstance(item, Token) and item.type == "RBRACE" and opened:
                opened.pop()
        return opened[-1] if opened else None

    # ------------------------------------------------------------------ recovery

    def _recover(self, error: UnexpectedInput) -> bool:
        """Skip the broken clause: unwind to its start, stand in BAD_CLAUSE, move on."""
        parser = error.interactive_parser
        if parser is None:
            return False
        token = error.token if isinstance(error, UnexpectedToken) else None
        if token is not None and token.type == "$END":
            return False
        position = (token.start_pos or 0) if token is not None else (error.pos_in_stream or 0)
        repeated = position == self._last_position
        self._last_position = position

        state = parser.parser_state
        states = state.parse_conf.states
        while "BAD_CLAUSE" not in states[state.state_stack[-1]]:
            if len(state.state_stack) == 1:
                return False
            state.state_stack.pop()
            state.value_stack.pop()
        tokens = [v.type for v in state.value_stack if isinstance(v, Token)]
        in_block = tokens.count("_LBRACE") > tokens.count("RBRACE")
        line, column = self._line_column(position)
        state.feed_token(Token("BAD_CLAUSE", "", position, line, column, line, column, position))

        if in_block and token is not None and token.type == "_NL":
            state.feed_token(token)  # the lexer is already past it
            return True
        if in_block and token is not None and token.type == "RBRACE" and not repeated:
            state.feed_token(Token("_NL", "\n", position, line, column, line, column, position))
            self._move_lexer(parser, position)  # lex the brace again: it closes the block
            return True
        if in_block:
            resume = self._end_of_clause(position)
        else:  # outside blocks: skip to the next definition
            found = _NEXT_DEFINITION.search(self.text, position)
            resume = found.start() if found else len(self.text) - 1
        self._move_lexer(parser, resume if resume >= 0 else len(self.text) - 1)
        return True

    def _end_of_clause(self, position: int) -> int:
        """The newline that ends the clause at ``position`` (past continuation lines)."""
        text = self.text
        end = text.find("\n", position)
        while end >= 0:
            line = text[text.rfind("\n", 0, end) + 1:end]
            if not line.split("#")[0].rstrip().endswith(","):
                break
            end = text.find("\n", end + 1)
        return end if end >= 0 else len(text) - 1

    def _line_column(self, position: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, position) + 1
        return line, position - (self.text.rfind("\n", 0, position) + 1) + 1

    def _move_lexer(self, parser: object, position: int) -> None:
        """Make the lexer go on from ``position`` (forward, or back to re-lex a brace)."""
        counter = parser.lexer_thread.state.line_ctr  # type: ignore[attr-defined]
        here = counter.char_pos
        if position >= here:
            counter.line += self.text.count("\n", here, position)
        else:
            counter.line -= self.text.count("\n", position, here)
        counter.line_start_pos = self.text.rfind("\n", 0, position) + 1
        counter.char_pos = position
        counter.column = position - counter.line_start_pos + 1


def _show(token: Token) -> str:
    """A token as a message shows it: ``'when'``, ``name 'xyz'``, ``end of line``."""
    if token.type in ("_NL", "$END"):
        return english(token.type)
    text = _clip(str(token))
    if token.type == "NAME":
        return f"name '{text}'"
    if token.type == "STRING":
        return f"string {text}"
    if token.type in _VALUE_WORDS:
        return f"{_VALUE_WORDS[token.type]} '{text}'"
    return f"'{text}'"


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word``, ignoring case (``eur`` -> ``EUR``)."""
    if len(word) > 40:
        return None
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None
