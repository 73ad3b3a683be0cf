# Secrets reach the function only as secret environment variables (see function.tf). The webhook
# token is pinned to a version number; the GREEN-API secret is read as its latest version at each
# cold start. A version's secret_data cannot change, so a new value replaces the version:
# create_before_destroy makes the new version first, moves the function to it, and only then
# destroys the old one, so the running function never points at a destroyed version.
#
# Their values are in the Terraform state: keep the state private (local file or a locked bucket).

resource "google_secret_manager_secret" "webhook_token" {
  project   = var.project_id
  secret_id = "${var.function_name}-webhook-token"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [time_sleep.apis_enabled]
}

resource "google_secret_manager_secret_version" "webhook_token" {
  secret      = google_secret_manager_secret.webhook_token.id
  secret_data = local.webhook_token

  lifecycle {
    create_before_destroy = true
  }
}

# The GREEN-API credentials (local.green_api_secret in settings.tf): the one instance's token, or
# the whole instance map. One secret either way, so that the function's secret environment
# variable is a plain block (offline checks such as tfparse do not look into `dynamic` blocks): its
# key and the secret's name follow the mode.
resource "google_secret_manager_secret" "green_api_token" {
  project   = var.project_id
  secret_id = "${var.function_name}-${local.green_api_secret.name}"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [time_sleep.apis_enabled]
}

resource "google_secret_manager_secret_version" "green_api_token" {
  secret      = google_secret_manager_secret.green_api_token.id
  secret_data = local.green_api_secret.data

  lifecycle {
    create_before_destroy = true
  }
}
