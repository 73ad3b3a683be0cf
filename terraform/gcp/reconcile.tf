# Reconcile: every `reconcile_schedule`, Cloud Scheduler asks a second function, built from the same
# source bundle (entry point reconcile_calls), to add the calls GREEN-API's call journal knows and
# the log lacks (lost webhooks): its run dispatches one task per instance onto Cloud Tasks
# (tasks.tf), which calls it back with each. That function is private: only the scheduler's and the
# tasks' service accounts, with an OIDC token, may invoke it. `reconcile_enabled = false` removes all of it.

locals {
  reconcile_count = var.reconcile_enabled ? 1 : 0
  # A run reads the journal, checks up to 10,000 calls and spends at most 60 s on caller names.
  reconcile_timeout_seconds = 300

  # The function (function.tf). Cloud Scheduler is outside any VPC, so ingress stays ALLOW_ALL;
  # only the scheduler's and the tasks' accounts may invoke it (IAM). One task (an instance) per
  # function instance, as many at once as the queue dispatches (tasks.tf).
  reconcile_function = {
    name               = "${var.function_name}-reconcile"
    description        = "Adds the calls GREEN-API's call journal knows and the log lacks (Cloud Scheduler)."
    entry_point        = "reconcile_calls"
    account            = "reconcile"
    ingress_settings   = "ALLOW_ALL"
    timeout_seconds    = local.reconcile_timeout_seconds
    max_instance_count = var.reconcile_concurrency
    secrets            = {}
  }
}

# Who may invoke the function: the scheduler's runs and the queue's tasks (tasks.tf), each with an
# OIDC token of its own account.
resource "google_cloud_run_service_iam_member" "reconcile_invoker" {
  for_each = var.reconcile_enabled ? toset(["scheduler", "tasks"]) : toset([])

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this["reconcile"].service_config[0].service
  role     = "roles/run.invoker"
  member   = local.service_account_members[each.key]
}

resource "google_cloud_scheduler_job" "reconcile" {
  count = local.reconcile_count

  project          = var.project_id
  region           = var.region
  name             = "${var.function_name}-reconcile"
  description      = "Runs the call logger's reconcile over the last ${var.reconcile_window}."
  schedule         = var.reconcile_schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "${local.reconcile_timeout_seconds + 20}s"

  # A failed run (500) is tried again once; the next scheduled run overlaps it anyway.
  retry_config {
    retry_count          = 1
    min_backoff_duration = "60s"
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.this["reconcile"].service_config[0].uri
    body        = base64encode(jsonencode(local.reconcile_event))
    headers     = { "Content-Type" = "application/json" }

    oidc_token {
      service_account_email = google_service_account.this["scheduler"].email
      audience              = google_cloudfunctions2_function.this["reconcile"].service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_service_iam_member.reconcile_invoker]
}
