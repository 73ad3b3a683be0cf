# The scheduled work on Cloud Tasks: the scheduler's run (reconcile.tf) only dispatches, one task
# per instance, onto this queue; the queue calls the private reconcile function back with each
# task, at most reconcile_concurrency at once, and retries a failed one alone. A deployment of one
# instance runs its one task in the scheduler's run and never uses the queue (the function runs
# tasks itself when RECONCILE_TASKS_QUEUE is unset; it is set whenever reconcile is on).
#
# Identities, each with only what its job needs:
#   reconcile: what the reconcile function runs as: Firestore, the GREEN-API secret, creating
#              tasks on this queue alone, and giving them the tasks account's OIDC identity;
#   tasks:     what the queue's requests carry: it may invoke the reconcile function, nothing else.

locals {
  # The bounds of reconcile_concurrency (settings.tf) on Google Cloud.
  reconcile_concurrency_range = { min = 1, max = 100 }
  # The reconcile function's own URL, known before it exists (a Cloud Run function's
  # cloudfunctions.net address), so that it can name itself to the queue without a cycle.
  reconcile_tasks_url = "https://${var.region}-${var.project_id}.cloudfunctions.net/${var.function_name}-reconcile"
  reconcile_tasks_environment = var.reconcile_enabled ? {
    RECONCILE_TASKS_QUEUE           = google_cloud_tasks_queue.reconcile[0].id
    RECONCILE_TASKS_URL             = local.reconcile_tasks_url
    RECONCILE_TASKS_SERVICE_ACCOUNT = google_service_account.this["tasks"].email
  } : {}
}

resource "google_cloud_tasks_queue" "reconcile" {
  count = local.reconcile_count

  project  = var.project_id
  name     = "${var.function_name}-reconcile"
  location = var.region

  rate_limits {
    max_dispatches_per_second = 5
    max_concurrent_dispatches = var.reconcile_concurrency
  }

  # A task that fails (500: GREEN-API or storage) is tried again, backing off, within the hour
  # before the next scheduled run dispatches it anew.
  retry_config {
    max_attempts       = 5
    min_backoff        = "30s"
    max_backoff        = "600s"
    max_doublings      = 4
    max_retry_duration = "3600s"
  }

  depends_on = [time_sleep.apis_enabled]
}

# Creating tasks on this queue alone, never project-wide.
resource "google_cloud_tasks_queue_iam_member" "reconcile_enqueuer" {
  count = local.reconcile_count

  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.reconcile[0].name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.this["reconcile"].member
}

# A task with an OIDC token of the tasks account needs actAs on that account, and on no other.
resource "google_service_account_iam_member" "reconcile_acts_as_tasks" {
  count = local.reconcile_count

  service_account_id = google_service_account.this["tasks"].name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.this["reconcile"].member
}
