output "webhook_url" {
  description = "URL to set as the GREEN-API instance's webhookUrl."
  value       = google_cloudfunctions2_function.this["webhook"].url
}

output "firestore_console_url" {
  description = "Google Cloud console page showing the logged calls (chats and their records)."
  # The console spells the (default) database "-default-" in its URLs.
  value = "https://console.cloud.google.com/firestore/databases/${google_firestore_database.this.name == "(default)" ? "-default-" : google_firestore_database.this.name}/data/panel/chats?project=${var.project_id}"
}

output "webhook_token_secret" {
  description = "Secret Manager secret ID holding WEBHOOK_TOKEN."
  value       = google_secret_manager_secret.this["webhook_token"].secret_id
}

output "green_api_token_secret" {
  description = "Secret Manager secret ID holding GREEN_API_TOKEN, or GREEN_API_INSTANCES when green_api_instances names the instances (add a version to it to add an instance)."
  value       = google_secret_manager_secret.this["green_api_token"].secret_id
}

output "service_account_email" {
  description = "Service account the function runs as."
  value       = google_service_account.this["runtime"].email
}

output "function_name" {
  description = "Name of the Cloud Function and of its Cloud Run service."
  value       = google_cloudfunctions2_function.this["webhook"].name
}

output "firestore_database" {
  description = "Firestore database ID the function writes to (FIRESTORE_DATABASE)."
  value       = google_firestore_database.this.name
}

output "reconcile_function_name" {
  description = "Private function Cloud Scheduler invokes for reconcile (null when reconcile_enabled is false)."
  value       = var.reconcile_enabled ? google_cloudfunctions2_function.this["reconcile"].name : null
}

output "reconcile_scheduler_job" {
  description = "Cloud Scheduler job of the reconcile runs; `gcloud scheduler jobs run NAME --location REGION` runs it now."
  value       = one(google_cloud_scheduler_job.reconcile[*].name)
}

output "project_id" {
  description = "Project the stack is deployed in (for gcloud commands, e.g. the backfill in `make deploy`)."
  value       = var.project_id
}

output "region" {
  description = "Region of the functions and the scheduler job."
  value       = var.region
}
