# Two service accounts, each with only what its job needs:
#   runtime: what the function runs as (Firestore reads/writes, its own two secrets);
#   build:   what Cloud Build runs as while turning the source zip into a container. Naming it
#            avoids depending on the project's default compute account, which new projects no
#            longer grant the roles a build needs.

resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = "${substr(var.function_name, 0, 22)}-run"
  display_name = "${var.function_name} function runtime"
  description  = "Runs the GREEN-API call logger function: Firestore data access and its own secrets only."

  depends_on = [time_sleep.apis_enabled]
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${substr(var.function_name, 0, 20)}-build"
  display_name = "${var.function_name} function build"
  description  = "Builds the GREEN-API call logger function's container in Cloud Build."

  depends_on = [time_sleep.apis_enabled]
}

# Firestore data access (read and write documents; no index or database administration).
resource "google_project_iam_member" "runtime_datastore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.runtime.member
}

# Cloud Run Builder is Google's role made for building Cloud Run functions (write build logs,
# push the image to Artifact Registry, read sources); unlike the older Cloud Build builder role it
# cannot act as other service accounts.
resource "google_project_iam_member" "build_run_builder" {
  project = var.project_id
  role    = "roles/run.builder"
  member  = google_service_account.build.member
}

# Reading the source zip is granted on the source bucket alone.
resource "google_storage_bucket_iam_member" "build_source_reader" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

# Secret access is granted per secret (see secrets.tf), never project-wide.
resource "google_secret_manager_secret_iam_member" "runtime_webhook_token" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.webhook_token.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime.member
}

resource "google_secret_manager_secret_iam_member" "runtime_green_api_token" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.green_api_token.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime.member
}

# GREEN-API cannot present a Google identity token, so the function's Cloud Run service must accept
# unauthenticated requests; WEBHOOK_TOKEN (a bearer token checked by the function) guards it.
# The v1 IAM resource is used on purpose: checkov checks it for public access (the v2 one it does
# not), so this exception stays visible and explained instead of passing silently.
resource "google_cloud_run_service_iam_member" "public_invoker" {
  #checkov:skip=CKV_GCP_102:GREEN-API cannot send Google identity tokens; the function authenticates it with WEBHOOK_TOKEN.
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.webhook.service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# A new grant takes a while to reach every Google service: a function built or started right after
# it can fail with "permission denied" (the provider's own Cloud Functions sample with a build
# account waits 60 s for this reason). The function waits on this, after every grant it needs;
# a new account (another function_name) means new grants, so the wait happens again.
resource "time_sleep" "grants_propagated" {
  create_duration = "60s"
  triggers = {
    build   = google_service_account.build.member
    runtime = google_service_account.runtime.member
  }

  depends_on = [
    google_project_iam_member.runtime_datastore_user,
    google_project_iam_member.build_run_builder,
    google_storage_bucket_iam_member.build_source_reader,
    google_secret_manager_secret_iam_member.runtime_webhook_token,
    google_secret_manager_secret_iam_member.runtime_green_api_token,
  ]
}
