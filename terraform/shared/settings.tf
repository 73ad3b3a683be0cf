# The function's settings: the one contract both stacks deploy. terraform/gcp/settings.tf and
# terraform/aws/settings.tf are symbolic links to this file, so each stack takes the same inputs,
# refuses the same values and turns them into the same environment (local.settings_environment,
# named as function/call_logger/settings/config.py reads it). Only a root module's own files can declare the
# variables a user sets, hence a link rather than a module. What differs between the clouds (where
# the function runs, its store, its secrets) stays in each stack.
#
# The validations mirror what config.py accepts, so a bad value fails at plan time instead of
# crashing the deployed function. Null-tolerant ones use `cond ? ... : ...` rather than `||`:
# Terraform before 1.12 does not short-circuit `||`, so `var.x == null || var.x > 0` fails on null.

# What a valid value looks like, where several settings (and events_settings.tf) take the same
# kind of value. Terraform has no functions of its own, so a shared rule is a pattern or a list.
locals {
  https_url_pattern = "^https://[^/\\s]+(/[^\\s]*)?$"
  # An apiTokenInstance travels in a URL path, a webhook token in an HTTP header.
  api_token_pattern     = "^[^\\s/?#]{8,}$"
  webhook_token_pattern = "^[A-Za-z0-9._~+/=-]{24,}$"
  # 90s, 15m, 24h, 7d or 1.5h (a bare number is seconds), as settings/parse.py reads one.
  duration_pattern      = "^[0-9]+(\\.[0-9]+)?[smhd]?$"
  zero_duration_pattern = "^[0.]+[smhd]?$"
  # The statuses of an incomingCall notification, and what a reply's text may fill in.
  call_statuses      = ["offer", "pickUp", "hungUp", "hangUp", "missed", "declined"]
  reply_placeholders = ["name", "phone", "chat_id", "label"]
  # business_hours: a day or range of days, then HH:MM-HH:MM.
  opening_hours_pattern = "(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?\\s+([01][0-9]|2[0-4]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]"
}

# --- The GREEN-API instance(s) -------------------------------------------------------------

variable "green_api_id_instance" {
  description = "GREEN_API_ID_INSTANCE: the idInstance of the one GREEN-API instance whose calls are logged (notifications of any other instance are refused). null when green_api_instances names the instances."
  type        = number
  default     = null

  validation {
    condition     = var.green_api_id_instance == null ? true : (floor(var.green_api_id_instance) == var.green_api_id_instance && var.green_api_id_instance >= 1 && var.green_api_id_instance < 10000000000000000000)
    error_message = "green_api_id_instance must be null or a whole number of at most 19 digits (the instance's idInstance)."
  }
}

variable "green_api_url" {
  description = "GREEN_API_URL: the one instance's apiUrl, shown in the GREEN-API console (each entry of green_api_instances has its own apiUrl)."
  type        = string
  default     = "https://api.green-api.com"
  nullable    = false

  validation {
    condition     = can(regex(local.https_url_pattern, var.green_api_url))
    error_message = "green_api_url must be an https:// URL such as https://api.green-api.com (the API token travels in it)."
  }
}

variable "green_api_token" {
  description = "GREEN_API_TOKEN: the one instance's apiTokenInstance (GREEN-API console), kept in the cloud's secret store (and in the Terraform state: keep the state private). Needed with green_api_id_instance: the function uses it for caller names and messages, and `make deploy` uses it to point the instance at the webhook. null when green_api_instances names the instances."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.green_api_token == null ? true : can(regex(local.api_token_pattern, var.green_api_token))
    error_message = "green_api_token must be the instance's apiTokenInstance: at least 8 characters, without spaces (it travels in a URL path)."
  }
}

variable "green_api_instances" {
  description = "GREEN_API_INSTANCES: several GREEN-API instances in one deployment, keyed by idInstance, each with its apiUrl and apiTokenInstance and optionally its own webhookUrlToken (null: 64 hex digits are generated once per instance and kept across applies; GREEN-API sends it, and a request is accepted only with the token of the instance it names), a label and its own operatorChatId, missedCallReply, missedCallReplyAfterHours, businessHours, timezone, callbackTarget, webhookBacklogAlert, eventsUrl, eventsSecret, missedCallReplyMaxPerHour and operatorNotifyMaxPerHour (checked by the function at start, as the deployment-wide settings are). Kept as one secret that the function reads at each cold start. Empty: the one instance of green_api_id_instance and green_api_token."
  type = map(object({
    apiUrl                    = string
    apiTokenInstance          = string
    webhookUrlToken           = optional(string)
    label                     = optional(string)
    operatorChatId            = optional(string)
    missedCallReply           = optional(string)
    missedCallReplyAfterHours = optional(string)
    businessHours             = optional(string)
    timezone                  = optional(string)
    missedCallReplyMaxPerHour = optional(string)
    operatorNotifyMaxPerHour  = optional(string)
    callbackTarget            = optional(string)
    webhookBacklogAlert       = optional(string)
    eventsUrl                 = optional(string)
    eventsSecret              = optional(string)
  }))
  default   = {}
  nullable  = false
  sensitive = true

  validation {
    condition     = alltrue([for id, instance in var.green_api_instances : can(regex("^[1-9][0-9]{0,18}$", id)) && can(regex(local.https_url_pattern, instance.apiUrl)) && can(regex(local.api_token_pattern, instance.apiTokenInstance))])
    error_message = "green_api_instances must be keyed by idInstance (digits), each with an https:// apiUrl and an apiTokenInstance of at least 8 characters without spaces."
  }

  validation {
    condition     = alltrue([for id, instance in var.green_api_instances : instance.webhookUrlToken == null ? true : can(regex(local.webhook_token_pattern, instance.webhookUrlToken))])
    error_message = "Each webhookUrlToken of green_api_instances must be null or at least 24 characters of letters, digits or ._~+/=- (it travels in an HTTP header)."
  }

  # Without an instance id the function would accept any instance's notifications and could look
  # up no names: one instance is named by its id and token, several by the map, never both.
  validation {
    condition     = length(var.green_api_instances) > 0 ? (var.green_api_id_instance == null && var.green_api_token == null) : (var.green_api_id_instance != null && var.green_api_token != null)
    error_message = "Name the instances either in green_api_instances or with green_api_id_instance and green_api_token, not both (and not neither)."
  }
}

variable "webhook_token" {
  description = "WEBHOOK_TOKEN: the bearer token GREEN-API sends (the instance's webhookUrlToken). null: 64 hex digits are generated once and kept across applies."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.webhook_token == null ? true : can(regex(local.webhook_token_pattern, var.webhook_token))
    error_message = "webhook_token must be null or at least 24 characters of letters, digits or ._~+/=- (it travels in an HTTP header)."
  }
}

# --- What the function records -------------------------------------------------------------

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

variable "record_retention_days" {
  description = "RECORD_RETENTION_DAYS: delete personal data this many days after it was last needed (the store's TTL on expireAt: a record after its call, a chat after its last call, a rejected notification after it arrived). null keeps everything forever."
  type        = number
  default     = 365

  validation {
    condition     = var.record_retention_days == null ? true : (floor(var.record_retention_days) == var.record_retention_days && var.record_retention_days >= 1 && var.record_retention_days <= 36500)
    error_message = "record_retention_days must be null or a whole number of days from 1 to 36500."
  }
}

variable "contact_cache_ttl" {
  description = "CONTACT_CACHE_TTL: how long a caller's name from getContactInfo is reused, e.g. 90s, 15m, 24h, 7d."
  type        = string
  default     = "24h"
  nullable    = false

  validation {
    condition     = can(regex(local.duration_pattern, var.contact_cache_ttl))
    error_message = "contact_cache_ttl must be a duration such as 90s, 15m, 24h or 7d."
  }
}

# --- Messages sent for a recorded call (docs/configuration.md: "Automatic reply to a missed call")

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

variable "operator_notify_on" {
  description = "OPERATOR_NOTIFY_ON: the call statuses that send OPERATOR_CHAT_ID a notice, e.g. [\"offer\", \"missed\", \"declined\", \"hungUp\"]."
  type        = list(string)
  default     = ["offer"]
  nullable    = false

  validation {
    condition     = length(var.operator_notify_on) > 0 && alltrue([for status in var.operator_notify_on : contains(local.call_statuses, status)])
    error_message = "operator_notify_on must list statuses among offer, pickUp, hungUp, missed, declined."
  }
}

variable "missed_call_reply" {
  description = "MISSED_CALL_REPLY: WhatsApp message sent to a caller whose call was missed; {name}, {phone}, {chat_id} and {label} are filled in. Empty: no reply."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.missed_call_reply) <= 19000 && alltrue([for match in regexall("\\{([^{}]*)\\}", var.missed_call_reply) : contains(local.reply_placeholders, match[0])])
    error_message = "missed_call_reply may use only {name}, {phone}, {chat_id} and {label}, and at most 19000 characters."
  }
}

variable "missed_call_reply_after_hours" {
  description = "MISSED_CALL_REPLY_AFTER_HOURS: the reply to a call outside business_hours (needs business_hours). Empty: no reply then."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = length(var.missed_call_reply_after_hours) <= 19000 && alltrue([for match in regexall("\\{([^{}]*)\\}", var.missed_call_reply_after_hours) : contains(local.reply_placeholders, match[0])])
    error_message = "missed_call_reply_after_hours may use only {name}, {phone}, {chat_id} and {label}, and at most 19000 characters."
  }
}

variable "missed_call_reply_on" {
  description = "MISSED_CALL_REPLY_ON: the call statuses that get the reply."
  type        = list(string)
  default     = ["missed", "declined", "hungUp"]
  nullable    = false

  validation {
    condition     = length(var.missed_call_reply_on) > 0 && alltrue([for status in var.missed_call_reply_on : contains(local.call_statuses, status)])
    error_message = "missed_call_reply_on must list statuses among offer, pickUp, hungUp, missed, declined."
  }
}

variable "missed_call_reply_cooldown" {
  description = "MISSED_CALL_REPLY_COOLDOWN: at most one reply per chat in this time, e.g. 12h."
  type        = string
  default     = "12h"
  nullable    = false

  validation {
    condition     = can(regex(local.duration_pattern, var.missed_call_reply_cooldown))
    error_message = "missed_call_reply_cooldown must be a duration such as 90s, 15m, 12h or 7d."
  }
}

variable "missed_call_reply_max_age" {
  description = "MISSED_CALL_REPLY_MAX_AGE: no reply to a call that ended longer ago than this, e.g. 15m."
  type        = string
  default     = "15m"
  nullable    = false

  validation {
    condition     = can(regex(local.duration_pattern, var.missed_call_reply_max_age)) && !can(regex(local.zero_duration_pattern, var.missed_call_reply_max_age))
    error_message = "missed_call_reply_max_age must be a duration above zero such as 90s, 15m or 1h."
  }
}

variable "missed_call_reply_max_per_hour" {
  description = "MISSED_CALL_REPLY_MAX_PER_HOUR: at most this many automatic replies per instance in any rolling hour (null: the function's default, 30), counted across all function instances; past it a call is recorded without a reply (its record's cappedBy says why) and a WARNING (event send.capped) names the cap once an hour. An entry of green_api_instances may set its own (missedCallReplyMaxPerHour)."
  type        = number
  default     = null

  validation {
    condition     = var.missed_call_reply_max_per_hour == null ? true : (floor(var.missed_call_reply_max_per_hour) == var.missed_call_reply_max_per_hour && var.missed_call_reply_max_per_hour >= 1 && var.missed_call_reply_max_per_hour <= 1000)
    error_message = "missed_call_reply_max_per_hour must be null or a whole number from 1 to 1000."
  }
}

variable "operator_notify_max_per_hour" {
  description = "OPERATOR_NOTIFY_MAX_PER_HOUR: at most this many operator notices per instance in any rolling hour (null: the function's default, 60), counted as missed_call_reply_max_per_hour is. An entry of green_api_instances may set its own (operatorNotifyMaxPerHour)."
  type        = number
  default     = null

  validation {
    condition     = var.operator_notify_max_per_hour == null ? true : (floor(var.operator_notify_max_per_hour) == var.operator_notify_max_per_hour && var.operator_notify_max_per_hour >= 1 && var.operator_notify_max_per_hour <= 1000)
    error_message = "operator_notify_max_per_hour must be null or a whole number from 1 to 1000."
  }
}

variable "business_hours" {
  description = "BUSINESS_HOURS: opening hours in local time of var.timezone, e.g. \"mon-fri 09:00-18:00, sat 10:00-14:00\". Empty: always open."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.business_hours == "" || can(regex("^(?i)\\s*${local.opening_hours_pattern}(\\s*,\\s*${local.opening_hours_pattern})*\\s*$", var.business_hours))
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

  validation {
    condition     = var.digest_time == "" || (var.reconcile_enabled && (var.operator_chat_id != "" || length(var.green_api_instances) > 0))
    error_message = "digest_time needs reconcile_enabled (the digest rides on its runs) and operator_chat_id (or green_api_instances with operatorChatId): the chat it is sent to."
  }
}

variable "callback_target" {
  description = "CALLBACK_TARGET: the call-back SLA of the report and the digest: a missed caller should be called or written back within this, e.g. 1h or 30m."
  type        = string
  default     = "1h"
  nullable    = false

  validation {
    condition     = can(regex(local.duration_pattern, var.callback_target)) && !can(regex(local.zero_duration_pattern, var.callback_target))
    error_message = "callback_target must be a duration above zero such as 30m, 1h or 1d."
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

# --- The instances' health and settings -----------------------------------------------------

variable "webhook_backlog_alert" {
  description = "WEBHOOK_BACKLOG_ALERT: the scheduled run's health check alerts when more than this many notifications wait in an instance's webhook queue (GREEN-API's getWebhooksCount): deliveries fail or are too slow. null: the function's default, 100. An entry of green_api_instances may set its own (webhookBacklogAlert)."
  type        = number
  default     = null

  validation {
    condition     = var.webhook_backlog_alert == null ? true : (floor(var.webhook_backlog_alert) == var.webhook_backlog_alert && var.webhook_backlog_alert >= 0)
    error_message = "webhook_backlog_alert must be null or a whole number of notifications, 0 or more."
  }
}

variable "keep_incoming_webhook" {
  description = "Leave the instance's incomingWebhook on when `make deploy` configures it (configure-instance --keep-incoming-webhook). Only an instance on a GREEN-API release before 5.44.37.12 (2026-07-30) needs it to receive calls; otherwise it sends every incoming chat message to the function, one paid invocation each, none of which records a call."
  type        = bool
  default     = false
  nullable    = false
}

# `make deploy` reads these (`terraform output -raw`, so never null) to point the instance(s) at
# the function with configure-instance, and to configure them as the function reads them: the
# message webhooks only when the function counts messages as call-backs.
output "webhook_token" {
  description = "WEBHOOK_TOKEN, the instance's webhookUrlToken (each entry of green_api_instances has its own)."
  value       = local.webhook_token
  sensitive   = true
}

output "green_api_id_instance" {
  description = "GREEN_API_ID_INSTANCE, as text (empty with green_api_instances)."
  value       = var.green_api_id_instance == null ? "" : tostring(var.green_api_id_instance)
}

output "green_api_url" {
  description = "GREEN_API_URL of the one instance."
  value       = var.green_api_url
}

output "green_api_token" {
  description = "GREEN_API_TOKEN of the one instance (empty with green_api_instances)."
  value       = local.many_instances ? "" : var.green_api_token
  sensitive   = true
}

output "green_api_instances" {
  description = "GREEN_API_INSTANCES, for `configure-instance --all`, as the function's secret holds it (empty with a single instance)."
  value       = local.many_instances ? local.green_api_secret.data : ""
  sensitive   = true
}

output "keep_incoming_webhook" {
  description = "Whether configure-instance leaves incomingWebhook on (var.keep_incoming_webhook)."
  value       = var.keep_incoming_webhook
}

output "callback_by_message" {
  description = "The function's CALLBACK_BY_MESSAGE (environment_variables; the function's default, true, when unset)."
  value       = lookup(var.environment_variables, "CALLBACK_BY_MESSAGE", "true")
}

# --- Logs and the rest -----------------------------------------------------------------------

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

variable "environment_variables" {
  description = "Further function settings without a variable of their own (for example STORE_TIMEOUT, CONTACT_LOOKUP_BUDGET, OPERATOR_MESSAGE_TEMPLATE). The settings the stacks set themselves cannot be overridden here."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = length(setintersection(keys(var.environment_variables), [
      # Set from the variables above (local.settings_environment) ...
      "CALL_MODE", "CALL_LABELS", "RECORD_RETENTION_DAYS", "CONTACT_CACHE_TTL",
      "GREEN_API_ID_INSTANCE", "GREEN_API_URL", "GREEN_API_TOKEN", "GREEN_API_INSTANCES", "WEBHOOK_TOKEN",
      "OPERATOR_CHAT_ID", "OPERATOR_NOTIFY_ON", "MISSED_CALL_REPLY", "MISSED_CALL_REPLY_AFTER_HOURS",
      "MISSED_CALL_REPLY_ON", "MISSED_CALL_REPLY_COOLDOWN", "MISSED_CALL_REPLY_MAX_AGE",
      "MISSED_CALL_REPLY_MAX_PER_HOUR", "OPERATOR_NOTIFY_MAX_PER_HOUR",
      "BUSINESS_HOURS", "TIMEZONE", "DIGEST_TIME", "CALLBACK_TARGET", "LOG_LEVEL", "LOG_CHAT_IDS",
      "WEBHOOK_BACKLOG_ALERT", "KEEP_INCOMING_WEBHOOK",
      "EVENTS_URL", "EVENTS_SECRET", "EVENTS_SECRET_SECRET_ARN",
      # ... and by each stack: where the records and the secrets are.
      "STORE", "GOOGLE_CLOUD_PROJECT", "FIRESTORE_DATABASE", "DYNAMODB_TABLE",
      "WEBHOOK_TOKEN_SECRET_ARN", "GREEN_API_TOKEN_SECRET_ARN", "GREEN_API_INSTANCES_SECRET_ARN",
    ])) == 0
    error_message = "environment_variables must not set a setting the stack manages (CALL_MODE, the tokens, the store, ...): use its own variable."
  }
}

# --- Reconcile (the call journal against the log) ------------------------------------------

variable "reconcile_enabled" {
  description = "Run reconcile on a schedule (reconcile_schedule): a private second function adds the calls GREEN-API's call journal knows and the log lacks."
  type        = bool
  default     = true
  nullable    = false
}

variable "reconcile_window" {
  description = "How far back each scheduled reconcile run reads the journal, e.g. 90m, 3h, 1d. Longer than the schedule's interval, so runs overlap."
  type        = string
  default     = "3h"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+[smhd]$", var.reconcile_window)) && !can(regex("^0+[smhd]$", var.reconcile_window))
    error_message = "reconcile_window must be a duration such as 90m, 3h or 1d."
  }
}

# Each stack bounds it by what its queue allows: local.reconcile_concurrency_range, in
# terraform/aws/queue.tf and terraform/gcp/tasks.tf.
variable "reconcile_concurrency" {
  description = "How many instances' scheduled tasks (reconcile, state check, digest) run at once: the cloud queue's concurrency (on AWS the SQS event source mapping's maximum concurrency; on Google Cloud the Cloud Tasks queue's max_concurrent_dispatches and the reconcile function's maximum instances)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = floor(var.reconcile_concurrency) == var.reconcile_concurrency && var.reconcile_concurrency >= local.reconcile_concurrency_range.min && var.reconcile_concurrency <= local.reconcile_concurrency_range.max
    error_message = "reconcile_concurrency must be a whole number from ${local.reconcile_concurrency_range.min} to ${local.reconcile_concurrency_range.max}."
  }
}

# --- What the settings become --------------------------------------------------------------

locals {
  many_instances = length(var.green_api_instances) > 0

  # The GREEN-API credentials, one secret either way: the one instance's token, or the whole
  # instance map (every instance's apiTokenInstance in it). `key` is the setting that carries it.
  green_api_secret = local.many_instances ? {
    key  = "GREEN_API_INSTANCES"
    name = "green-api-instances"
    data = jsonencode(local.green_api_instances)
    } : {
    key  = "GREEN_API_TOKEN"
    name = "green-api-token"
    data = var.green_api_token
  }

  webhook_token = var.webhook_token != null ? var.webhook_token : terraform_data.generated_webhook_token[0].output

  # Each instance its own webhookUrlToken: the one given, else the one generated for it. A client
  # reads its own back with getSettings; it opens no other client's instance.
  green_api_instances = {
    for id, instance in var.green_api_instances : id => merge(instance, {
      webhookUrlToken = instance.webhookUrlToken != null ? instance.webhookUrlToken : terraform_data.generated_instance_token[id].output
    })
  }

  # The event function/call_logger/flows/scheduled.py recognises; the window lives only here.
  reconcile_event = { action = "reconcile", since = var.reconcile_window }

  # The plain settings (never a secret), named as config.py reads them. Optional ones are left
  # out when unset, so the function's own defaults apply.
  settings_environment = merge(
    var.environment_variables,
    {
      CALL_MODE         = var.call_mode
      CONTACT_CACHE_TTL = var.contact_cache_ttl
      LOG_LEVEL         = var.log_level
      LOG_CHAT_IDS      = var.log_chat_ids
      # TIMEZONE also sets the days of the report and the digest.
      TIMEZONE = var.timezone
    },
    # One instance: its id and URL; several: each entry of the map has its own (the function
    # refuses both at once).
    local.many_instances ? {} : {
      GREEN_API_ID_INSTANCE = tostring(var.green_api_id_instance)
      GREEN_API_URL         = var.green_api_url
    },
    length(var.call_labels) == 0 ? {} : { CALL_LABELS = jsonencode(var.call_labels) },
    var.record_retention_days == null ? {} : { RECORD_RETENTION_DAYS = tostring(var.record_retention_days) },
    # Messages: their settings only when they are on (the function's defaults are the same).
    var.operator_chat_id == "" ? {} : {
      OPERATOR_CHAT_ID   = var.operator_chat_id
      OPERATOR_NOTIFY_ON = join(",", var.operator_notify_on)
    },
    var.missed_call_reply == "" && var.missed_call_reply_after_hours == "" ? {} : {
      MISSED_CALL_REPLY             = var.missed_call_reply
      MISSED_CALL_REPLY_AFTER_HOURS = var.missed_call_reply_after_hours
      MISSED_CALL_REPLY_ON          = join(",", var.missed_call_reply_on)
      MISSED_CALL_REPLY_COOLDOWN    = var.missed_call_reply_cooldown
      MISSED_CALL_REPLY_MAX_AGE     = var.missed_call_reply_max_age
    },
    var.business_hours == "" ? {} : { BUSINESS_HOURS = var.business_hours },
    # The caps on sends per instance and rolling hour (unset: the function's defaults).
    var.missed_call_reply_max_per_hour == null ? {} : { MISSED_CALL_REPLY_MAX_PER_HOUR = tostring(var.missed_call_reply_max_per_hour) },
    var.operator_notify_max_per_hour == null ? {} : { OPERATOR_NOTIFY_MAX_PER_HOUR = tostring(var.operator_notify_max_per_hour) },
    # The digest rides on the scheduled reconcile runs.
    var.digest_time == "" ? {} : { DIGEST_TIME = var.digest_time },
    # The function's own default otherwise.
    var.callback_target == "1h" ? {} : { CALLBACK_TARGET = var.callback_target },
    var.webhook_backlog_alert == null ? {} : { WEBHOOK_BACKLOG_ALERT = tostring(var.webhook_backlog_alert) },
    local.events_environment,
  )
}

# The webhook token when var.webhook_token is null: 64 hex digits from two random (version 4)
# UUIDs, 244 random bits drawn by Terraform from the operating system's secure generator, with no
# provider to download. uuid() gives a new value at every plan, so later changes are ignored: the
# token is made once and then kept. Setting webhook_token, or unsetting it, replaces the token
# (`make deploy` points the instance at the new one).
resource "terraform_data" "generated_webhook_token" {
  count = var.webhook_token == null ? 1 : 0

  input = sensitive(replace("${uuid()}${uuid()}", "-", ""))

  lifecycle {
    ignore_changes = [input]
  }
}

# Each instance's webhookUrlToken when its entry gives none: made as the single token is (above),
# one per idInstance, and kept across applies. An instance added gets its own; one removed takes
# its token with it. The ids are not secret (the map is, for its API tokens).
resource "terraform_data" "generated_instance_token" {
  for_each = nonsensitive(toset([for id, instance in var.green_api_instances : id if instance.webhookUrlToken == null]))

  input = sensitive(replace("${uuid()}${uuid()}", "-", ""))

  lifecycle {
    ignore_changes = [input]
  }
}
