"""One caller, one person, whichever id WhatsApp gives: a lid's chat linked to a phone chat (the
phone chat's `lid`, the lid chat's `person`, learnt from GREEN-API's checkWhatsapp) counts as
that phone chat in the report, the call-back SLA and the digest. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from call_logger.core.record_view import Chats, Fields, chat_key
from call_logger.core.write_plan import CALLBACK_TIMES


def person_keys(chats: Chats) -> dict[str, str]:
    """Chat key -> the key of the phone chat it counts under, where a link is known. Chats
    without a link are left out: each is its own person."""
    found: dict[str, str] = {}
    for key, summary in chats.items():
        instance = summary.get("instanceId")
        person, lid = summary.get("person"), summary.get("lid")
        if isinstance(person, str) and person:
            found[key] = f"{instance}_{person}"
        if isinstance(lid, str) and lid:
            found[f"{instance}_{lid}"] = key
    return found


def as_people(records: Iterable[Fields], chats: Chats) -> tuple[list[Fields], dict[str, Fields]]:
    """The records and chat summaries with each linked lid's chat folded into its phone chat:
    its records under the phone's chatId, the summaries' call-back times the latest of both,
    the name the phone chat's (else the lid's)."""
    people = person_keys(chats)
    if not people:
        return list(records), dict(chats)
    folded: list[Mapping[str, Any]] = []
    for fields in records:
        person = people.get(chat_key(fields))
        folded.append(fields if person is None else {**fields, "chatId": _chat_id(person)})
    merged: dict[str, Mapping[str, Any]] = {}
    for key, summary in chats.items():
        person = people.get(key, key)
        merged[person] = _merge(merged.get(person, {}), summary, primary=person == key)
    return folded, merged


def _merge(into: Mapping[str, Any], summary: Mapping[str, Any], *, primary: bool) -> dict[str, Any]:
    first, second = (summary, into) if primary else (into, summary)
    result = {**second, **first}
    for name in CALLBACK_TIMES:  # the latest of a person's
        times = [at for at in (into.get(name), summary.get(name)) if isinstance(at, datetime)]
        if times:
            result[name] = max(times)
    result["callerName"] = first.get("callerName") or second.get("callerName")
    return result


def _chat_id(key: str) -> str:
    return key.partition("_")[2]
