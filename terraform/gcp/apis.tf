# APIs the stack uses. They stay enabled on destroy: other workloads in the project may use them.
locals {
  services = toset([
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "firestore.googleapis.com",
    "secretmanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    # The scheduled work's queue (tasks.tf).
    "cloudtasks.googleapis.com",
    # Log-based metrics and alert policies (alerts.tf).
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    # Not in every new project by default, yet needed to create the service accounts, grant
    # project roles and hold the source bucket.
    "iam.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "this" {
  for_each = local.services

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# An enabled API is not yet usable everywhere: the provider's guide warns that "service activation
# is not guaranteed" when the call returns. Everything that uses an API waits on this instead of
# on google_project_service directly. It waits again only when the set of APIs changes.
resource "time_sleep" "apis_enabled" {
  create_duration = "60s"
  triggers = {
    services = join(",", sort(local.services))
  }

  depends_on = [google_project_service.this]
}

# What `make deploy` needs before apply, read with `terraform console` by
# `python -m call_logger preflight`: the project, the database it would adopt, and the APIs to
# enable with gcloud first (plus Service Usage, which enabling through Terraform itself needs).
locals {
  deploy_facts = {
    project_id         = var.project_id
    firestore_database = var.firestore_database
    firestore_location = local.firestore_location
    apis               = sort(setunion(local.services, ["serviceusage.googleapis.com"]))
  }
}
