"""`calls report`: how calls went, as text, JSON or an HTML page."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from call_logger.cli._common import (
    Exit,
    add_duration,
    add_instance,
    add_json,
    duration_option,
    fail,
    load_config,
    named_instance,
    read_store,
)

if TYPE_CHECKING:
    from call_logger.core.report import Figures


NAME = "report"
HELP = "how calls went: answered, missed, time to answer, who waits for a call back"
DESCRIPTION = (
    "Figures for the period: calls answered and missed, the time from ringing to "
    "answer, the people still waiting for a call back, how fast they are called back "
    "(CALLBACK_TARGET), calls per day, week or month (the span picks) and by hour (in "
    "TIMEZONE). Printed as text, as one JSON object (--json), or written as a "
    "self-contained HTML page with charts (--html FILE)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_duration(parser, "--since", "7d", "how far back, e.g. 24h, 7d, 30d", dest="window")
    add_json(parser, "print JSON", dest="as_json")
    parser.add_argument("--html", metavar="FILE", help="write the report page to FILE")
    add_instance(parser, "only this instance's calls, in its own TIMEZONE, titled with its label")


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    import json
    from datetime import UTC, datetime

    from call_logger.core import report_html
    from call_logger.flows import reporting
    from call_logger.stores.factory import with_store

    config = load_config("calls report", env)
    window = duration_option("calls report", "--since", args.window, positive=True)
    title, settings = "Calls", config
    instance = named_instance("calls report", config, args.instance)
    if instance is not None:
        title, settings = f"Calls: {instance.name}", config.for_instance(instance.id)
    until = datetime.now(UTC)
    figures = read_store(
        "calls report",
        lambda: with_store(
            config,
            lambda store: reporting.figures(store, settings, until - window, until, args.instance),
        ),
    )
    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8") as page:
                page.write(report_html.render(figures, title))
        except OSError as error:
            return fail("calls report", f"cannot write {args.html}: {error}", Exit.FAILED)
    if args.as_json:
        print(json.dumps(figures.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report_summary(figures))
        if args.html:
            print(f"Report page written to {args.html}")
    return Exit.OK


def report_summary(figures: Figures) -> str:
    """The report's figures as a few lines of text."""
    from call_logger.core import dates, report_html, report_text

    zone = figures.timezone
    lines = [f"Calls from {report_html.period(figures)}"]
    if figures.total:
        lines.append(
            f"Calls: {figures.total}, answered {figures.answered}, missed {figures.missed} "
            f"({figures.missed_rate:.0%})"
        )
    else:
        lines.append("Calls: none")
    if figures.answer_seconds_median is not None:
        lines.append(
            f"Time to answer: typically {figures.answer_seconds_median:g} s, "
            f"9 in 10 within {figures.answer_seconds_p90:g} s"
        )
    lines.extend(report_text.callback_lines(figures))
    waiting = figures.awaiting_callback
    lines.append(f"Waiting for a call back: {len(waiting) or 'nobody'}")
    this_year = figures.until.astimezone(zone).year
    for person in waiting:
        since = dates.moment(person.oldest_missed_at, zone, this_year)
        lines.append(
            f"  {person.caller_name or '':<20} {person.phone or person.chat_id:<16} "
            f"{person.missed} missed, since {since}"
        )
    return "\n".join(lines)
