"""A refused and an accepted value of each validated setting both stacks declare alike
(terraform/shared/*.tf, linked into each), written once for the tests of both:
tests/iac/test_terraform_gcp_validation.py (tfparse's evaluated conditions) and
tests/integration/test_terraform_aws_inputs.py (terraform plan's errors). Each adds its own
stack's variables. Values are HCL expressions, as a .tfvars file holds them; the accepted ones
are read together with the GCP example (terraform/gcp/terraform.tfvars.example)."""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    bad: str
    good: str
    # Words of the error message that refuses `bad`.
    refusal: str


SHARED_SETTINGS: dict[str, Case] = {
    "green_api_id_instance": Case("1.5", "7103000000", "at most 19 digits"),
    "green_api_url": Case(
        '"http://api.green-api.com"',
        '"https://7103.api.greenapi.com"',
        "must be an https:// URL",
    ),
    "green_api_token": Case(
        '"short"', '"0123456789abcdef0123456789abcdef"', "at least 8 characters"
    ),
    # With one instance's id and token set (as in the examples), a non-empty map is refused
    # ("not both") as well; the accepted value is the empty map.
    "green_api_instances": Case(
        '{ "shop" = { apiUrl = "https://api.green-api.com", apiTokenInstance = "0123456789" } }',
        "{}",
        "keyed by idInstance",
    ),
    "webhook_token": Case(
        '"short-token-0123456789"',
        '"an-adequately-long-webhook-token-0123"',
        "at least 24 characters",
    ),
    "call_mode": Case('"everything"', '"offer"', "all, results, offer, ignore"),
    "call_labels": Case(
        '{ rejected = "Rejected" }', '{ answered = "Answered" }', "keys must be among incoming"
    ),
    "record_retention_days": Case("0", "30", "null or a whole number of days from 1 to 36500"),
    "contact_cache_ttl": Case('"1 week"', '"15m"', "contact_cache_ttl must be a duration"),
    "operator_chat_id": Case(
        '"120363000000000000@g.us"', '"79001234567@c.us"', "never sent to a group"
    ),
    "operator_notify_on": Case(
        '["offer", "rang"]',
        '["offer", "missed", "hangUp"]',
        "operator_notify_on must list statuses",
    ),
    "missed_call_reply": Case(
        '"Hi {first_name}"',
        '"Sorry we missed your call, {name}."',
        "missed_call_reply may use only {name}, {phone}",
    ),
    "missed_call_reply_after_hours": Case(
        '"We open at {opening}"',
        '"We open at 9, {name}."',
        "missed_call_reply_after_hours may use only {name}",
    ),
    "missed_call_reply_on": Case(
        "[]", '["missed", "declined"]', "missed_call_reply_on must list statuses"
    ),
    "missed_call_reply_cooldown": Case('"half a day"', '"12h"', "such as 90s, 15m, 12h or 7d"),
    "missed_call_reply_max_age": Case('"0m"', '"15m"', "a duration above zero"),
    "missed_call_reply_max_per_hour": Case(
        "0", "30", "missed_call_reply_max_per_hour must be null or a whole number"
    ),
    "operator_notify_max_per_hour": Case(
        "1.5", "60", "operator_notify_max_per_hour must be null or a whole number"
    ),
    "business_hours": Case(
        '"9-18"',
        '"mon-fri 09:00-18:00, Sat 10:00-14:00"',
        "mon-fri 09:00-18:00, sat 10:00-14:00",
    ),
    "timezone": Case('"Berlin"', '"America/Argentina/Buenos_Aires"', "an IANA time zone name"),
    # A time is accepted with somewhere to send it (each test has its own case of that rule).
    "digest_time": Case('"9am"', '""', "a time of day such as 09:00"),
    "callback_target": Case('"0m"', '"30m"', "callback_target must be a duration above zero"),
    "webhook_backlog_alert": Case("2.5", "250", "whole number of notifications, 0 or more"),
    "reconcile_window": Case('"3 hours"', '"90m"', "reconcile_window must be a duration"),
    "events_url": Case(
        '"http://crm.example/hooks"',
        '"https://crm.example/hooks"',
        "events_url must be empty or an https:// URL",
    ),
    "events_secret": Case(
        '"plain-secret"', '"whsec_' + "a" * 44 + '"', "whsec_ followed by the base64"
    ),
    "environment_variables": Case(
        '{ CALL_MODE = "offer" }',
        '{ STORE_TIMEOUT = "5s" }',
        "must not set a setting the stack manages",
    ),
    "log_level": Case('"LOUD"', '"DEBUG"', "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    "log_chat_ids": Case('"some"', '"full"', "log_chat_ids must be masked or full"),
    "alert_email": Case('"nobody"', '"oncall@example.com"', "null or an email address"),
}
