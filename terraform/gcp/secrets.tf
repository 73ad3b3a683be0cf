# Secrets reach the functions only as secret environment variables (see function.tf). The webhook
# token is pinned to a version number; the GREEN-API secret is read as its latest version at each
# cold start. A version's secret_data cannot change, so a new value replaces the version:
# create_before_destroy makes the new version first, moves the function to it, and only then
# destroys the old one, so the running function never points at a destroyed version.
#
# Their values are in the Terraform state: keep the state private (local file or a locked bucket).

locals {
  # Each secret's id. The GREEN-API credentials (local.green_api_secret in settings.tf) are the
  # one instance's token or the whole instance map: one secret either way, so that the
  # function's secret environment variable is a plain block (offline checks such as tfparse do
  # not look into `dynamic` blocks); its key and the secret's name follow the mode. The events'
  # signing key (events.tf) exists only with events on.
  secret_ids = merge(
    {
      webhook_token   = "${var.function_name}-webhook-token"
      green_api_token = "${var.function_name}-${local.green_api_secret.name}"
    },
    local.events_on ? { events_secret = "${local.events_name}-secret" } : {},
  )
  secret_values = {
    webhook_token   = local.webhook_token
    green_api_token = local.green_api_secret.data
    events_secret   = local.events_secret
  }
}

resource "google_secret_manager_secret" "this" {
  for_each = local.secret_ids

  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [time_sleep.apis_enabled]
}

resource "google_secret_manager_secret_version" "this" {
  for_each = local.secret_ids

  secret      = google_secret_manager_secret.this[each.key].id
  secret_data = local.secret_values[each.key]

  lifecycle {
    create_before_destroy = true
  }
}
