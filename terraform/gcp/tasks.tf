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

variable "reconcile_concurrency" {
  description = "How many instances' scheduled tasks (reconcile, state check, digest) run at once: the Cloud Tasks queue's max_concurrent_dispatches and the reconcile function's maximum instances."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = floor(var.reconcile_concurrency) == var.reconcile_concurrency && var.reconcile_concurrency >= 1 && var.reconcile_concurrency <= 100
    error_message = "reconcile_concurrency must be a whole number from 1 to 100."
  }
}

locals {
  # The reconcile function's own URL, known before it exists (a Cloud Run function's
  # cloudfunctions.net address), so that it can name itself to the queue without a cycle.
  reconcile_tasks_url = "https://${var.region}-${var.project_id}.cloudfunctions.net/${var.function_name}-reconcile"
  reconcile_tasks_environment = var.reconcile_enabled ? {
    RECONCILE_TASKS_QUEUE           = google_cloud_tasks_queue.reconcile[0].id
    RECONCILE_TASKS_URL             = local.reconcile_tasks_url
    RECONCILE_TASKS_SERVICE_ACCOUNT = google_service_account.tasks[0].email
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

resource "google_service_account" "reconcile" {
  count = local.reconcile_count

  project      = var.project_id
  account_id   = "${substr(var.function_name, 0, 20)}-recon"
  display_name = "${var.function_name} reconcile runtime"
  description  = "Runs the call logger's reconcile function: Firestore, the GREEN-API secret, and its own task queue."

  depends_on = [time_sleep.apis_enabled]
}

resource "google_service_account" "tasks" {
  count = local.reconcile_count

  project      = var.project_id
  account_id   = "${substr(var.function_name, 0, 20)}-tasks"
  display_name = "${var.function_name} reconcile tasks"
  description  = "The identity (OIDC) of the reconcile queue's requests: may invoke the reconcile function only."

  depends_on = [time_sleep.apis_enabled]
}

resource "google_project_iam_member" "reconcile_datastore_user" {
  count = local.reconcile_count

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.reconcile[0].member
}

resource "google_secret_manager_secret_iam_member" "reconcile_green_api_token" {
  count = local.reconcile_count

  project   = var.project_id
  secret_id = google_secret_manager_secret.green_api_token.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.reconcile[0].member
}

# Creating tasks on this queue alone, never project-wide.
resource "google_cloud_tasks_queue_iam_member" "reconcile_enqueuer" {
  count = local.reconcile_count

  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.reconcile[0].name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.reconcile[0].member
}

# A task with an OIDC token of the tasks account needs actAs on that account, and on no other.
resource "google_service_account_iam_member" "reconcile_acts_as_tasks" {
  count = local.reconcile_count

  service_account_id = google_service_account.tasks[0].name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.reconcile[0].member
}

resource "google_cloud_run_service_iam_member" "tasks_invoker" {
  count = local.reconcile_count

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.reconcile[0].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.tasks[0].member
}

# As for the webhook's grants (iam.tf): the reconcile function's first revision waits for them.
resource "time_sleep" "reconcile_grants_propagated" {
  count = local.reconcile_count

  create_duration = "60s"
  triggers = {
    reconcile = google_service_account.reconcile[0].member
  }

  depends_on = [
    google_project_iam_member.reconcile_datastore_user,
    google_secret_manager_secret_iam_member.reconcile_green_api_token,
    google_cloud_tasks_queue_iam_member.reconcile_enqueuer,
    google_service_account_iam_member.reconcile_acts_as_tasks,
  ]
}
