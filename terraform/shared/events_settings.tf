# Events (docs/events.md): the settings both stacks take for them. terraform/gcp/events_settings.tf
# and terraform/aws/events_settings.tf are symbolic links to this file, as settings.tf is; what
# delivers the events (the change stream, the delivery function, the dead-letter place) is in each
# stack's events.tf.

variable "events_url" {
  description = "EVENTS_URL: where each new record's event (call.recorded, callback.done, instance.state_changed) is POSTed, signed by the Standard Webhooks convention. Empty: no events, unless an entry of green_api_instances has its own eventsUrl."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.events_url == "" || can(regex(local.https_url_pattern, var.events_url))
    error_message = "events_url must be empty or an https:// URL."
  }
}

variable "events_secret" {
  description = "EVENTS_SECRET: the key events are signed with, in the Standard Webhooks form (whsec_ and the base64 of 24 to 64 random bytes). Kept in the cloud's secret store and given only to the delivery function. null: generated once and kept; read it with `terraform output -raw events_secret` and give it to the receiver."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.events_secret == null ? true : can(regex("^whsec_[A-Za-z0-9+/]{32,88}={0,2}$", var.events_secret))
    error_message = "events_secret must be null or whsec_ followed by the base64 of 24 to 64 bytes."
  }
}

locals {
  # Events are on when the deployment or any instance names a receiver. Whether is no secret,
  # though the instance map is sensitive: the delivery's resources are counted on it.
  events_on = var.events_url != "" || nonsensitive(anytrue([
    for id, instance in var.green_api_instances : try(instance.eventsUrl, null) != null
  ]))
  events_count = local.events_on ? 1 : 0

  events_secret = var.events_secret != null ? var.events_secret : (
    local.events_on ? terraform_data.generated_events_secret[0].output : ""
  )

  # What the functions that write events read (the secret reaches only the delivery).
  events_environment = var.events_url == "" ? {} : { EVENTS_URL = var.events_url }
}

# The signing key when var.events_secret is null: 64 random hex digits from two version 4 UUIDs
# (as the webhook token in settings.tf), made once and then kept.
resource "terraform_data" "generated_events_secret" {
  count = var.events_secret == null && local.events_on ? 1 : 0

  input = sensitive("whsec_${base64encode(replace("${uuid()}${uuid()}", "-", ""))}")

  lifecycle {
    ignore_changes = [input]
  }
}

output "events_secret" {
  description = "EVENTS_SECRET, for the receiver to verify the events' signatures (empty without events)."
  value       = local.events_secret
  sensitive   = true
}
