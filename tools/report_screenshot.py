"""A small shop's calls made from the GREEN-API samples, and the report page of them.

`make report-screenshot` writes docs/report.html and docs/report.png (a week) and
docs/report-quarter.html and docs/report-quarter.png (a quarter, drawn in weeks) from it:
python -m tools.report_screenshot docs/report.png [--days 91]
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from call_logger.core import report, report_html
from call_logger.settings.limits import canonical_status

from tools.browser import screenshot

# GREEN-API's sample notifications, as the tests use them.
SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "samples"

ZONE = ZoneInfo("Europe/Moscow")
UNTIL = datetime(2026, 11, 30, 18, 0, tzinfo=ZONE)
CALLERS = {
    "79001234567@c.us": "Ivan Petrov",
    "79005550000@c.us": "Olga Smirnova",
    "79161112233@c.us": "Anna Kuznetsova",
    "79267654321@c.us": None,
    "79035558811@c.us": "Sergey (courier)",
    "79998887766@c.us": "Marina",
    "123456789012345@lid": None,
}
FINALS = ("incoming-call-pickup", "incoming-call-missed", "incoming-call-declined")


def sample(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    return value


def records(
    seed: int = 15, days: int = 7
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Records and chat summaries as the stores return them for `days` days before UNTIL: about
    8 calls a day in shop hours, a quarter missed, most called back, two people still waiting."""
    rng = random.Random(seed)
    offer = sample("incoming-call-offer")
    found: list[dict[str, Any]] = []
    chats: dict[str, dict[str, Any]] = {}
    instance = offer["instanceData"]["idInstance"]
    for day in range(days, 0, -1):
        for _ in range(rng.randint(5, 12)):
            chat_id = rng.choice(list(CALLERS))
            start = UNTIL - timedelta(days=day, hours=rng.uniform(-1.5, 8))
            final = sample(rng.choices(FINALS, weights=(6, 1, 1))[0])
            call_id = f"{rng.getrandbits(128):032X}"
            rang = start.astimezone(UTC)
            ended = rang + timedelta(seconds=rng.choice((4, 6, 8, 11, 15, 22, 40)))
            for body, at in ((offer, rang), (final, ended)):
                status = canonical_status(body["status"])
                found.append(_record(instance, chat_id, call_id, status, at))
            if status != "pickUp" and rng.random() < 0.8:  # called back, mostly within the hour
                back = ended + timedelta(minutes=rng.choice((5, 12, 20, 35, 50, 75, 140)))
                outgoing = sample("outgoing-call")
                found.append(
                    _record(instance, chat_id, outgoing["idMessage"] + call_id[:8], "pickUp", back)
                    | {"direction": "outgoing"}
                )
    # Today: two callers who nobody has called back yet.
    for chat_id, hours_ago in (("79267654321@c.us", 3.2), ("79001234567@c.us", 1.1)):
        at = (UNTIL - timedelta(hours=hours_ago)).astimezone(UTC)
        found.append(_record(instance, chat_id, f"{rng.getrandbits(128):032X}", "missed", at))
    for chat_id, name in CALLERS.items():
        chats[f"{instance}_{chat_id}"] = {"callerName": name}
    return found, chats


def _record(instance: int, chat_id: str, call_id: str, status: str, at: datetime) -> dict[str, Any]:
    return {
        "instanceId": instance,
        "chatId": chat_id,
        "callId": call_id,
        "status": status,
        "callerName": CALLERS[chat_id],
        "eventAt": at,
    }


def figures(days: int = 7) -> report.Figures:
    found, chats = records(days=days)
    until = UNTIL.astimezone(UTC)
    return report.compute(found, chats, until - timedelta(days=days), until, ZONE)


TITLES = {7: "Calls this week", 91: "Calls this quarter"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--days", type=int, default=7, help="the span (default 7)")
    parser.add_argument("--height", type=int, default=1250, help="CSS pixels (default 1250)")
    args = parser.parse_args()
    page = args.png.with_suffix(".html")
    title = TITLES.get(args.days, f"Calls in {args.days} days")
    page.write_text(report_html.render(figures(args.days), title=title), encoding="utf-8")
    screenshot(page, args.png, height=args.height)
    print(f"wrote {page} and {args.png}")


if __name__ == "__main__":
    main()
