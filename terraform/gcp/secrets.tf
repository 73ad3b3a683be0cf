# Secrets reach the function only as secret environment variables (see function.tf), pinned to a
# version number. A version's secret_data cannot change, so a new value replaces the version:
# create_before_destroy makes the new version first, moves the function to it, and only then
# destroys the old one, so the running function never points at a destroyed version.
#
# Their values are in the Terraform state: keep the state private (local file or a locked bucket).

# Used when var.webhook_token is null. Only URL/header-safe characters.
resource "random_password" "webhook_token" {
  length  = 48
  special = false
}

locals {
  webhook_token = coalesce(var.webhook_token, random_password.webhook_token.result)
}

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

# The GREEN-API token is required rather than optional: a secret environment variable must point
# at an existing secret version, and making the variable optional would need a `dynamic` block
# that offline checks (tfparse) cannot see into. Every deployment has the token anyway: it is on
# the same console page as idInstance, and `make deploy` needs it to configure the instance.
resource "google_secret_manager_secret" "green_api_token" {
  project   = var.project_id
  secret_id = "${var.function_name}-green-api-token"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [time_sleep.apis_enabled]
}

resource "google_secret_manager_secret_version" "green_api_token" {
  secret      = google_secret_manager_secret.green_api_token.id
  secret_data = var.green_api_token

  lifecycle {
    create_before_destroy = true
  }
}
