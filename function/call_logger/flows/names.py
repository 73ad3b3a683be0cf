"""The caller's name, learnt through GREEN-API: GetContactInfo within a budget and, for a phone
chat not yet linked, the lid WhatsApp also knows the person by (checkWhatsapp). A failure never
fails the notification: the next call tries again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from call_logger.core.notification import CallNotification
from call_logger.core.write_plan import ChatState, NameLookup, expire_at
from call_logger.flows.shared import GreenApi
from call_logger.stores.base import Store

log = logging.getLogger(__name__)


def look_up(
    green_api: GreenApi | None,
    chat_id: str,
    budget: float,
    chat: ChatState | None,
    clock: Callable[[], datetime],
) -> NameLookup | None:
    """The caller's name; None when it could not be learnt now (the next call tries again).
    With it, a phone chat not yet linked learns its lid (checkWhatsapp): one person whichever
    id WhatsApp gives."""
    if green_api is None:
        return None
    started = time.monotonic()
    try:
        contact = green_api.get_contact_info(chat_id, budget=budget)
    except Exception as error:  # a lookup never fails the notification
        log.warning("GetContactInfo failed: %s", error, extra={"event": "lookup.failed"})
        return None
    lid = None
    left = budget - (time.monotonic() - started)  # both within CONTACT_LOOKUP_BUDGET
    unlinked = chat is None or chat.linked_chat_id is None
    if chat_id.endswith("@c.us") and unlinked and left > 0:
        try:
            lid = green_api.lid_of(chat_id, budget=left)
        except Exception as error:  # the two ids stay unlinked until the next lookup
            log.warning("checkWhatsapp failed: %s", error, extra={"event": "lookup.failed"})
    return NameLookup(contact.name, clock(), lid)


def link_lid(store: Store, call: CallNotification, lid: str, retention: timedelta | None) -> None:
    """Note on the lid's chat that this phone chat is the same person (learnt with the
    caller's name); a failure only leaves the two unlinked until the next lookup."""
    expires = expire_at(call.event_at, retention) if retention else None
    try:
        store.link_person(f"{call.instance_id}_{lid}", call.instance_id, lid, call.chat_id, expires)
    except Exception as error:  # the record stands
        log.warning("could not link the lid: %s", error, extra={"event": "lookup.failed"})
