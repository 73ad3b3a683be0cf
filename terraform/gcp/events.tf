# Events (docs/events.md): each event is a document outbox/{eventId} written in the same commit as
# the record it tells of. A Firestore document-created trigger (Eventarc) brings each new one to a
# third, private function from the same source (entry point deliver_event), which POSTs it, signed,
# to the instance's EVENTS_URL and deletes it once taken. An event not taken makes the function
# fail, and Eventarc's retry policy tries again with exponential backoff for 24 hours; then the
# function itself marks the document failed on its last attempt. The dead-letter place is that
# collection: the documents stay (state "failed", or a first attempt a day old), shown in the
# console and by `python -m call_logger events list --failed`, and each give-up is an ERROR line
# (alerted with alert_email). All of it exists only with events on (events_url, or an eventsUrl in
# green_api_instances).

locals {
  events_name = "${var.function_name}-events"
  # One attempt takes at most 10 s (event_delivery.ATTEMPT_TIMEOUT); a function run delivers one.
  events_timeout_seconds = 60

  # The function (function.tf), triggered by the outbox (its event_trigger there); Eventarc alone
  # reaches it. The signing key: this function alone has it.
  events_function = {
    name               = local.events_name
    description        = "Delivers the call logger's events, signed, to EVENTS_URL (Firestore outbox trigger)."
    entry_point        = "deliver_event"
    account            = "events"
    ingress_settings   = "ALLOW_INTERNAL_ONLY"
    timeout_seconds    = local.events_timeout_seconds
    max_instance_count = 10
    secrets            = { EVENTS_SECRET = "events_secret" }
  }
}

resource "google_project_service" "eventarc" {
  count = local.events_count

  project            = var.project_id
  service            = "eventarc.googleapis.com"
  disable_on_destroy = false
}

# The trigger invokes the private function as the delivery's account.
resource "google_cloud_run_service_iam_member" "events_invoker" {
  count = local.events_count

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this["events"].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.this["events"].member
}

# Every event given up (a day of retries, a 410 Gone) is an ERROR line of the delivery: with
# alert_email, alerts.tf counts them and mails (its log_metrics and log_alerts take these).
locals {
  events_log_metrics = local.events_on ? {
    events-given-up = {
      description = "Events the delivery gave up on."
      filter      = "jsonPayload.logger=~\"^call_logger\" AND jsonPayload.event=\"event.delivery\" AND severity=ERROR"
    }
  } : {}
  events_log_alerts = local.events_on ? {
    events-given-up = {
      name     = "Events given up"
      severity = "WARNING"
      content  = <<-EOT
        The delivery gave up on events: a day of retries, or a receiver that answered 410 Gone (the
        log line's message says which). They are kept in the Firestore collection `outbox`;
        `python -m call_logger events list --failed` lists them. Fix the receiver or its EVENTS_URL.
      EOT
    }
  } : {}
}

output "events_function_name" {
  description = "The function that delivers events (empty without events)."
  value       = local.events_on ? google_cloudfunctions2_function.this["events"].name : ""
}
