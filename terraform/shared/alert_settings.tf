# Alerts (docs/operations.md#alerts): the setting both stacks take for them.
# terraform/gcp/alert_settings.tf and terraform/aws/alert_settings.tf are symbolic links to this
# file, as settings.tf is; what is alerted on, and how, is in each stack's alerts.tf.

variable "alert_email" {
  description = "Email address told when the webhook keeps failing, the instance needs a person (logged out, banned, ...), a notification is kept in `rejected`, reconcile found calls the webhook missed, or events are given up. On AWS it is subscribed to the alarms' SNS topic (AWS asks it to confirm once). null: no alerts (and no alerting resources)."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null ? true : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be null or an email address."
  }
}
