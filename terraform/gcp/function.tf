# The functions: 2nd-gen Cloud Functions (Cloud Run services built by Cloud Build from the one
# source zip), one resource over a map: the public webhook (here), and the private reconcile
# (reconcile.tf) and events' delivery (events.tf), each only with those on. Each entry says what
# differs: entry point, account, ingress, limits, its own secrets; the rest they share.

locals {
  # The settings (settings.tf), and where the records are. Secrets are never in this map.
  function_env = merge(local.settings_environment, {
    GOOGLE_CLOUD_PROJECT = var.project_id
    FIRESTORE_DATABASE   = google_firestore_database.this.name
  })

  # GREEN-API posts from the internet, so its ingress is ALLOW_ALL; the function checks
  # WEBHOOK_TOKEN. Sized by the variables.
  webhook_function = {
    name                             = var.function_name
    description                      = "Logs GREEN-API incomingCall notifications into Firestore."
    entry_point                      = "handle_webhook"
    account                          = "runtime"
    ingress_settings                 = "ALLOW_ALL"
    timeout_seconds                  = var.timeout_seconds
    min_instance_count               = var.min_instance_count
    max_instance_count               = var.max_instance_count
    max_instance_request_concurrency = var.max_instance_request_concurrency
    secrets                          = {}
  }

  functions = merge(
    { webhook = local.webhook_function },
    var.reconcile_enabled ? { reconcile = local.reconcile_function } : {},
    local.events_on ? { events = local.events_function } : {},
  )

  # Each one's plain environment: the settings, and for reconcile its task queue (tasks.tf).
  # A map of its own, not an attribute of each entry: tfparse (tests/iac) leaves a map held in
  # the entries of reconcile.tf and events.tf unresolved.
  functions_env = {
    webhook   = local.function_env
    reconcile = merge(local.function_env, local.reconcile_tasks_environment)
    events    = local.function_env
  }
}

resource "google_cloudfunctions2_function" "this" {
  #checkov:skip=CKV_GCP_124:The webhook (GREEN-API posts from the internet; WEBHOOK_TOKEN guards it) and reconcile (Cloud Scheduler is outside any VPC; IAM lets only its accounts invoke it) take ALLOW_ALL; the events' delivery is internal-only.
  for_each = local.functions

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
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
        # The object's generation: without it the provider may keep building the previous upload.
        generation = google_storage_bucket_object.source.generation
      }
    }
  }

  # One block, written as `dynamic` so that tfparse (tests/iac) expands the secret blocks in it: it
  # leaves a `dynamic` block inside a plain one unexpanded.
  dynamic "service_config" {
    for_each = [each.value]

    content {
      available_memory = var.memory
      # cpu sizes the webhook; the others take Google's default for their memory.
      available_cpu                    = each.key == "webhook" ? var.cpu : null
      timeout_seconds                  = service_config.value.timeout_seconds
      min_instance_count               = lookup(service_config.value, "min_instance_count", 0)
      max_instance_count               = service_config.value.max_instance_count
      max_instance_request_concurrency = lookup(service_config.value, "max_instance_request_concurrency", 1)
      ingress_settings                 = service_config.value.ingress_settings
      all_traffic_on_latest_revision   = true
      service_account_email            = local.service_account_emails[service_config.value.account]

      environment_variables = local.functions_env[each.key]

      # WEBHOOK_TOKEN is pinned to the version Terraform wrote (a new value means a new revision).
      dynamic "secret_environment_variables" {
        for_each = each.key == "webhook" ? ["WEBHOOK_TOKEN"] : []

        content {
          key        = secret_environment_variables.value
          project_id = var.project_id
          secret     = google_secret_manager_secret.this["webhook_token"].secret_id
          version    = google_secret_manager_secret_version.this["webhook_token"].version
        }
      }

      # Every function reads the GREEN-API secret (the token, or the instance map), and its own,
      # as their latest versions at each cold start: an instance added, or a token rotated, with
      # a new secret version (gcloud secrets versions add) is used from the next cold start,
      # without a redeploy.
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

  # Each account must be able to read its secrets and Firestore before the first revision starts,
  # and the build account must be able to build: wait until those grants have propagated
  # (iam.tf), which comes after the APIs are usable. The secrets read as "latest" must exist
  # before the first revision starts.
  depends_on = [
    time_sleep.grants_propagated,
    google_secret_manager_secret_version.this,
  ]
}
