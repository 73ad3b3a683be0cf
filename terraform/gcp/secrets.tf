# Secrets reach the function only as secret environment variables (see function.tf). The webhook
# token is pinned to a version number; the GREEN-API secret is read as its latest version at each
# cold start. A version's secret_data cannot change, so a new value replaces the version:
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

# The GREEN-API credentials: the one instance's token (GREEN_API_TOKEN), or the whole instance map
# (GREEN_API_INSTANCES, every instance's apiTokenInstance in it). One secret either way, so that
# the function's secret environment variable is a plain block (offline checks such as tfparse do
# not look into `dynamic` blocks): its key and the secret's name follow the mode.
locals {
  many_instances = length(var.green_api_instances) > 0
  green_api_secret = local.many_instances ? {
    key       = "GREEN_API_INSTANCES"
    secret_id = "${var.function_name}-green-api-instances"
    data      = jsonencode(var.green_api_instances)
    } : {
    key       = "GREEN_API_TOKEN"
    secret_id = "${var.function_name}-green-api-token"
    data      = var.green_api_token
  }
}

resource "google_secret_manager_secret" "green_api_token" {
  project   = var.project_id
  secret_id = local.green_api_secret.secret_id
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
