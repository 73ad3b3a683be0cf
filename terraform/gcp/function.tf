# The webhook: a 2nd-gen Cloud Function (a Cloud Run service built by Cloud Build from the zip).

locals {
  # Plain settings, named as function/call_logger/config.py reads them. Optional ones are left out
  # when unset so the function's own defaults apply. Secrets are never in this map.
  function_env = merge(
    {
      CALL_MODE            = var.call_mode
      GOOGLE_CLOUD_PROJECT = var.project_id
      FIRESTORE_DATABASE   = google_firestore_database.this.name
      CONTACT_CACHE_TTL    = var.contact_cache_ttl
      LOG_LEVEL            = var.log_level
      LOG_CHAT_IDS         = var.log_chat_ids
    },
    # One instance: its id and URL; several: each entry of the GREEN_API_INSTANCES secret has its
    # own (the function refuses both at once).
    local.many_instances ? {} : {
      GREEN_API_ID_INSTANCE = tostring(var.green_api_id_instance)
      GREEN_API_URL         = var.green_api_url
    },
    length(var.call_labels) > 0 ? { CALL_LABELS = jsonencode(var.call_labels) } : {},
    var.record_retention_days != null ? { RECORD_RETENTION_DAYS = tostring(var.record_retention_days) } : {},
    # Messages: their settings only when they are on (the function's defaults are the same).
    var.operator_chat_id != "" ? {
      OPERATOR_CHAT_ID   = var.operator_chat_id
      OPERATOR_NOTIFY_ON = join(",", var.operator_notify_on)
    } : {},
    var.missed_call_reply == "" && var.missed_call_reply_after_hours == "" ? {} : {
      MISSED_CALL_REPLY             = var.missed_call_reply
      MISSED_CALL_REPLY_AFTER_HOURS = var.missed_call_reply_after_hours
      MISSED_CALL_REPLY_ON          = join(",", var.missed_call_reply_on)
      MISSED_CALL_REPLY_COOLDOWN    = var.missed_call_reply_cooldown
      MISSED_CALL_REPLY_MAX_AGE     = var.missed_call_reply_max_age
    },
    # TIMEZONE also sets the days of the report and the digest.
    { TIMEZONE = var.timezone },
    var.business_hours == "" ? {} : { BUSINESS_HOURS = var.business_hours },
    # The digest rides on the scheduled reconcile runs (reconcile.tf).
    var.digest_time == "" ? {} : { DIGEST_TIME = var.digest_time },
  )
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
    service_account = google_service_account.build.id

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
    service_account_email            = google_service_account.runtime.email

    environment_variables = local.function_env

    # WEBHOOK_TOKEN is pinned to the version Terraform wrote (a new value means a new revision).
    secret_environment_variables {
      key        = "WEBHOOK_TOKEN"
      project_id = var.project_id
      secret     = google_secret_manager_secret.webhook_token.secret_id
      version    = google_secret_manager_secret_version.webhook_token.version
    }

    # The GREEN-API secret (the token, or the instance map) is read as its latest version at each
    # cold start: an instance added, or a token rotated, with a new secret version (gcloud secrets
    # versions add) is used from the next cold start, without a redeploy.
    secret_environment_variables {
      key        = local.green_api_secret.key
      project_id = var.project_id
      secret     = google_secret_manager_secret.green_api_token.secret_id
      version    = "latest"
    }
  }

  # The runtime account must be able to read its secrets and Firestore before the first revision
  # starts, and the build account must be able to build: wait until those grants have propagated
  # (iam.tf), which comes after the APIs are usable. The GREEN-API secret is read as "latest",
  # which must exist before the first revision starts.
  depends_on = [
    time_sleep.grants_propagated,
    google_secret_manager_secret_version.green_api_token,
  ]
}
