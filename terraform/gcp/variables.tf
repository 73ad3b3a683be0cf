# Inputs of the Google Cloud stack: where and how the function runs. The function's settings
# (the GREEN-API instance, the tokens, what is recorded and sent) are the same for both stacks and
# declared once, in settings.tf (a link to terraform/shared/settings.tf), as are the events'
# (events_settings.tf) and alert_email (alert_settings.tf).
#
# Null-tolerant validations use `cond ? ... : ...` rather than `||`: Terraform before 1.12 does
# not short-circuit `||`, so `var.x == null || var.x > 0` fails on null.

# --- Where ---------------------------------------------------------------------------------

variable "project_id" {
  description = "Google Cloud project to deploy into (must have billing enabled)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID: 6-30 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the function and its source bucket, e.g. europe-west1 or us-central1."
  type        = string
  default     = "europe-west1"
  nullable    = false

  validation {
    # Google's region names: area-direction-number, the number now up to two digits
    # (europe-west10, europe-west12); tests/iac checks this against Google's list.
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]{1,2}$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1 or us-central1."
  }

  validation {
    # regions.tf: where Cloud Functions (2nd gen), Firestore and Cloud Scheduler are all offered.
    condition     = contains(local.supported_regions, var.region)
    error_message = "region must be one where Cloud Functions (2nd gen), Firestore and Cloud Scheduler are all offered (terraform/gcp/regions.tf lists them), such as europe-west1 or us-central1."
  }
}

variable "function_name" {
  description = "Name of the Cloud Function (and of its Cloud Run service); also prefixes the other resources."
  type        = string
  default     = "green-call-logger"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.function_name))
    error_message = "function_name must be 2-40 lower-case letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

# --- Firestore -----------------------------------------------------------------------------

variable "firestore_database" {
  description = "Firestore database ID. \"(default)\" is the one that gets the free tier; a named database keeps the records apart from other apps in the project."
  type        = string
  default     = "(default)"
  nullable    = false

  validation {
    condition     = var.firestore_database == "(default)" || can(regex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$", var.firestore_database))
    error_message = "firestore_database must be \"(default)\" or 4-63 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "firestore_location" {
  description = "Firestore location (a region such as europe-west1 or a multi-region such as eur3 / nam5). null: the same as region. It cannot be changed after the database is created."
  type        = string
  default     = null

  validation {
    condition     = var.firestore_location == null ? true : can(regex("^([a-z]+-[a-z]+[0-9]{1,2}|nam[0-9]+|eur[0-9]+)$", var.firestore_location))
    error_message = "firestore_location must be a region such as europe-west1 or a multi-region such as eur3 or nam5."
  }
}

variable "firestore_database_exists" {
  description = "The database is there already (after a destroy with delete protection, or made by hand): Terraform adopts it, records and all, instead of creating it. `make deploy` sets this from its preflight."
  type        = bool
  default     = false
  nullable    = false
}

variable "firestore_delete_protection" {
  description = "Turn on Firestore delete protection. While it is on, `terraform destroy` leaves the database (and its records) in place."
  type        = bool
  default     = true
  nullable    = false
}

variable "firestore_point_in_time_recovery" {
  description = "Keep 7 days of point-in-time recovery versions of the database (billed as storage), so a bad write or delete can be undone."
  type        = bool
  default     = true
  nullable    = false
}

# --- How the function runs -----------------------------------------------------------------

variable "runtime" {
  description = "Python runtime of the function (Google's Python runtimes from 3.12 on)."
  type        = string
  default     = "python312"
  nullable    = false

  validation {
    condition     = contains(["python312", "python313", "python314"], var.runtime)
    error_message = "runtime must be python312, python313 or python314."
  }
}

variable "memory" {
  description = "Memory of one function instance, e.g. 256M, 512Mi, 1Gi."
  type        = string
  default     = "256M"
  nullable    = false

  validation {
    condition     = can(regex("^[1-9][0-9]*(M|Mi|G|Gi)$", var.memory))
    error_message = "memory must be a size such as 256M, 512Mi or 1Gi."
  }
}

variable "cpu" {
  description = "vCPUs of one instance, e.g. \"0.167\", \"1\", \"2\". null: Google derives it from memory (under 1 vCPU below 2 GiB)."
  type        = string
  default     = null

  validation {
    condition     = var.cpu == null ? true : can(tonumber(var.cpu)) && try(tonumber(var.cpu) >= 0.08 && tonumber(var.cpu) <= 8, false)
    error_message = "cpu must be null or a number of vCPUs from 0.08 to 8, written as a string such as \"1\"."
  }
}

variable "timeout_seconds" {
  description = "Longest time one webhook request may take. GREEN-API waits up to 180 s for an answer."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = floor(var.timeout_seconds) == var.timeout_seconds && var.timeout_seconds >= 1 && var.timeout_seconds <= 180
    error_message = "timeout_seconds must be a whole number from 1 to 180 (GREEN-API gives up after 180 s)."
  }
}

variable "min_instance_count" {
  description = "Instances kept warm. 0 costs nothing when idle; 1 removes cold starts (billed while idle)."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = floor(var.min_instance_count) == var.min_instance_count && var.min_instance_count >= 0 && var.min_instance_count <= 100
    error_message = "min_instance_count must be a whole number from 0 to 100."
  }
}

variable "max_instance_count" {
  description = "Upper bound on instances, which also caps the cost and the concurrent Firestore writers."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = floor(var.max_instance_count) == var.max_instance_count && var.max_instance_count >= 1 && var.max_instance_count <= 1000
    error_message = "max_instance_count must be a whole number from 1 to 1000."
  }

  validation {
    condition     = var.max_instance_count >= var.min_instance_count
    error_message = "max_instance_count must be at least min_instance_count."
  }
}

variable "max_instance_request_concurrency" {
  description = "Requests one instance serves at once. More than 1 needs cpu of at least \"1\"."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = floor(var.max_instance_request_concurrency) == var.max_instance_request_concurrency && var.max_instance_request_concurrency >= 1 && var.max_instance_request_concurrency <= 1000
    error_message = "max_instance_request_concurrency must be a whole number from 1 to 1000."
  }

  validation {
    condition     = var.max_instance_request_concurrency == 1 ? true : try(tonumber(var.cpu) >= 1, false)
    error_message = "max_instance_request_concurrency above 1 needs cpu of at least \"1\" (Cloud Run rule)."
  }
}

variable "labels" {
  description = "Labels put on the function, bucket and secrets."
  type        = map(string)
  default     = {}
  nullable    = false
}

# --- Reconcile (see reconcile.tf; reconcile_enabled and reconcile_window are in settings.tf) ---

variable "reconcile_schedule" {
  description = "When reconcile runs: a cron expression in UTC (Cloud Scheduler). Default: hourly."
  type        = string
  default     = "0 * * * *"
  nullable    = false

  validation {
    condition     = length(split(" ", trimspace(var.reconcile_schedule))) == 5
    error_message = "reconcile_schedule must be a cron expression of five fields, such as \"0 * * * *\"."
  }
}

