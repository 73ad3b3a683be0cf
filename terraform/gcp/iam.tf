# The stack's service accounts, each with only what its job needs:
#   runtime:   what the webhook function runs as (Firestore reads/writes, its own two secrets);
#   build:     what Cloud Build runs as while turning the source zip into a container. Naming it
#              avoids depending on the project's default compute account, which new projects no
#              longer grant the roles a build needs;
#   scheduler, reconcile, tasks (reconcile.tf, tasks.tf) and events (events.tf): only with those on.
# Each account lists its project-wide roles and the secrets it reads; one resource over a map each
# for the accounts and their grants: what differs is data. datastore.user: read and write
# documents, no index or database administration. run.builder is Google's role made for building
# Cloud Run functions (write build logs, push the image to Artifact Registry, read sources); unlike
# the older Cloud Build builder role it cannot act as other service accounts. Secret access is
# granted per secret (secrets.tf), never project-wide.

locals {
  service_accounts = merge(
    {
      runtime = {
        account_id   = "${substr(var.function_name, 0, 22)}-run"
        display_name = "${var.function_name} function runtime"
        description  = "Runs the GREEN-API call logger function: Firestore data access and its own secrets only."
        roles        = { datastore_user = "roles/datastore.user" }
        secrets      = ["webhook_token", "green_api_token"]
      }
      build = {
        account_id   = "${substr(var.function_name, 0, 20)}-build"
        display_name = "${var.function_name} function build"
        description  = "Builds the GREEN-API call logger function's container in Cloud Build."
        roles        = { run_builder = "roles/run.builder" }
        secrets      = []
      }
    },
    var.reconcile_enabled ? {
      # It may invoke the reconcile function and nothing else.
      scheduler = {
        account_id   = "${substr(var.function_name, 0, 20)}-sched"
        display_name = "${var.function_name} reconcile scheduler"
        description  = "Cloud Scheduler's identity for invoking the call logger's reconcile function (OIDC)."
        roles        = {}
        secrets      = []
      }
      reconcile = {
        account_id   = "${substr(var.function_name, 0, 20)}-recon"
        display_name = "${var.function_name} reconcile runtime"
        description  = "Runs the call logger's reconcile function: Firestore, the GREEN-API secret, and its own task queue."
        roles        = { datastore_user = "roles/datastore.user" }
        secrets      = ["green_api_token"]
      }
      tasks = {
        account_id   = "${substr(var.function_name, 0, 20)}-tasks"
        display_name = "${var.function_name} reconcile tasks"
        description  = "The identity (OIDC) of the reconcile queue's requests: may invoke the reconcile function only."
        roles        = {}
        secrets      = []
      }
    } : {},
    local.events_on ? {
      # The delivery's own identity, as its runtime and as the trigger's.
      events = {
        account_id   = "${substr(var.function_name, 0, 20)}-event"
        display_name = "${local.events_name} delivery"
        description  = "Delivers the call logger's events: the outbox in Firestore, the signing key, Eventarc."
        roles        = { datastore_user = "roles/datastore.user", receiver = "roles/eventarc.eventReceiver" }
        secrets      = ["events_secret", "green_api_token"]
      }
    } : {},
  )

  # Each account's email and IAM member, known at plan time (the provider's `email` and `member`
  # attributes are the same text), so that what names an account by key is checked offline; the
  # grants below depend on the accounts, and every function waits for the grants.
  service_account_emails = {
    for name, account in local.service_accounts :
    name => "${account.account_id}@${var.project_id}.iam.gserviceaccount.com"
  }
  service_account_members = {
    for name, email in local.service_account_emails : name => "serviceAccount:${email}"
  }

  # Each account's grants, keyed "<account>_<role or secret>".
  project_grants = merge([
    for name, account in local.service_accounts : {
      for grant, role in account.roles : "${name}_${grant}" => { account = name, role = role }
    }
  ]...)
  secret_grants = merge([
    for name, account in local.service_accounts : {
      for secret in account.secrets : "${name}_${secret}" => { account = name, secret = secret }
    }
  ]...)
}

resource "google_service_account" "this" {
  for_each = local.service_accounts

  project      = var.project_id
  account_id   = each.value.account_id
  display_name = each.value.display_name
  description  = each.value.description

  depends_on = [time_sleep.apis_enabled]
}

resource "google_project_iam_member" "this" {
  for_each = local.project_grants

  project = var.project_id
  role    = each.value.role
  member  = local.service_account_members[each.value.account]

  depends_on = [google_service_account.this]
}

resource "google_secret_manager_secret_iam_member" "this" {
  for_each = local.secret_grants

  project   = var.project_id
  secret_id = google_secret_manager_secret.this[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.service_account_members[each.value.account]

  depends_on = [google_service_account.this]
}

# Reading the source zip is granted on the source bucket alone.
resource "google_storage_bucket_iam_member" "build_source_reader" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.this["build"].member
}

# GREEN-API cannot present a Google identity token, so the function's Cloud Run service must accept
# unauthenticated requests; WEBHOOK_TOKEN (a bearer token checked by the function) guards it.
# The v1 IAM resource is used on purpose: checkov checks it for public access (the v2 one it does
# not), so this exception stays visible and explained instead of passing silently.
resource "google_cloud_run_service_iam_member" "public_invoker" {
  #checkov:skip=CKV_GCP_102:GREEN-API cannot send Google identity tokens; the function authenticates it with WEBHOOK_TOKEN.
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this["webhook"].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# A new grant takes a while to reach every Google service: a function built or started right after
# it can fail with "permission denied" (the provider's own Cloud Functions sample with a build
# account waits 60 s for this reason). Every function waits on this, after every grant; a new
# account (another function_name, reconcile or events turned on) means new grants, so the wait
# happens again.
resource "time_sleep" "grants_propagated" {
  create_duration = "60s"
  triggers        = { for name, account in google_service_account.this : name => account.member }

  depends_on = [
    google_project_service.eventarc,
    google_project_iam_member.this,
    google_storage_bucket_iam_member.build_source_reader,
    google_secret_manager_secret_iam_member.this,
    google_cloud_tasks_queue_iam_member.reconcile_enqueuer,
    google_service_account_iam_member.reconcile_acts_as_tasks,
  ]
}
