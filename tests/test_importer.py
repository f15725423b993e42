"""Importing helpdesk event logs (CSV) into JSON Lines scenarios."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from realdata import REAL_DATA

from tierwise.cli.import_cmd import import_command
from tierwise.engine.errors import Diagnostic
from tierwise.engine.importer import (
    AMBIGUOUS,
    EXISTS,
    SHIFTED,
    ImportFailed,
    import_csv,
    load_mapping,
    localize,
)
from tierwise.engine.scenario import EventKind, Ticket
from tierwise.engine.scenario_io import load_scenario, open_scenario

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "imports"
SERVICENOW = ROOT / "plans" / "imports" / "servicenow.toml"
ITALIAN = ROOT / "plans" / "imports" / "italian_helpdesk.toml"
REAL = REAL_DATA


def kinds(ticket: Ticket) -> list[str]:
    return [e.kind.value for e in ticket.events]


def failure(excinfo: pytest.ExceptionInfo[ImportFailed]) -> Diagnostic:
    assert len(excinfo.value.diagnostics) == 1, excinfo.value.diagnostics
    return excinfo.value.diagnostics[0]


# ---- the shipped mappings on small logs with every quirk ------------------------------------


def test_servicenow_small(tmp_path: Path) -> None:
    out = tmp_path / "sn.jsonl"
    report = import_csv(DATA / "servicenow_small.csv", SERVICENOW, out)
    assert (report.rows, report.tickets, report.event_count, report.customers) == (22, 3, 16, 1)
    assert report.skipped_rows == {
        "'incident_state' is '-100' (listed in events.ignore)": 1,
        "no time in 'sys_updated_at'": 1,
        "time before the ticket's 'opened_at'": 1,
        "rows of a ticket that appeared earlier (not contiguous)": 1,
    }
    assert (report.shifted_times, report.ambiguous_times) == (1, 1)

    header, stream = open_scenario(out)
    tickets = list(stream)
    assert [t.id for t in tickets] == ["INC0000001", "INC0000002", "INC0000003"]  # by creation
    assert list(header.subscriptions) == ["uci-servicenow"]
    assert header.subscriptions["uci-servicenow"].start.isoformat() == "2016-03-01T00:00:00-03:00"
    assert header.as_of.isoformat() == "2017-02-19T10:00:00-03:00"

    one, two, three = tickets
    # rows sorted by (time, sys_mod_count); snapshot rows with an unchanged state add nothing
    assert kinds(one) == [
        "replied",
        "waiting",
        "priority_changed",
        "customer_replied",
        "replied",
        "resolved",
        "closed",
    ]
    assert one.priority == "moderate" and one.events[2].priority == "high"
    assert one.created.isoformat() == "2016-03-01T09:00:00-03:00"
    assert one.fields["made_sla"] == "false"  # row = "last"
    assert one.channel == "phone" and one.category == "Category 55"
    # 16/10/2016 00:30 does not exist in Sao Paulo: moved forward by the DST gap
    assert two.events[0].at.isoformat() == "2016-10-16T01:30:00-02:00"
    # 18/2/2017 23:30 happened twice: the first one
    assert two.events[1].at.isoformat() == "2017-02-18T23:30:00-02:00"
    # the row before opened_at, the -100 row and the "?" time are gone; a reopen is inferred
    assert kinds(three) == ["replied", "resolved", "reopened", "replied", "resolved", "closed"]
    assert three.channel == "portal"


def test_italian_small(tmp_path: Path) -> None:
    out = tmp_path / "it.jsonl"
    report = import_csv(DATA / "italian_small.csv", ITALIAN, out)
    assert (report.rows, report.tickets, report.event_count, report.customers) == (20, 4, 18, 3)
    assert report.open_tickets == 1 and not report.skipped_rows
    assert report.notes == ["column 'Variant' appears twice (columns 5 and 7); the first is used"]
    assert (report.shifted_times, report.ambiguous_times) == (1, 1)

    scenario = load_scenario(out)
    by_id = {t.id: t for t in scenario.tickets}
    assert [t.id for t in scenario.tickets] == ["Case 1", "Case 3", "Case 2", "Case 4"]
    assert kinds(by_id["Case 1"]) == [
        "replied",
        "waiting",
        "customer_replied",
        "replied",
        "resolved",
        "closed",
    ]
    assert kinds(by_id["Case 2"]) == [
        "priority_changed",
        "replied",
        "resolved",
        "reopened",
        "replied",
        "resolved",
        "closed",
    ]
    assert by_id["Case 2"].priority == "s1" and by_id["Case 2"].events[0].priority == "s4"
    assert by_id["Case 2"].created.isoformat() == "2012-10-20T08:00:00+02:00"  # "Insert ticket"
    # two waits in a row are one wait; the resolution ends it
    assert kinds(by_id["Case 3"]) == ["replied", "waiting", "customer_replied", "resolved"]
    assert by_id["Case 3"].events[-1].at.isoformat() == "2012-10-28T02:30:00+02:00"
    assert by_id["Case 4"].created.isoformat() == "2013-03-31T03:30:00+02:00"
    assert by_id["Case 4"].fields["service_level"] == "Value 2"
    assert set(scenario.header.subscriptions) == {"Value 1", "Value 2", "Value 3"}
    assert "Variant" in report.render()


def test_small_chunks_sort_through_disk(tmp_path: Path) -> None:
    """With a chunk of one ticket every ticket goes through a run file and the merge."""
    whole, spilled = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    import_csv(DATA / "italian_small.csv", ITALIAN, whole)
    import_csv(DATA / "italian_small.csv", ITALIAN, spilled, chunk=1)
    assert whole.read_text() == spilled.read_text()


def test_overrides_and_row_limit(tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    as_of = dt.datetime(2013, 6, 1, tzinfo=dt.UTC)
    report = import_csv(
        DATA / "italian_small.csv", ITALIAN, out, max_rows=6, plan="VIP", as_of=as_of
    )
    assert report.stopped_at_row_limit and report.rows == 6 and report.tickets == 1
    header = load_scenario(out).header
    assert header.as_of == as_of and header.subscriptions["Value 1"].plan == "VIP"


def test_localize() -> None:
    rome = ZoneInfo("Europe/Rome")
    at, how = localize(dt.datetime(2013, 3, 31, 2, 30), rome)
    assert (at.isoformat(), how) == ("2013-03-31T03:30:00+02:00", SHIFTED)
    at, how = localize(dt.datetime(2012, 10, 28, 2, 30), rome)
    assert (at.isoformat(), how) == ("2012-10-28T02:30:00+02:00", AMBIGUOUS)
    at, how = localize(dt.datetime(2012, 10, 28, 12, 0), rome)
    assert (at.isoformat(), how) == ("2012-10-28T12:00:00+01:00", EXISTS)


# ---- the output is never lost or clobbered --------------------------------------------------


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    out.write_text("precious\n")
    with pytest.raises(ImportFailed) as info:
        import_csv(DATA / "italian_small.csv", ITALIAN, out)
    assert "already exists" in failure(info).message and "--force" in (failure(info).hint or "")
    assert out.read_text() == "precious\n"
    import_csv(DATA / "italian_small.csv", ITALIAN, out, force=True)
    assert out.read_text().startswith('{"type":"header"')


def test_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    source = tmp_path / "log.jsonl"
    source.write_bytes((DATA / "italian_small.csv").read_bytes())
    with pytest.raises(ImportFailed) as info:
        import_csv(source, ITALIAN, source, force=True)
    assert "is the input" in failure(info).message
    assert source.read_bytes() == (DATA / "italian_small.csv").read_bytes()


def test_failed_import_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        (DATA / "italian_small.csv").read_text().replace("2012/10/09 14:50:17.000", "9 Oct 2012")
    )
    out = tmp_path / "x.jsonl"
    with pytest.raises(ImportFailed):
        import_csv(bad, ITALIAN, out)
    assert list(tmp_path.iterdir()) == [bad]


# ---- bad mappings: located errors ------------------------------------------------------------


def mapping_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = ITALIAN.read_text(encoding="utf-8")


def test_missing_and_empty_mapping(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        load_mapping(tmp_path / "nope.toml")
    assert "no such file" in failure(info).message
    with pytest.raises(ImportFailed) as info:
        load_mapping(mapping_file(tmp_path, ""))
    assert "empty" in failure(info).message


def test_invalid_toml_mapping(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        load_mapping(
            mapping_file(tmp_path, GOOD.replace('zone = "Europe/Rome"', "zone = Europe/Rome"))
        )
    d = failure(info)
    assert d.message.startswith("invalid TOML") and d.span is not None
    assert (
        d.span.line
        == GOOD.splitlines().index(
            next(line for line in GOOD.splitlines() if line.startswith("zone ="))
        )
        + 1
    )


def test_mapping_schema_errors_are_located(tmp_path: Path) -> None:
    text = GOOD.replace("infer_reopen = true", "infer_repoen = true").replace(
        'mode = "activity"', 'mode = "rows"'
    )
    with pytest.raises(ImportFailed) as info:
        load_mapping(mapping_file(tmp_path, text))
    found = {d.path: d for d in info.value.diagnostics}
    assert found["$.events.infer_repoen"].hint == "did you mean 'infer_reopen'?"
    assert found["$.events.infer_repoen"].message == "mapping: unknown field 'infer_repoen'"
    assert "unknown value of 'mode'" in found["$.events.mode"].message
    span = found["$.events.mode"].span
    assert span is not None and text.splitlines()[span.line - 1].startswith("mode =")


def test_mapping_value_errors(tmp_path: Path) -> None:
    text = (
        GOOD.replace("Europe/Rome", "Europe/Roma")
        .replace('closed = ["Closed"]', 'closed = ["Closed", "Wait"]')
        .replace('start = "month"', 'start = "2012-01-01"')
    )
    with pytest.raises(ImportFailed) as info:
        load_mapping(mapping_file(tmp_path, text))
    messages = "\n".join(d.message for d in info.value.diagnostics)
    assert "unknown time zone 'Europe/Roma'" in messages
    assert "'Wait' is listed as both 'waiting' and 'closed'" in messages
    assert "date without a time" in messages
    assert all(d.span is not None and d.span.line > 0 for d in info.value.diagnostics)


def test_column_not_in_csv(tmp_path: Path) -> None:
    mapping = mapping_file(tmp_path, GOOD.replace('"seriousness_2"', '"seriousnes_2"'))
    with pytest.raises(ImportFailed) as info:
        import_csv(DATA / "italian_small.csv", mapping, tmp_path / "x.jsonl")
    d = failure(info)
    assert "has no column 'seriousnes_2'" in d.message and d.hint == "did you mean 'seriousness_2'?"
    assert (
        d.span is not None
        and d.span.file == str(mapping)
        and "seriousnes_2" in (mapping.read_text().splitlines()[d.span.line - 1])
    )


def test_wrong_mapping_for_the_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        import_csv(DATA / "italian_small.csv", SERVICENOW, tmp_path / "x.jsonl")
    d = failure(info)
    assert "lacks 13 of the 13 columns" in d.message and "is this the mapping" in (d.hint or "")


def test_wrong_time_format_points_at_the_mapping(tmp_path: Path) -> None:
    mapping = mapping_file(tmp_path, GOOD.replace("%Y/%m/%d %H:%M:%S.%f", "%d/%m/%Y %H:%M"))
    with pytest.raises(ImportFailed) as info:
        import_csv(DATA / "italian_small.csv", mapping, tmp_path / "x.jsonl")
    d = failure(info)
    assert "cannot read '2012/10/09 14:50:17.000'" in d.message and "line 2" in d.message
    assert d.span is not None and "format =" in mapping.read_text().splitlines()[d.span.line - 1]


# ---- bad CSV files -----------------------------------------------------------------------------


def test_empty_binary_and_non_utf8_csv(tmp_path: Path) -> None:
    cases = {
        "empty.csv": (b"", "empty", 1),
        "binary.csv": (b"Case ID,Activity\n\x00\x01\x02", "binary", 2),
        "latin.csv": (
            (DATA / "italian_small.csv").read_bytes().replace(b"Value 3,", b"Valu\xe9 3,", 1),
            "not valid utf-8",
            2,
        ),
    }
    for name, (content, words, line) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ImportFailed) as info:
            import_csv(path, ITALIAN, tmp_path / "x.jsonl")
        d = failure(info)
        assert words in d.message and d.span is not None and d.span.line == line, (name, d)


def test_short_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    text = (DATA / "italian_small.csv").read_text()
    path = tmp_path / "short.csv"
    path.write_text(text + "Case 9,Closed\n\n")
    report = import_csv(path, ITALIAN, tmp_path / "x.jsonl")
    assert report.skipped_rows == {"2 cells where the header has 16": 1, "blank line": 1}


# ---- the command -------------------------------------------------------------------------------


def test_cli_import(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "it.jsonl"
    args = [str(DATA / "italian_small.csv"), "--mapping", str(ITALIAN), "--output", str(out)]
    result = runner.invoke(import_command, args)
    assert result.exit_code == 0, result.output
    assert "tickets        4" in result.output and "events         18" in result.output
    again = runner.invoke(import_command, args)
    assert again.exit_code == 2 and "already exists; not overwriting it" in again.output
    assert "Traceback" not in again.output
    assert runner.invoke(import_command, [*args, "--force"]).exit_code == 0


def test_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    csv_file = str(DATA / "italian_small.csv")
    out = str(tmp_path / "x.jsonl")
    missing = runner.invoke(
        import_command, [csv_file, "-m", str(tmp_path / "none.toml"), "-o", out]
    )
    assert missing.exit_code == 2 and "none.toml: error: no such file" in missing.output
    bad = mapping_file(tmp_path, GOOD.replace("[events]", "[event]"))
    located = runner.invoke(import_command, [csv_file, "-m", str(bad), "-o", out])
    assert located.exit_code == 2 and "m.toml:" in located.output and "^" in located.output
    for extra, words in (
        (["--as-of", "2013-01-01"], "date without a time"),
        (["--max-rows", "0"], "0"),
    ):
        result = runner.invoke(import_command, [csv_file, "-m", str(ITALIAN), "-o", out, *extra])
        assert result.exit_code == 2 and words in result.output, result.output
    wrong_suffix = runner.invoke(
        import_command, [csv_file, "-m", str(ITALIAN), "-o", str(tmp_path / "x.json")]
    )
    assert wrong_suffix.exit_code == 2 and ".jsonl" in wrong_suffix.output
    no_csv = runner.invoke(
        import_command, [str(tmp_path / "no.csv"), "-m", str(ITALIAN), "-o", out]
    )
    assert no_csv.exit_code == 2 and "does not exist" in no_csv.output


# ---- the real logs -------------------------------------------------------------------------


@pytest.mark.skipif(not REAL.is_dir(), reason="the real helpdesk logs are not on this machine")
@pytest.mark.parametrize(
    ("folder", "mapping", "id_column"),
    [
        ("servicenow_uci_incident_event_log/incident_event_log.csv", SERVICENOW, "number"),
        ("helpdesk_italian_software_company/finale.csv", ITALIAN, "Case ID"),
    ],
)
def test_real_logs_first_rows(tmp_path: Path, folder: str, mapping: Path, id_column: str) -> None:
    source = REAL / folder
    rows = 2000
    with source.open(newline="", encoding="utf-8") as handle:
        sample = list(itertools.islice(csv.DictReader(handle), rows))
    ids = {row[id_column] for row in sample}
    out = tmp_path / "real.jsonl"
    report = import_csv(source, mapping, out, max_rows=rows)
    assert report.rows == rows and report.stopped_at_row_limit
    assert report.tickets == len(ids)
    assert sum(report.skipped_rows.values()) <= 5
    _, stream = open_scenario(out)
    tickets = list(stream)
    assert len(tickets) == len(ids) and {t.id for t in tickets} == ids
    assert sum(len(t.events) for t in tickets) == report.event_count > len(ids)
    created = [t.created for t in tickets]
    assert created == sorted(created)
    assert all(e.at >= t.created for t in tickets for e in t.events)
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[1])
    assert first["type"] == "ticket"
    firsts = [next((e for e in t.events if e.kind is EventKind.REPLIED), None) for t in tickets]
    assert sum(f is not None for f in firsts) > len(ids) // 3
