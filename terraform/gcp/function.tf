# The webhook: a 2nd-gen Cloud Function (a Cloud Run service built by Cloud Build from the zip).

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
