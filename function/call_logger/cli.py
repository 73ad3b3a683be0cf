"""Operator commands: `python -m call_logger <command>` (installed as `call-logger`).

Adding a command takes one `_<name>_parser(commands)` function that declares its arguments and
sets `run=<function(args, env) -> exit code>`, and one line in _parser().
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from call_logger.config import Config, ConfigError
from call_logger.limits import DEFAULT_RECEIVE_TIMEOUT, RECEIVE_TIMEOUT_RANGE

if TYPE_CHECKING:
    from call_logger.green_api import GreenApiClient
    from call_logger.instances import Instance
    from call_logger.report import Figures

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Command = Callable[[argparse.Namespace, Mapping[str, str]], int]
_Commands = Any  # argparse's _SubParsersAction is private; typed loosely on purpose


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Command = args.run
    return run(args, os.environ)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="call-logger", description="GREEN-API incoming-call logger commands."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _configure_instance_parser(commands)
    _poll_parser(commands)
    _calls_parser(commands)
    _reconcile_parser(commands)
    _status_parser(commands)
    _preflight_parser(commands)
    return parser


# -- configure-instance -----------------------------------------------------------------------

# What the instance needs so that calls reach the webhook (besides its URL and token): incoming
# calls, and outgoing calls for call-back tracking.
REQUIRED_FLAGS = {
    "incomingCallWebhook": "yes",
    "incomingWebhook": "yes",
    "outgoingCallWebhook": "yes",
}
# With CALLBACK_BY_MESSAGE: messages sent from the phone, and through the API.
CALLBACK_MESSAGE_FLAGS = {"outgoingWebhook": "yes", "outgoingMessageWebhook": "yes"}


def required_flags(config: Config) -> dict[str, str]:
    return REQUIRED_FLAGS | (CALLBACK_MESSAGE_FLAGS if config.callback_by_message else {})


def _configure_instance_parser(commands: _Commands) -> None:
    parser = commands.add_parser(
        "configure-instance",
        help="point the GREEN-API instance's webhook at the function (setSettings)",
        description=(
            "Set webhookUrl, webhookUrlToken, incomingCallWebhook, incomingWebhook and "
            "outgoingCallWebhook (and with CALLBACK_BY_MESSAGE, the default, outgoingWebhook and "
            "outgoingMessageWebhook) to yes on the instance named by GREEN_API_URL, "
            "GREEN_API_ID_INSTANCE and GREEN_API_TOKEN, or on instances of GREEN_API_INSTANCES "
            "(--all, or --instance ID). "
            "GREEN-API applies settings within about 5 minutes and restarts the instance."
        ),
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--all",
        action="store_true",
        help="every instance of GREEN_API_INSTANCES, one after another (each reported)",
    )
    which.add_argument(
        "--instance",
        type=int,
        metavar="ID",
        help="only this idInstance of GREEN_API_INSTANCES (e.g. one just added)",
    )
    parser.add_argument("--webhook-url", required=True, help="the deployed function's URL")
    parser.add_argument(
        "--webhook-token",
        help="Bearer token GREEN-API sends (default: $WEBHOOK_TOKEN; the env keeps it out of ps)",
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; compare getSettings with the URL"
    )
    parser.set_defaults(run=configure_instance)


def configure_instance(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    try:
        config = Config.from_env(env)
    except ConfigError as error:
        return _fail("configure-instance", str(error), EXIT_USAGE)
    webhook_url = args.webhook_url.strip()
    missing = _missing_green_api(config) + ([] if webhook_url else ["--webhook-url"])
    if missing:
        return _fail("configure-instance", f"missing {', '.join(missing)}", EXIT_USAGE)
    parts = urlsplit(webhook_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return _fail(
            "configure-instance",
            f"--webhook-url must be an http(s) URL, not {webhook_url!r}",
            EXIT_USAGE,
        )
    try:
        targets = _targets(config, args.all, args.instance)
    except ValueError as error:
        return _fail("configure-instance", str(error), EXIT_USAGE)
    # Each instance its own webhookUrlToken where the map gives one, else the deployment's.
    fallback = args.webhook_token or config.webhook_token
    tokenless = [str(instance.id) for instance in targets if not instance.webhook_token]
    if not args.check and tokenless and not fallback:
        return _fail(
            "configure-instance",
            f"missing WEBHOOK_TOKEN (or --webhook-token, or a webhookUrlToken of instance "
            f"{', '.join(tokenless[:5])}): the function requires it",
            EXIT_USAGE,
        )

    from call_logger.green_api import GreenApiClient, GreenApiError  # requests: only here

    failed = 0
    for instance in targets:
        if len(targets) > 1 or args.all:
            print(f"== instance {instance.name}")
        client = GreenApiClient.for_instance(instance)
        assert client is not None  # only instances with a token are targets
        with client:
            try:
                # The instance's own settings decide what it needs (replies, notices).
                settings = config.for_instance(instance.id)
                if args.check:
                    code = _check_settings(client, settings, webhook_url)
                else:
                    token = instance.webhook_token or fallback
                    code = _set_settings(client, instance, settings, webhook_url, token)
            except GreenApiError as error:  # its message is already token-free
                print(
                    f"configure-instance: instance {instance.name}: GREEN-API call failed: {error}",
                    file=sys.stderr,
                )
                code = EXIT_FAILED
        failed += code != EXIT_OK
    if failed and len(targets) > 1:
        print(f"configure-instance: {failed} of {len(targets)} instances failed", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _targets(config: Config, every: bool, instance_id: int | None) -> list[Instance]:
    """The instances a command acts on: all of them, the one named, or the only one."""
    instances = config.instances.with_token()
    if every:
        return instances
    if instance_id is not None:
        chosen = [instance for instance in instances if instance.id == instance_id]
        if not chosen:
            raise ValueError(f"--instance {instance_id} is not an instance of GREEN_API_INSTANCES")
        return chosen
    if len(instances) > 1:
        raise ValueError(
            f"GREEN_API_INSTANCES names {len(instances)} instances: choose --all or --instance ID"
        )
    return instances


def _set_settings(
    client: GreenApiClient,
    instance: Instance,
    config: Config,
    webhook_url: str,
    webhook_token: str,
) -> int:
    settings = {
        "webhookUrl": webhook_url,
        "webhookUrlToken": webhook_token,
        **required_flags(config),
    }
    answer = client.set_settings(settings)
    if answer.get("saveSettings") is not True:
        print(f"configure-instance: GREEN-API did not save the settings: {answer}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Set on instance {instance.name} ({instance.api_url}):")
    shown = {**settings, "webhookUrlToken": mask(webhook_token)}
    for name, value in shown.items():
        print(f"  {name:<20} {value}")
    print("GREEN-API applies settings within about 5 minutes and restarts the instance.")
    print("Verify later with: python -m call_logger configure-instance --check --webhook-url URL")
    return EXIT_OK


def _check_settings(client: GreenApiClient, config: Config, webhook_url: str) -> int:
    if config.replies_configured or config.operator_chat_id:
        _check_can_send(client)
    actual = client.get_settings()
    expected = {"webhookUrl": webhook_url, **required_flags(config)}
    mismatches = 0
    for name, wanted in expected.items():
        value = actual.get(name)
        verdict = "ok" if value == wanted else "MISMATCH"
        mismatches += verdict != "ok"
        shown = "(not set)" if value is None else repr(value)
        print(f"{name:<20} {verdict:<8} actual: {shown}")
    if mismatches:
        print("configure-instance --check: the instance does not match", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _check_can_send(client: GreenApiClient) -> None:
    """A warning (not a failure: calls are still recorded) when the function is set to send
    messages but the instance cannot send them now."""
    state = client.get_state_instance()
    verdict = "ok" if state == "authorized" else "WARNING"
    print(f"{'stateInstance':<20} {verdict:<8} actual: {state!r}")
    if state != "authorized":
        print(
            f"configure-instance --check: warning: automatic replies or operator notices are "
            f"configured, but the instance is {state!r}, not 'authorized': nothing can be sent "
            "until the phone is linked again (scan the QR code in the GREEN-API console)",
            file=sys.stderr,
        )


def mask(secret: str) -> str:
    """First 2 characters and ***; nothing of a short secret."""
    return f"{secret[:2]}***" if len(secret) >= 8 else "***"


def _missing_green_api(config: Config) -> list[str]:
    """The settings a command that calls GREEN-API lacks ([] when it has an instance with a
    token: GREEN_API_ID_INSTANCE and GREEN_API_TOKEN, or GREEN_API_INSTANCES)."""
    if not config.instances:
        return ["GREEN_API_ID_INSTANCE"] + ([] if config.green_api_token else ["GREEN_API_TOKEN"])
    return [] if config.instances.with_token() else ["GREEN_API_TOKEN"]


# -- poll -------------------------------------------------------------------------------------


def _poll_parser(commands: _Commands) -> None:
    parser = commands.add_parser(
        "poll",
        help="without a public URL: take notifications from the instance queue (webhookUrl empty)",
        description=(
            "Long-poll the instance's notification queue (receiveNotification), record calls "
            "exactly as the webhook does, and delete each notification once it is handled "
            "(deleteNotification). GREEN-API queues notifications for polling only while the "
            "instance's webhookUrl is EMPTY: clear it first (in the console, or setSettings). "
            "Needs GREEN_API_ID_INSTANCE and GREEN_API_TOKEN (GREEN_API_URL: the instance's "
            "apiUrl) and the storage settings the function uses (STORE and its database). "
            "SIGINT or SIGTERM stops it "
            "after the notification in hand."
        ),
    )
    parser.add_argument(
        "--receive-timeout",
        type=_receive_timeout,
        default=DEFAULT_RECEIVE_TIMEOUT,
        metavar="SECONDS",
        help=(
            "how long one receiveNotification waits for a notification, "
            f"{RECEIVE_TIMEOUT_RANGE[0]} to {RECEIVE_TIMEOUT_RANGE[1]} "
            f"(default {DEFAULT_RECEIVE_TIMEOUT})"
        ),
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help=(
            "handle what is queued, then exit 0 (for a scheduled job); exit 1 if storage or "
            "GREEN-API keeps failing (the notification stays queued)"
        ),
    )
    parser.set_defaults(run=poll)


def _receive_timeout(text: str) -> int:
    low, high = RECEIVE_TIMEOUT_RANGE
    try:
        seconds = int(text)
    except ValueError:
        seconds = low - 1
    if not low <= seconds <= high:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds, {low} to {high}")
    return seconds


def poll(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    try:
        config = Config.from_env(env)
    except ConfigError as error:
        return _fail("poll", str(error), EXIT_USAGE)
    missing = _missing_green_api(config)
    if missing:
        return _fail("poll", f"missing {', '.join(missing)}", EXIT_USAGE)
    from call_logger.logs import configure_for

    configure_for(config)  # the function's JSON lines: chat ids masked, tokens redacted

    from call_logger.green_api import ClientPool  # requests: only here
    from call_logger.poller import poll_instances
    from call_logger.service import build_service

    clients = ClientPool(config.instances)
    try:
        service = build_service(config, clients)
    except Exception as error:  # e.g. no credentials or project for the database
        return _fail("poll", f"cannot use the store ({config.store}): {error}", EXIT_FAILED)

    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        logging.getLogger(__name__).info(
            "%s: stopping after the notification in hand", signal.Signals(signum).name
        )
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.closing(clients):
            return poll_instances(
                config.instances.with_token(),
                clients,
                service,
                receive_timeout=args.receive_timeout,
                stop=stop,
                once=args.once,
            )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- calls ------------------------------------------------------------------------------------


def _calls_parser(commands: _Commands) -> None:
    parser = commands.add_parser(
        "calls",
        help="print recent call records, newest first",
        description=(
            "Print the call records the function wrote, newest first, from the store it writes "
            "(STORE: Firestore's collection group `records`, or the DynamoDB table). Reads the "
            "storage settings as the function does (GOOGLE_CLOUD_PROJECT, FIRESTORE_DATABASE, "
            "FIRESTORE_EMULATOR_HOST; DYNAMODB_TABLE). Times are UTC."
        ),
    )
    parser.add_argument(
        "--since",
        default="24h",
        metavar="DURATION",
        help="how far back, e.g. 90m, 24h, 7d (default 24h)",
    )
    parser.add_argument(
        "--chat",
        metavar="CHAT",
        help="only this chat: a chat id (79001234567@c.us) or a phone number (+79001234567)",
    )
    parser.add_argument(
        "--unanswered",
        action="store_true",
        help="only records whose status is neither offer nor pickUp",
    )
    parser.add_argument(
        "--limit", type=_positive, default=100, help="at most this many records (default 100)"
    )
    parser.add_argument(
        "--json", action="store_true", help="a JSON array of the records' fields instead"
    )
    parser.set_defaults(run=calls)
    views = parser.add_subparsers(dest="view", metavar="VIEW")
    _report_parser(views)
    _digest_parser(views)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return number


def calls(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger import recent_calls
    from call_logger.store import Unreachable

    try:
        config = Config.from_env(env)
        query = recent_calls.CallQuery.from_options(
            since=args.since, chat=args.chat, unanswered=args.unanswered, limit=args.limit
        )
    except (ConfigError, ValueError) as error:
        return _fail("calls", str(error), EXIT_USAGE)
    try:
        found = recent_calls.fetch(config, query)
    except Unreachable as error:
        return _fail("calls", f"cannot read the records: {error}", EXIT_FAILED)
    instances = config.instances
    print(
        recent_calls.as_json(found, instances)
        if args.json
        else recent_calls.as_table(found, query, instances)
    )
    return EXIT_OK


def _report_parser(views: _Commands) -> None:
    parser = views.add_parser(
        "report",
        help="how calls went: answered, missed, time to answer, who waits for a call back",
        description=(
            "Figures for the period: calls answered and missed, the time from ringing to "
            "answer, the people still waiting for a call back, calls per day and by hour "
            "(days and hours in TIMEZONE). Printed as text, as one JSON object (--json), or "
            "written as a self-contained HTML page with charts (--html FILE)."
        ),
    )
    parser.add_argument(
        "--since",
        dest="window",
        default="7d",
        metavar="DURATION",
        help="how far back, e.g. 24h, 7d, 30d (default 7d)",
    )
    parser.add_argument("--json", dest="as_json", action="store_true", help="print JSON")
    parser.add_argument("--html", metavar="FILE", help="write the report page to FILE")
    parser.add_argument(
        "--instance",
        type=int,
        metavar="ID",
        help="only this instance's calls, in its own TIMEZONE, titled with its label",
    )
    parser.set_defaults(run=calls_report)


def calls_report(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    import json
    from datetime import UTC, datetime, timedelta

    from call_logger import report_html, reporting
    from call_logger.config import parse_duration
    from call_logger.store import Unreachable, with_store

    try:
        config = Config.from_env(env)
        window = parse_duration(args.window)
        if window <= timedelta(0):
            raise ValueError("must be more than zero")
    except ConfigError as error:
        return _fail("calls report", str(error), EXIT_USAGE)
    except ValueError as error:
        return _fail("calls report", f"--since: {error}", EXIT_USAGE)
    title, settings = "Calls", config
    if args.instance is not None:
        instance = config.instances.get(args.instance)
        if instance is None:
            return _fail(
                "calls report", f"--instance {args.instance} is not configured", EXIT_USAGE
            )
        title, settings = f"Calls: {instance.name}", config.for_instance(instance.id)
    until = datetime.now(UTC)
    try:
        figures = with_store(
            config,
            lambda store: reporting.figures(store, settings, until - window, until, args.instance),
        )
    except Unreachable as error:
        return _fail("calls report", f"cannot read the records: {error}", EXIT_FAILED)
    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8") as page:
                page.write(report_html.render(figures, title))
        except OSError as error:
            return _fail("calls report", f"cannot write {args.html}: {error}", EXIT_FAILED)
    if args.as_json:
        print(json.dumps(figures.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report_summary(figures))
        if args.html:
            print(f"Report page written to {args.html}")
    return EXIT_OK


def report_summary(figures: Figures) -> str:
    """The report's figures as a few lines of text."""
    from call_logger import report_html

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
    waiting = figures.awaiting_callback
    lines.append(f"Waiting for a call back: {len(waiting) or 'nobody'}")
    for person in waiting:
        since = person.oldest_missed_at.astimezone(zone)
        lines.append(
            f"  {person.caller_name or '':<20} {person.phone or person.chat_id:<16} "
            f"{person.missed} missed, since {since:%a %d %b %H:%M}"
        )
    return "\n".join(lines)


def _digest_parser(views: _Commands) -> None:
    parser = views.add_parser(
        "digest",
        help="the daily digest: yesterday's calls and who waits for a call back",
        description=(
            "Print the digest of a day (default: yesterday in TIMEZONE). With --send, also "
            "send it to OPERATOR_CHAT_ID through GREEN-API, at most once per day: the day is "
            "remembered in the store, so a second --send for it sends nothing."
        ),
    )
    parser.add_argument(
        "--date", type=_date, metavar="YYYY-MM-DD", help="the day (default: yesterday)"
    )
    parser.add_argument("--send", action="store_true", help="send it to OPERATOR_CHAT_ID")
    parser.add_argument(
        "--instance",
        type=int,
        metavar="ID",
        help="with GREEN_API_INSTANCES: only this instance's digest (default: each instance's)",
    )
    parser.set_defaults(run=calls_digest)


def _date(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a date such as 2026-11-30") from None


def calls_digest(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger import reporting
    from call_logger.store import Unreachable, with_store

    try:
        config = Config.from_env(env)
    except ConfigError as error:
        return _fail("calls digest", str(error), EXIT_USAGE)
    if len(config.instances) > 1:
        return _digest_per_instance(args, config)
    green_api = None
    if args.send:
        from call_logger.green_api import GreenApiClient

        green_api = GreenApiClient.from_config(config)
        if green_api is None or not config.operator_chat_id:
            return _fail(
                "calls digest",
                "--send needs OPERATOR_CHAT_ID, GREEN_API_ID_INSTANCE and GREEN_API_TOKEN",
                EXIT_USAGE,
            )
    try:
        result = with_store(
            config,
            lambda store: reporting.run_digest(store, config, green_api, args.date, args.send),
        )
    except Unreachable as error:
        return _fail("calls digest", f"cannot read the records: {error}", EXIT_FAILED)
    except Exception as error:  # GREEN-API refused or failed: its message is token-free
        return _fail("calls digest", f"not sent: {error}", EXIT_FAILED)
    print(result.text)
    if result.already_sent:
        print(f"(the digest of {result.day} was sent before; not sent again)", file=sys.stderr)
    return EXIT_OK


def _digest_per_instance(args: argparse.Namespace, config: Config) -> int:
    """Each instance's digest: its own calls, in its own TIMEZONE, sent (--send) through it to
    its own operator chat. One failing instance does not stop the others."""
    from call_logger import reporting
    from call_logger.green_api import GreenApiClient
    from call_logger.store import Unreachable, with_store

    try:
        targets = _targets(config, args.instance is None, args.instance)
    except ValueError as error:
        return _fail("calls digest", str(error), EXIT_USAGE)
    failed = 0
    for instance in targets:
        settings = config.for_instance(instance.id)
        print(f"== instance {instance.name}")
        send = args.send and bool(settings.operator_chat_id)
        if args.send and not send:
            print(f"(instance {instance.name} has no operatorChatId: not sent)", file=sys.stderr)
        client = GreenApiClient.for_instance(instance) if send else None
        digest_of = functools.partial(
            reporting.run_digest,
            config=settings,
            green_api=client,
            day=args.date,
            send=send,
            instance_id=instance.id,
        )
        try:
            result = with_store(config, digest_of)
        except Unreachable as error:
            return _fail("calls digest", f"cannot read the records: {error}", EXIT_FAILED)
        except Exception as error:  # GREEN-API refused or failed: its message is token-free
            print(f"calls digest: instance {instance.name}: not sent: {error}", file=sys.stderr)
            failed += 1
            continue
        finally:
            if client is not None:
                client.close()
        print(result.text)
        if result.already_sent:
            print(f"(the digest of {result.day} was sent before; not sent again)", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


# -- reconcile --------------------------------------------------------------------------------


def _reconcile_parser(commands: _Commands) -> None:
    parser = commands.add_parser(
        "reconcile",
        help="add the calls GREEN-API's call journal knows and the log lacks (lost webhooks)",
        description=(
            "Read the instance's call journal (lastIncomingCalls) and record every final status "
            "the log lacks, exactly as the webhook would have (CALL_MODE, labels, layout), with "
            "source=journal. A call already recorded under the same id, or with the same status "
            "within RECONCILE_MATCH_WINDOW (default 120s) in the same chat, is not added again. "
            "Needs GREEN_API_ID_INSTANCE and GREEN_API_TOKEN (or GREEN_API_INSTANCES: every "
            "instance in turn) and the store settings the function uses. "
            "Exit 0 when done, 1 when GREEN-API or storage failed (a rerun completes it), "
            "2 for usage or missing settings."
        ),
    )
    parser.add_argument(
        "--since",
        default="24h",
        metavar="DURATION",
        help="how far back the journal is read, e.g. 90m, 24h, 30d (default 24h)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="write nothing; report what it would add"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help=(
            "one JSON object: journal, already_recorded, added, skipped, rejected, dry_run "
            "(with several instances, the totals and each one's under `instances`)"
        ),
    )
    parser.add_argument(
        "--lookup-budget",
        default="60s",
        metavar="DURATION",
        help="total time for caller-name lookups, one per second at most (default 60s; 0: none)",
    )
    parser.set_defaults(run=reconcile)


def reconcile(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from datetime import timedelta

    from call_logger.config import parse_duration

    try:
        config = Config.from_env(env)
        since = parse_duration(args.since)
        lookup_budget = parse_duration(args.lookup_budget).total_seconds()
    except (ConfigError, ValueError) as error:
        return _fail("reconcile", str(error), EXIT_USAGE)
    if since <= timedelta(0):
        return _fail("reconcile", "--since must be more than zero", EXIT_USAGE)
    missing = _missing_green_api(config)
    if missing:
        return _fail("reconcile", f"missing {', '.join(missing)}", EXIT_USAGE)
    from call_logger.journal import run_counts, run_error
    from call_logger.logs import configure
    from call_logger.service import run_reconcile

    # The function's JSON lines (the run's reconcile.run line, failed lookups), on stderr: stdout
    # is the result alone.
    configure(config.log_level, config.log_chat_ids, config.secrets, sys.stderr)

    reports = run_reconcile(config, since, dry_run=args.dry_run, lookup_budget=lookup_budget)
    if args.json:
        print(json.dumps(run_counts(reports), sort_keys=True))
    else:
        for report in reports:
            print(f"reconcile: {report.summary()}.")
    failure = run_error(reports) if len(reports) > 1 else reports[0].error
    if failure is not None:
        return _fail("reconcile", f"stopped: {failure}", EXIT_FAILED)
    return EXIT_OK


# -- status -----------------------------------------------------------------------------------


def _status_parser(commands: _Commands) -> None:
    parser = commands.add_parser(
        "status",
        help="print each known instance's state (from stateInstanceChanged) and since when",
        description=(
            "Print the state of each GREEN-API instance that has sent stateInstanceChanged "
            "(Firestore collection `instances`, or the DynamoDB table), when it changed, and "
            "what to do about it. Reads the store settings as the function does. The instance "
            "sends these notifications only with its setting stateWebhook = yes."
        ),
    )
    parser.add_argument(
        "--json", action="store_true", help="a JSON array of the instances' fields instead"
    )
    parser.set_defaults(run=status)


def status(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger import status as instance_status
    from call_logger.store import Unreachable

    try:
        config = Config.from_env(env)
    except ConfigError as error:
        return _fail("status", str(error), EXIT_USAGE)
    try:
        found = instance_status.fetch(config)
    except Unreachable as error:
        return _fail("status", f"cannot read the instance states: {error}", EXIT_FAILED)
    instances = config.instances
    print(
        instance_status.as_json(found, instances)
        if args.json
        else instance_status.as_table(found, instances)
    )
    return EXIT_OK


def _fail(command: str, message: str, code: int) -> int:
    print(f"{command}: {message}", file=sys.stderr)
    return code


# -- preflight --------------------------------------------------------------------------------


def _preflight_parser(commands: _Commands) -> None:
    parser = commands.add_parser(
        "preflight",
        help="before terraform apply on Google Cloud: enable the APIs and check the project",
        description=(
            "Run by `make deploy` after `terraform init`. Reads the project, the Firestore "
            "database and the APIs from the stack (terraform console), then, when gcloud is "
            "installed and logged in: checks that billing is enabled, enables the APIs (they take "
            "a while to become usable), checks that an existing Firestore database can be "
            "adopted and that the organisation policy admits the public invoker. Prints one line "
            "per finding; exits 1 if the apply would fail. Writes the variables the apply needs "
            "(firestore_database_exists) to --tfvars-out."
        ),
    )
    parser.add_argument("--stack", required=True, help="the terraform/gcp directory")
    parser.add_argument(
        "--tfvars-out", required=True, metavar="PATH", help="JSON variables file for the apply"
    )
    parser.add_argument("--terraform", default="terraform", help="terraform executable")
    parser.add_argument("--gcloud", default="gcloud", help="gcloud executable")
    parser.add_argument(
        "--skip-preflight",
        action="store_true",
        help="check and enable nothing (the apply then cannot adopt an existing database)",
    )
    parser.set_defaults(run=preflight)


def preflight(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger import preflight as decide
    from call_logger.cloud_cli import Gcloud, deploy_facts_output

    apply_vars: dict[str, bool] = {}

    def finish(findings: list[decide.Finding], exists: bool | None = None) -> int:
        for finding in findings:
            print(f"preflight: {finding}")
        if exists is not None:
            apply_vars["firestore_database_exists"] = exists
        out = Path(args.tfvars_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(apply_vars) + "\n")
        problems = sum(f.blocking for f in findings)
        if problems:
            message = (
                f"{problems} problem(s) above would fail the apply: fix them and rerun "
                "(--skip-preflight deploys without these checks)"
            )
            return _fail("preflight", message, EXIT_FAILED)
        return EXIT_OK

    def note(text: str) -> decide.Finding:
        return decide.Finding(text, blocking=False)

    if args.skip_preflight:
        return finish([note("skipped (--skip-preflight): nothing checked, no APIs enabled")])
    output = deploy_facts_output(args.terraform, args.stack)
    if isinstance(output, decide.Failed):
        return _fail("preflight", f"terraform console failed:\n{output.message}", EXIT_FAILED)
    try:
        facts = decide.parse_deploy_facts(output)
    except ValueError as error:
        return _fail("preflight", str(error), EXIT_FAILED)
    gcloud = shutil.which(args.gcloud)
    if gcloud is None:
        return finish(
            [note("gcloud not found: project not checked and APIs left to Terraform (slower)")]
        )
    cloud = Gcloud(gcloud)
    if decide.gcloud_account(cloud.active_accounts()) is None:
        return finish([note("gcloud is not logged in (gcloud auth login): project not checked")])
    findings = decide.billing_findings(facts.project_id, cloud.billing(facts.project_id))
    if any(f.blocking for f in findings):
        return finish(findings)  # without billing, enabling the APIs fails too
    print(f"preflight: enabling {len(facts.apis)} APIs on {facts.project_id}", flush=True)
    findings += decide.enable_findings(facts, cloud.enable(facts))
    if any(f.blocking for f in findings):
        return finish(findings)
    database = decide.existing_database(cloud.firestore_database(facts))
    findings += decide.firestore_findings(facts, database)
    findings += decide.org_policy_findings(facts.project_id, cloud.domain_policy(facts.project_id))
    return finish(findings, decide.firestore_database_exists(database))
