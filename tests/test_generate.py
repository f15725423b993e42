"""`tierwise generate`: reproducible, valid, statistically faithful, and strict on bad params."""

from __future__ import annotations

import collections
import datetime as dt
import io
import json
import math
import statistics
from pathlib import Path
from random import Random
from typing import Any

import pytest
from click.testing import CliRunner

from tierwise.cli.main import cli
from tierwise.engine.errors import Diagnostic
from tierwise.engine.generate import (
    GenerateParams,
    ParamsError,
    _poisson,
    expected_tickets,
    generate,
    load_params,
    parse_params,
)
from tierwise.engine.pipeline import simulate_files
from tierwise.engine.scenario_io import open_scenario, validate_scenario

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "plans" / "generate"
Record = dict[str, Any]

SMALL = """\
seed = 11
zone = "Europe/Warsaw"
start = 2026-03-02
end = 2026-04-27

[customers]
count = 40
plans = { STANDARD = 0.5, START = 0.3, EMAIL = 0.2 }

[arrivals]
per_hour = 1.5

[tickets]
priority = { normal = 0.8, critical = 0.2 }
channel = { email = 0.7, phone = 0.3 }
category = { bug = 0.5, question = 0.5 }
registered_share = 0.9
express_share = 0.1

[waiting]
share = 0.4
abandon_share = 0.2

[reopen]
share = 0.2

[priority_change]
share = 0.2

[work]
share = 0.5
kinds = { remote = 0.7, phone = 0.3 }
out_of_hours_share = 0.1

[closing]
share = 0.5
"""


def run(params: GenerateParams, tickets: int | None = None) -> str:
    buffer = io.StringIO()
    generate(params, buffer, tickets=tickets)
    return buffer.getvalue()


def records(text: str) -> tuple[Record, list[Record]]:
    lines = text.splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def small() -> GenerateParams:
    return parse_params(SMALL, "small.toml")


@pytest.fixture(scope="module")
def small_text(small: GenerateParams) -> str:
    return run(small)


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_gives_the_same_bytes(small: GenerateParams, small_text: str) -> None:
    assert run(parse_params(SMALL, "again.toml")) == small_text


def test_another_seed_gives_another_history(small: GenerateParams, small_text: str) -> None:
    assert run(small.with_seed(12)) != small_text


def test_details_do_not_move_arrivals(small_text: str) -> None:
    """Arrivals and customers have their own random stream: a new channel mix keeps them."""
    other = parse_params(SMALL.replace("email = 0.7, phone = 0.3", "email = 0.2, phone = 0.8"))
    _, before = records(small_text)
    _, after = records(run(other))
    assert [(t["created"], t["customer"]) for t in before] == [
        (t["created"], t["customer"]) for t in after
    ]
    assert [t.get("channel") for t in before] != [t.get("channel") for t in after]


# --------------------------------------------------------------------------- format


def test_output_is_a_valid_streamable_scenario(small_text: str, tmp_path: Path) -> None:
    path = tmp_path / "small.jsonl"
    path.write_text(small_text, encoding="utf-8")
    problems = validate_scenario(path)
    assert [d for d in problems if d.severity == "error"] == []
    assert problems == []  # not even warnings: nothing after as_of, no stray reopen
    header, tickets = open_scenario(path)
    loaded = list(tickets)
    assert len(loaded) == len(small_text.splitlines()) - 1 > 500
    assert {t.customer for t in loaded} <= set(header.subscriptions)
    assert len(header.subscriptions) == 40


def test_events_are_in_order_and_before_as_of(small_text: str) -> None:
    header, tickets = records(small_text)
    as_of = instant(header["as_of"])
    seen: collections.Counter[str] = collections.Counter()
    previous = None
    for ticket in tickets:
        created = instant(ticket["created"])
        assert previous is None or previous <= created  # creation order
        previous = created
        stamps = [instant(e["at"]) for e in ticket["events"]]
        assert stamps == sorted(stamps)
        assert all(created <= s <= as_of for s in stamps)
        seen.update(e["type"] for e in ticket["events"])
        for event in ticket["events"]:
            if event["type"] == "work":
                assert event["kind"] in ("remote", "phone")
    for kind in ("replied", "waiting", "customer_replied", "work", "resolved", "reopened",
                 "closed", "priority_changed"):
        assert seen[kind] > 0, kind


def test_replies_happen_in_staffed_hours(small_text: str) -> None:
    """The default team works Mon-Fri 08:00-16:00: first replies land inside that."""
    _, tickets = records(small_text)
    for ticket in tickets[:300]:
        first = next((e for e in ticket["events"] if e["type"] == "replied"), None)
        if first is not None:
            at = instant(first["at"])
            assert at.weekday() < 5
            assert dt.time(8) < at.time() <= dt.time(16)


def test_subscriptions_start_before_their_tickets(small_text: str) -> None:
    header, tickets = records(small_text)
    starts = {s["customer"]: instant(s["start"]) for s in header["subscriptions"]}
    assert all(starts[t["customer"]] <= instant(t["created"]) for t in tickets)


def test_ticket_count_override() -> None:
    params = parse_params(SMALL)
    header, tickets = records(run(params, tickets=321))
    assert len(tickets) == 321
    assert tickets[-1]["id"] == "T-321"
    as_of = instant(header["as_of"])
    assert all(instant(e["at"]) <= as_of for t in tickets for e in t["events"])
    assert records(run(params, tickets=0))[1] == []


# --------------------------------------------------------------------------- statistics

ARRIVALS = """\
seed = 5
zone = "UTC"
start = 2026-01-05
end = 2026-03-02            # eight weeks, Monday to Monday
[customers]
count = 10
plans = { STANDARD = 1 }
[arrivals]
per_hour = 3.0
weekdays = { mon = 2.0, tue = 1.0, wed = 1.0, thu = 1.0, fri = 1.0, sat = 0.5, sun = 0.0 }
hours = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0]
[tickets]
channel = { email = 0.75, phone = 0.25 }
"""


@pytest.fixture(scope="module")
def arrivals() -> tuple[GenerateParams, list[Record]]:
    params = parse_params(ARRIVALS)
    return params, records(run(params))[1]


def test_arrivals_follow_weekday_and_hour_weights(
    arrivals: tuple[GenerateParams, list[Record]],
) -> None:
    params, tickets = arrivals
    created = [instant(t["created"]) for t in tickets]
    by_day = collections.Counter(c.weekday() for c in created)
    by_hour = collections.Counter(c.hour for c in created)
    day_weight = (2.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0)
    hours_a_day = 8 * 1 + 2 * 2  # 08:00-16:00 at 1, 16:00-18:00 at 2
    for day, weight in enumerate(day_weight):
        mean = 3.0 * weight * hours_a_day * 8
        assert abs(by_day[day] - mean) <= 5 * math.sqrt(mean) + 1, (day, by_day[day], mean)
    assert set(by_hour) <= set(range(8, 18))
    per_hour_in_day = sum(by_hour[h] for h in range(8, 16)) / 8
    per_hour_late = sum(by_hour[h] for h in (16, 17)) / 2
    assert 1.7 < per_hour_late / per_hour_in_day < 2.3
    assert abs(len(tickets) - expected_tickets(params)) < 5 * math.sqrt(expected_tickets(params))


def test_arrivals_are_poisson(arrivals: tuple[GenerateParams, list[Record]]) -> None:
    """Counts per Tuesday-to-Friday hour at 10:00-16:00: variance about equal to the mean."""
    _, tickets = arrivals
    counts: collections.Counter[tuple[dt.date, int]] = collections.Counter()
    for t in tickets:
        c = instant(t["created"])
        if 1 <= c.weekday() <= 4 and 10 <= c.hour < 16:
            counts[(c.date(), c.hour)] += 1
    cells = [counts[(d, h)] for d in {k[0] for k in counts} for h in range(10, 16)]
    mean, variance = statistics.fmean(cells), statistics.pvariance(cells)
    assert 2.6 < mean < 3.4
    assert 0.7 < variance / mean < 1.3


def test_mixes_follow_their_shares(arrivals: tuple[GenerateParams, list[Record]]) -> None:
    _, tickets = arrivals
    email = sum(t["channel"] == "email" for t in tickets) / len(tickets)
    assert abs(email - 0.75) < 0.03
    assert all("priority" not in t for t in tickets)  # no priority mix: no priority field


def test_holidays_and_months_shape_arrivals() -> None:
    params = parse_params(
        ARRIVALS.replace("start = 2026-01-05", "start = 2026-01-01")
        .replace('[tickets]', 'months = { feb = 0.0 }\nholidays = "PL"\nholiday_factor = 0.0\n'
                 "[tickets]")
    )
    created = [instant(t["created"]).date() for t in records(run(params))[1]]
    assert created
    assert dt.date(2026, 1, 1) not in created and dt.date(2026, 1, 6) not in created
    assert all(c.month != 2 for c in created)


@pytest.mark.parametrize("lam", [0.4, 3.0, 45.0, 400.0])
def test_poisson_sampler(lam: float) -> None:
    rnd = Random(1)
    draws = [_poisson(rnd, lam) for _ in range(6000)]
    mean, variance = statistics.fmean(draws), statistics.pvariance(draws)
    assert abs(mean - lam) < 5 * math.sqrt(lam / len(draws))
    assert 0.9 < variance / lam < 1.1


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize(("name", "plan_file"), [("shipping", "shipping.plan"),
                                                 ("promotino", "promotino.plan")])
def test_example_params_replay_cleanly(name: str, plan_file: str, tmp_path: Path) -> None:
    params = load_params(EXAMPLES / f"{name}.toml")
    assert params.warnings == ()  # the catalog check found nothing to say
    out = tmp_path / f"{name}.jsonl"
    out.write_text(run(params, tickets=300), encoding="utf-8")
    result = simulate_files([ROOT / "plans" / plan_file], out, keep_tickets=False)
    assert result.ticket_count == 300
    noisy = [d for d in result.diagnostics if "claim" not in d.message]
    assert noisy == []  # claims that match no credit are the only remarks


# --------------------------------------------------------------------------- bad params


def params_error(text: str, tmp_path: Path) -> list[Diagnostic]:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_params(path)
    return list(info.value.diagnostics)


BASE = 'start = 2026-01-01\nend = 2026-02-01\n[customers]\nplans = { STANDARD = 1 }\n'


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("strat = 2026-01-01\n" + BASE, 1, 1, ["unknown key 'strat'", "did you mean 'start'"]),
        (BASE + "[arrivals]\nper_huor = 2\n", 6, 1, ["per_huor", "did you mean 'per_hour'"]),
        (BASE + "[arrivals]\nper_hour = \"2\"\n", 6, 12, ["must be a number, not text",
                                                          "without quotes"]),
        (BASE + "[arrivals]\nper_hour = -1\n", 6, 12, ["must be above 0", "negative"]),
        (BASE + "[tickets]\nchannel = { email = -0.5 }\n", 6, 21, ["at least 0"]),
        ('zone = "Europe/Warsow"\n' + BASE, 1, 8, ["unknown time zone",
                                                    "did you mean 'Europe/Warsaw'"]),
        (BASE + "seed = = 1\n", 5, 8, ["invalid TOML"]),
        (BASE + '[response]\nmedian = "2 days"\n', 6, 10, ["days are not used here"]),
        (BASE + "[response]\nmedian = 90\n", 6, 10, ["not a duration", "90min"]),
        (BASE + '[staff]\nhours = "mon-fry 08:00-16:00"\n', 6, 9, ["opening hours"]),
        (BASE + '[arrivals]\nholidays = "XY"\n', 6, 12, ["no public holidays"]),
        (BASE + "[waiting]\nshare = 1.5\n", 6, 9, ["at most 1"]),
        (BASE + "[customers.activity]\nSTANDART = 2\n", 6, 1, ["not in customers.plans",
                                                              "did you mean 'STANDARD'"]),
        ("start = 2026-01-01\nend = 2025-01-01\n[customers]\nplans = { A = 1 }\n", 2, 7,
         ["must come after the start"]),
        ("end = 2026-01-01\n[customers]\nplans = { A = 1 }\n", 0, 0, ["missing required key"]),
    ],
)
def test_bad_params_are_located(
    text: str, line: int, column: int, words: list[str], tmp_path: Path
) -> None:
    errors = params_error(text, tmp_path)
    first = errors[0]
    rendered = first.render()
    for word in words:
        assert word in rendered, rendered
    assert first.span is not None and first.span.file.endswith("bad.toml")
    if line:
        assert (first.span.line, first.span.column) == (line, column), rendered


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    errors = params_error('zone = "Mars/Base"\nsede = 1\n' + BASE + "[arrivals]\nper_hour = 0\n",
                          tmp_path)
    assert len(errors) == 3
    assert [d.span.line for d in errors if d.span] == sorted(d.span.line for d in errors if d.span)


def test_catalog_check_catches_unknown_plans_and_negotiated_fees(tmp_path: Path) -> None:
    text = (f'catalog = "{ROOT / "plans" / "shipping.plan"}"\n'
            "start = 2026-01-01\nend = 2026-02-01\n"
            "[customers]\nplans = { STANDARD = 1, PREMIUM = 1, STANDART = 1 }\n")
    messages = [d.message for d in params_error(text, tmp_path)]
    assert any("'STANDART' is not in the catalog" in m for m in messages)
    assert any("'PREMIUM' has a negotiated fee" in m for m in messages)


# --------------------------------------------------------------------------- command line


@pytest.fixture()
def params_file(tmp_path: Path) -> Path:
    path = tmp_path / "params.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_cli_writes_and_reports(params_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["generate", str(params_file), "-o", str(out),
                                      "--tickets", "50", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "50 tickets" in result.stderr and "40 customers" in result.stderr
    assert "as_of" in result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 51
    assert not list(tmp_path.glob(".out.jsonl.*"))  # no temporary file left behind
    same = parse_params(SMALL).with_seed(3)
    assert out.read_text(encoding="utf-8") == run(same, tickets=50)


def test_cli_never_overwrites_without_force(params_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["generate", str(params_file), "-o", str(out), "-n", "5"])
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_text(encoding="utf-8") == "precious\n"
    forced = CliRunner().invoke(cli, ["generate", str(params_file), "-o", str(out), "-n", "5",
                                      "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_text(encoding="utf-8").count("\n") == 6


def test_cli_bad_params_exit_2_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE + "[arrivals]\nper_hour = -3\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["generate", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert f"{bad}:6:12: error: arrivals.per_hour" in result.stderr
    assert "^^" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-o", "out.txt"], ".jsonl or .ndjson"),
        (["-o", "out.jsonl", "-n", "-4"], "cannot be negative"),
    ],
)
def test_cli_bad_options(params_file: Path, tmp_path: Path, args: list[str], words: str) -> None:
    args = [str(tmp_path / a) if a.startswith("out") else a for a in args]
    result = CliRunner().invoke(cli, ["generate", str(params_file), *args])
    assert result.exit_code == 2
    assert words in result.stderr


def test_cli_missing_params_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", str(tmp_path / "nope.toml"), "-o",
                                      str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr
