# The functions: 2nd-gen Cloud Functions (Cloud Run services built by Cloud Build from the zip):
# the public webhook, and the private ones below.

locals {
  # The settings (settings.tf), and where the records are. Secrets are never in this map.
  function_env = merge(local.settings_environment, {
    GOOGLE_CLOUD_PROJECT = var.project_id
    FIRESTORE_DATABASE   = google_firestore_database.this.name
  })
}

resource "google_cloudfunctions2_function" "webhook" {
  #checkov:skip=CKV_GCP_124:GREEN-API posts from the internet; ingress must be ALLOW_ALL and the function checks WEBHOOK_TOKEN.
  project     = var.project_id
  name        = var.function_name
  location    = var.region
  description = "Logs GREEN-API incomingCall notifications into Firestore."
  labels      = var.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "handle_webhook"
    service_account = google_service_account.this["build"].id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
        # The object's generation: without it the provider may keep building the previous upload.
        generation = google_storage_bucket_object.source.generation
      }
    }
  }

  service_config {
    available_memory                 = var.memory
    available_cpu                    = var.cpu
    timeout_seconds                  = var.timeout_seconds
    min_instance_count               = var.min_instance_count
    max_instance_count               = var.max_instance_count
    max_instance_request_concurrency = var.max_instance_request_concurrency
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.this["runtime"].email

    environment_variables = local.function_env

    # WEBHOOK_TOKEN is pinned to the version Terraform wrote (a new value means a new revision).
    secret_environment_variables {
      key        = "WEBHOOK_TOKEN"
      project_id = var.project_id
      secret     = google_secret_manager_secret.this["webhook_token"].secret_id
      version    = google_secret_manager_secret_version.this["webhook_token"].version
    }

    # The GREEN-API secret (the token, or the instance map) is read as its latest version at each
    # cold start: an instance added, or a token rotated, with a new secret version (gcloud secrets
    # versions add) is used from the next cold start, without a redeploy.
    secret_environment_variables {
      key        = local.green_api_secret.key
      project_id = var.project_id
      secret     = google_secret_manager_secret.this["green_api_token"].secret_id
      version    = "latest"
    }
  }

  # The runtime account must be able to read its secrets and Firestore before the first revision
  # starts, and the build account must be able to build: wait until those grants have propagated
  # (iam.tf), which comes after the APIs are usable. The GREEN-API secret is read as "latest",
  # which must exist before the first revision starts.
  depends_on = [
    time_sleep.grants_propagated,
    google_secret_manager_secret_version.this,
  ]
}

# The private functions, from the same source: reconcile (reconcile.tf) and the events' delivery
# (events.tf), each only with those on. Each entry says what differs; they share the rest with the
# webhook above, and read the GREEN-API secret as it does.
locals {
  private_functions = merge(
    var.reconcile_enabled ? { reconcile = local.reconcile_function } : {},
    local.events_on ? { events = local.events_function } : {},
  )

  # Each one's plain environment: the webhook's, and for reconcile its task queue (tasks.tf).
  private_function_env = {
    reconcile = merge(local.function_env, local.reconcile_tasks_environment)
    events    = local.function_env
  }
}

resource "google_cloudfunctions2_function" "private" {
  #checkov:skip=CKV_GCP_124:Reconcile's caller, Cloud Scheduler, is outside any VPC, so its ingress stays ALLOW_ALL and IAM lets only its accounts invoke it; the events' delivery is internal-only.
  for_each = local.private_functions

  project     = var.project_id
  name        = each.value.name
  location    = var.region
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime         = var.runtime
    entry_point     = each.value.entry_point
    service_account = google_service_account.this["build"].id

    source {
      storage_source {
        bucket     = google_storage_bucket.source.name
        object     = google_storage_bucket_object.source.name
        generation = google_storage_bucket_object.source.generation
      }
    }
  }

  # One block, written as `dynamic` so that tfparse (tests/iac) expands the secret blocks in it: it
  # leaves a `dynamic` block inside a plain one unexpanded.
  dynamic "service_config" {
    for_each = [each.value]

    content {
      available_memory                 = var.memory
      timeout_seconds                  = service_config.value.timeout_seconds
      min_instance_count               = 0
      max_instance_count               = service_config.value.max_instance_count
      max_instance_request_concurrency = 1
      ingress_settings                 = service_config.value.ingress_settings
      all_traffic_on_latest_revision   = true
      service_account_email            = local.service_account_emails[service_config.value.account]

      environment_variables = local.private_function_env[each.key]

      dynamic "secret_environment_variables" {
        for_each = merge({ (local.green_api_secret.key) = "green_api_token" }, service_config.value.secrets)

        content {
          key        = secret_environment_variables.key
          project_id = var.project_id
          secret     = google_secret_manager_secret.this[secret_environment_variables.value].secret_id
          version    = "latest"
        }
      }
    }
  }

  # The events' delivery runs on each document created in outbox/: the event's data is protobuf,
  # so the function reads the document named in the event's `document` attribute. A failure is
  # retried with backoff for 24 h.
  dynamic "event_trigger" {
    for_each = each.key == "events" ? [local.service_account_emails["events"]] : []

    content {
      trigger_region        = local.firestore_location
      event_type            = "google.cloud.firestore.document.v1.created"
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = event_trigger.value

      event_filters {
        attribute = "database"
        value     = google_firestore_database.this.name
      }

      event_filters {
        attribute = "document"
        value     = "outbox/{eventId}"
        operator  = "match-path-pattern"
      }
    }
  }

  # As the webhook: the grants propagated, and the secrets' "latest" versions exist.
  depends_on = [
    time_sleep.grants_propagated,
    google_secret_manager_secret_version.this,
  ]
}
