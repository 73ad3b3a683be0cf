# Alerts by email, on when var.alert_email is set. GREEN-API resends a notification for 24 hours
# and then drops it, so each alert fires within minutes and says what broke and what to do.
#
# The function writes one JSON line per notification (see docs/operations.md, "Logs"); Cloud Logging
# keeps its keys under jsonPayload. Conditions without a platform metric count matching lines
# with a log-based metric:
#   (a) webhook_5xx      Cloud Run's own request_count with response class 5xx, for 5 minutes
#   (b) instance_state   jsonPayload.event = "instance.state" at severity ERROR
#   (c) rejected         jsonPayload.outcome = "rejected" (kept in `rejected`, never recorded)
#   (d) missing_calls    jsonPayload.event = "reconcile.missing_calls" (reconcile added calls
#                        the webhook never received); matched wherever reconcile runs

locals {
  alerts = var.alert_email != null
  # The function's own lines: its Cloud Run service, and our loggers only.
  function_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.function_name}\"",
    "jsonPayload.logger=~\"^call_logger\"",
  ])

  log_metrics = {
    instance-state-error = {
      description = "Lines saying the GREEN-API instance needs a person (stateInstanceChanged other than authorized)."
      filter      = "${local.function_log_filter} AND jsonPayload.event=\"instance.state\" AND severity=ERROR"
    }
    rejected = {
      description = "Notifications kept in `rejected`: they can never become records."
      filter      = "${local.function_log_filter} AND jsonPayload.outcome=\"rejected\""
    }
    # Both functions' services (the webhook's and reconcile's): reconcile runs in its own.
    missing-calls = {
      description = "Reconcile runs that found calls the webhook never recorded."
      filter      = "resource.type=\"cloud_run_revision\" AND jsonPayload.logger=~\"^call_logger\" AND jsonPayload.event=\"reconcile.missing_calls\""
    }
  }

  # (a) The webhook answers 5xx (storage unavailable, or a failure) for 5 minutes in a row:
  # GREEN-API keeps resending and the instance's queue waits behind the failing notification.
  # (b) to (d): any line counted by their log-based metric within a minute opens an incident.
  alert_policies = merge(
    {
      webhook-5xx = {
        name     = "webhook answering 5xx"
        severity = "CRITICAL"
        filter   = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${var.function_name}\" AND metric.type=\"run.googleapis.com/request_count\" AND metric.labels.response_code_class=\"5xx\""
        duration = "300s"
        content  = <<-EOT
          The webhook has answered 5xx for 5 minutes. GREEN-API resends every minute and drops a
          notification after 24 hours; calls behind it in the instance's queue wait meanwhile.
          Look at the function's logs: `storage.unavailable` lines mean Firestore cannot be reached
          (check the database, its location, and the runtime service account's roles/datastore.user);
          `notification.failed` lines carry the traceback in `exception`. Nothing is lost while it
          lasts: once the cause is fixed, the resends are recorded.
        EOT
      }
    },
    {
      for key, alert in local.log_alerts : key => merge(alert, {
        # A log-based metric's series belong to the resource of the lines it counts (the
        # functions' Cloud Run revisions); a policy filter names its resource.type.
        filter   = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${var.function_name}-${key}\""
        duration = "0s"
      })
    },
  )

  log_alerts = {
    instance-state-error = {
      name     = "GREEN-API instance needs a person"
      severity = "CRITICAL"
      content  = <<-EOT
        The GREEN-API instance reported a state other than `authorized` (the log line's `state` and
        `message` say which). While it lasts no calls are recorded.
        - `notAuthorized`: WhatsApp logged the instance out. Open the GREEN-API console and scan the QR code.
        - `blocked`: WhatsApp banned the number. Contact GREEN-API support.
        - `yellowCard`: messages are temporarily not sent, a warning before a ban. Slow down outgoing messages.
        - `sleepMode` / `starting`: check the phone's connection, then wait a few minutes.
        Check the current state with `python -m call_logger status`. The incident closes by itself;
        an `instance.state` line at INFO shows the return to `authorized`.
      EOT
    }
    rejected = {
      name     = "Notification kept in rejected"
      severity = "WARNING"
      content  = <<-EOT
        A notification could never become a record and was kept in the Firestore collection
        `rejected` (with the reason). GREEN-API got 200, so nothing is resent. Find the log line
        (jsonPayload.outcome="rejected"; its `reason` says why), read the document, and fix the
        cause (often a GREEN-API format change); the body is kept for replay.
      EOT
    }
    missing-calls = {
      name     = "Reconcile found calls the webhook missed"
      severity = "WARNING"
      content  = <<-EOT
        The reconcile run compared GREEN-API's call journal with the records and added calls the
        webhook never recorded. They are recorded now; find out why they were missed: look for
        `storage.unavailable` lines and webhook 5xx around the calls' times, and check the
        instance's webhookUrl with `python -m call_logger configure-instance --check`.
      EOT
    }
  }
}

resource "google_monitoring_notification_channel" "email" {
  count = local.alerts ? 1 : 0

  project      = var.project_id
  display_name = "${var.function_name} alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }

  depends_on = [time_sleep.apis_enabled]
}

resource "google_logging_metric" "this" {
  for_each = local.alerts ? local.log_metrics : {}

  project     = var.project_id
  name        = "${var.function_name}-${each.key}"
  description = each.value.description
  filter      = each.value.filter

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.function_name} ${each.key}"
  }

  depends_on = [time_sleep.apis_enabled]
}

# A new log-based metric is not yet known to Cloud Monitoring: a policy on it fails with "Cannot
# find metric(s) ... it could take up to 10 minutes to become available" (hashicorp/terraform-
# provider-google#11102, open). The policies wait those 10 minutes after the metrics are created,
# once: again only when the set of metrics changes. The functions build meanwhile.
resource "time_sleep" "log_metrics_known" {
  count = local.alerts ? 1 : 0

  create_duration = "600s"
  triggers = {
    metrics = join(",", sort([for metric in google_logging_metric.this : metric.name]))
  }

  depends_on = [google_logging_metric.this]
}

# One policy per condition: (a) on Cloud Run's request_count for 5 minutes, (b) to (d) on any
# matching log line within a minute.
resource "google_monitoring_alert_policy" "this" {
  for_each = local.alerts ? local.alert_policies : {}

  project               = var.project_id
  display_name          = "${var.function_name}: ${each.value.name}"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = [google_monitoring_notification_channel.email[0].id]

  conditions {
    display_name = each.value.name
    condition_threshold {
      filter          = each.value.filter
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = each.value.duration
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = each.value.content
  }

  alert_strategy {
    auto_close = "1800s"
  }

  # A log-based metric must exist, and be known to Cloud Monitoring, before a policy refers to it.
  depends_on = [google_logging_metric.this, time_sleep.log_metrics_known]
}
