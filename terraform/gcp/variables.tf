# Inputs of the Google Cloud stack. Names of the function's environment variables are a contract
# with function/call_logger/config.py; the validations below mirror what that module accepts, so
# a bad value fails at plan time instead of crashing the deployed function.
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

variable "record_retention_days" {
  description = "RECORD_RETENTION_DAYS: delete personal data this many days after it was last needed (Firestore TTL on expireAt: a record after its call, a chat after its last call, a rejected notification after it arrived). null keeps everything forever."
  type        = number
  default     = 365

  validation {
    condition     = var.record_retention_days == null ? true : (floor(var.record_retention_days) == var.record_retention_days && var.record_retention_days >= 1 && var.record_retention_days <= 36500)
    error_message = "record_retention_days must be null or a whole number of days from 1 to 36500."
  }
}

# --- What the function does ----------------------------------------------------------------

variable "call_mode" {
  description = "CALL_MODE: which incomingCall notifications become records: all, results (final statuses only), offer (ringing only) or ignore."
  type        = string
  default     = "all"
  nullable    = false

  validation {
    condition     = contains(["all", "results", "offer", "ignore"], var.call_mode)
    error_message = "call_mode must be one of all, results, offer, ignore."
  }
}

variable "call_labels" {
  description = "CALL_LABELS: texts stored as the record label, by key (incoming, answered, dropped, missed, unknown). Empty map: the built-in texts."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key, text in var.call_labels : contains(["incoming", "answered", "dropped", "missed", "unknown"], key) && trimspace(text) != ""])
    error_message = "call_labels keys must be among incoming, answered, dropped, missed, unknown, each with a non-empty text."
  }
}

variable "green_api_id_instance" {
  description = "GREEN_API_ID_INSTANCE: the idInstance of the one GREEN-API instance whose calls are logged. null when green_api_instances names the instances."
  type        = number
  default     = null

  validation {
    condition     = var.green_api_id_instance == null ? true : (floor(var.green_api_id_instance) == var.green_api_id_instance && var.green_api_id_instance >= 1 && var.green_api_id_instance < 10000000000)
    error_message = "green_api_id_instance must be null or a whole number of at most 10 digits (the instance's idInstance)."
  }
}

variable "green_api_url" {
  description = "GREEN_API_URL: the instance's apiUrl, shown in the GREEN-API console (one instance; each entry of green_api_instances has its own apiUrl)."
  type        = string
  default     = "https://api.green-api.com"
  nullable    = false

  validation {
    condition     = can(regex("^https://[^/\\s]+(/[^\\s]*)?$", var.green_api_url))
    error_message = "green_api_url must be an https:// URL such as https://api.green-api.com."
  }
}

variable "green_api_token" {
  description = "GREEN_API_TOKEN: the one instance's apiTokenInstance (GREEN-API console), stored in Secret Manager. Needed with green_api_id_instance: the function uses it for caller names and operator messages, and `make deploy` uses it to point the instance at the webhook."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.green_api_token == null ? true : (length(trimspace(var.green_api_token)) >= 8 && !can(regex("\\s", var.green_api_token)))
    error_message = "green_api_token must be the instance's apiTokenInstance: at least 8 characters, no spaces."
  }
}

variable "green_api_instances" {
  description = "GREEN_API_INSTANCES: several GREEN-API instances in one deployment, keyed by idInstance, each with its apiUrl and apiTokenInstance and optionally a label and its own operatorChatId, missedCallReply, missedCallReplyAfterHours, businessHours and timezone (checked by the function at start, as the deployment-wide settings are). Stored as one Secret Manager secret that the function reads at each cold start. Empty: the one instance of green_api_id_instance and green_api_token."
  type = map(object({
    apiUrl                    = string
    apiTokenInstance          = string
    label                     = optional(string)
    operatorChatId            = optional(string)
    missedCallReply           = optional(string)
    missedCallReplyAfterHours = optional(string)
    businessHours             = optional(string)
    timezone                  = optional(string)
  }))
  default   = {}
  nullable  = false
  sensitive = true

  validation {
    condition     = alltrue([for id, instance in var.green_api_instances : can(regex("^[1-9][0-9]{0,18}$", id)) && can(regex("^https://[^/\\s]+(/[^\\s]*)?$", instance.apiUrl)) && length(trimspace(instance.apiTokenInstance)) >= 8 && !can(regex("[\\s/?#]", instance.apiTokenInstance))])
    error_message = "green_api_instances must be keyed by idInstance (digits), each with an https:// apiUrl and an apiTokenInstance of at least 8 characters without spaces."
  }

  validation {
    condition     = length(var.green_api_instances) > 0 ? (var.green_api_id_instance == null && var.green_api_token == null) : (var.green_api_id_instance != null && var.green_api_token != null)
    error_message = "Name the instances either in green_api_instances or with green_api_id_instance and green_api_token, not both (and not neither)."
  }
}

variable "webhook_token" {
  description = "WEBHOOK_TOKEN: the bearer token GREEN-API sends (instance setting webhookUrlToken). null: a random 48-character token is generated."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.webhook_token == null ? true : length(var.webhook_token) >= 24 && can(regex("^[A-Za-z0-9._~+/=-]+$", var.webhook_token))
    error_message = "webhook_token must be null or at least 24 characters of letters, digits or ._~+/=- (it travels in an HTTP header)."
  }
}

variable "contact_cache_ttl" {
  description = "CONTACT_CACHE_TTL: how long a caller's name from getContactInfo is reused, e.g. 90s, 15m, 24h, 7d."
  type        = string
  default     = "24h"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?[smhd]?$", var.contact_cache_ttl))
    error_message = "contact_cache_ttl must be a duration such as 90s, 15m, 24h or 7d."
  }
}

variable "operator_chat_id" {
  description = "OPERATOR_CHAT_ID: a person's WhatsApp chat told about calls (statuses in operator_notify_on), e.g. 79001234567@c.us. Never a group. Empty: no message."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.operator_chat_id == "" || can(regex("^[0-9]+@(c\\.us|lid)$", var.operator_chat_id))
    error_message = "operator_chat_id must be empty or a person's chat id such as 79001234567@c.us (messages are never sent to a group)."
  }
}

variable "log_level" {
  description = "LOG_LEVEL: the least severe log lines written: DEBUG, INFO, WARNING, ERROR or CRITICAL."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  }
}

variable "log_chat_ids" {
  description = "LOG_CHAT_IDS: masked writes callers' chat ids in logs as 7900***4567@c.us; full writes them whole."
  type        = string
  default     = "masked"
  nullable    = false

  validation {
    condition     = contains(["masked", "full"], var.log_chat_ids)
    error_message = "log_chat_ids must be masked or full."
  }
}

# --- Alerts --------------------------------------------------------------------------------

variable "alert_email" {
  description = "Email address told when the webhook keeps failing, the instance needs a person (logged out, banned, ...), a notification is kept in `rejected`, or reconcile found calls the webhook missed. null: no alerts (and no alerting resources)."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null ? true : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be null or an email address."
  }
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

# --- Messages sent for a recorded call (README: "Automatic reply to a missed call") -----------

variable "operator_notify_on" {
  description = "OPERATOR_NOTIFY_ON: the call statuses that send OPERATOR_CHAT_ID a notice, e.g. [\"offer\", \"missed\", \"declined\", \"hungUp\"]."
  type        = list(string)
  default     = ["offer"]
  nullable    = false

  validation {
    condition     = length(var.operator_notify_on) > 0 && alltrue([for status in var.operator_notify_on : contains(["offer", "pickUp", "hungUp", "hangUp", "missed", "declined"], status)])
    error_message = "operator_notify_on must list statuses among offer, pickUp, hungUp, missed, declined."
  }
}

variable "missed_call_reply" {
  description = "MISSED_CALL_REPLY: WhatsApp message sent to a caller whose call was missed; {name}, {phone}, {chat_id} and {label} are filled in. Empty: no reply."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.missed_call_reply) <= 19000 && alltrue([for match in regexall("\\{([^{}]*)\\}", var.missed_call_reply) : contains(["name", "phone", "chat_id", "label"], match[0])])
    error_message = "missed_call_reply may use only {name}, {phone}, {chat_id} and {label}, and at most 19000 characters."
  }
}

variable "missed_call_reply_after_hours" {
  description = "MISSED_CALL_REPLY_AFTER_HOURS: the reply to a call outside business_hours (needs business_hours). Empty: no reply then."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.missed_call_reply_after_hours) <= 19000 && alltrue([for match in regexall("\\{([^{}]*)\\}", var.missed_call_reply_after_hours) : contains(["name", "phone", "chat_id", "label"], match[0])])
    error_message = "missed_call_reply_after_hours may use only {name}, {phone}, {chat_id} and {label}, and at most 19000 characters."
  }
}

variable "missed_call_reply_on" {
  description = "MISSED_CALL_REPLY_ON: the call statuses that get the reply."
  type        = list(string)
  default     = ["missed", "declined", "hungUp"]
  nullable    = false

  validation {
    condition     = length(var.missed_call_reply_on) > 0 && alltrue([for status in var.missed_call_reply_on : contains(["offer", "pickUp", "hungUp", "hangUp", "missed", "declined"], status)])
    error_message = "missed_call_reply_on must list statuses among offer, pickUp, hungUp, missed, declined."
  }
}

variable "missed_call_reply_cooldown" {
  description = "MISSED_CALL_REPLY_COOLDOWN: at most one reply per chat in this time, e.g. 12h."
  type        = string
  default     = "12h"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?[smhd]?$", var.missed_call_reply_cooldown))
    error_message = "missed_call_reply_cooldown must be a duration such as 90s, 15m, 12h or 7d."
  }
}

variable "missed_call_reply_max_age" {
  description = "MISSED_CALL_REPLY_MAX_AGE: no reply to a call that ended longer ago than this, e.g. 15m."
  type        = string
  default     = "15m"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?[smhd]?$", var.missed_call_reply_max_age)) && !can(regex("^[0.]+[smhd]?$", var.missed_call_reply_max_age))
    error_message = "missed_call_reply_max_age must be a duration above zero such as 90s, 15m or 1h."
  }
}

variable "business_hours" {
  description = "BUSINESS_HOURS: opening hours in local time of var.timezone, e.g. \"mon-fri 09:00-18:00, sat 10:00-14:00\". Empty: always open."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.business_hours == "" || can(regex("^(?i)\\s*(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?\\s+([01][0-9]|2[0-4]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9](\\s*,\\s*(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?\\s+([01][0-9]|2[0-4]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9])*\\s*$", var.business_hours))
    error_message = "business_hours must look like \"mon-fri 09:00-18:00, sat 10:00-14:00\": a day or range of days, then HH:MM-HH:MM in 24-hour local time."
  }

  validation {
    condition     = var.business_hours != "" || var.missed_call_reply_after_hours == ""
    error_message = "business_hours must be set when missed_call_reply_after_hours is (that reply is sent outside those hours)."
  }
}

variable "digest_time" {
  description = "DIGEST_TIME: the time of day (HH:MM in var.timezone) after which the scheduled reconcile run sends yesterday's call digest to operator_chat_id, once a day. Empty: no digest. Needs operator_chat_id (the function refuses to start without it) and reconcile_enabled (the schedule it rides on)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.digest_time == "" || can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.digest_time))
    error_message = "digest_time must be a time of day such as 09:00 (24-hour), or empty."
  }
}

variable "timezone" {
  description = "TIMEZONE: IANA time zone of business_hours and of the days of the report and the digest, e.g. Europe/Berlin."
  type        = string
  default     = "UTC"
  nullable    = false

  validation {
    condition     = can(regex("^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$", var.timezone))
    error_message = "timezone must be an IANA time zone name such as Europe/Berlin or UTC."
  }
}

# --- Reconcile (the call journal against the log; see reconcile.tf) ---------------------------

variable "reconcile_enabled" {
  description = "Run reconcile on a schedule: a private second function invoked by Cloud Scheduler adds the calls GREEN-API's call journal knows and the log lacks."
  type        = bool
  default     = true
  nullable    = false
}

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

variable "reconcile_window" {
  description = "How far back each scheduled run reads the journal, e.g. 90m, 3h, 1d. Longer than the schedule's interval, so runs overlap."
  type        = string
  default     = "3h"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+[smhd]$", var.reconcile_window)) && !can(regex("^0+[smhd]$", var.reconcile_window))
    error_message = "reconcile_window must be a duration such as 90m, 3h or 1d."
  }
}
