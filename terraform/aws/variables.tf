# Inputs. Names of the function's settings follow function/call_logger/config.py, the
# environment variable contract shared with the Google Cloud deployment.

variable "region" {
  description = "AWS region to deploy into, for example eu-central-1."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must be an AWS region name such as eu-central-1."
  }
}

variable "name" {
  description = "Base name of every resource: Lambda function, DynamoDB table, IAM role, log group and secret prefixes."
  type        = string
  default     = "green-call-logger"
  nullable    = false

  validation {
    # 64 is the Lambda and IAM role limit; a few characters are left for the suffixes.
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,47}$", var.name))
    error_message = "The name must start with a letter and hold at most 48 letters, digits, hyphens or underscores."
  }
}

variable "tags" {
  description = "Tags added to every resource, on top of application = green-call-logger."
  type        = map(string)
  default     = {}
  nullable    = false
}

# --- Lambda ---------------------------------------------------------------------------------

variable "package_zip" {
  description = "Path of the deployment zip built by `make lambda-zip` (build/lambda.zip in the repository)."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.package_zip, ".zip") && fileexists(var.package_zip)
    error_message = "The package_zip must be an existing .zip file: run `make lambda-zip` first."
  }
}

variable "handler" {
  description = "Lambda handler, module.function inside the zip."
  type        = string
  default     = "lambda_function.lambda_handler"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "The handler must look like module.function, for example lambda_function.lambda_handler."
  }
}

variable "runtime" {
  description = "Lambda Python runtime."
  type        = string
  default     = "python3.12"
  nullable    = false

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "The runtime must be python3.12 or python3.13."
  }
}

variable "memory_size" {
  description = "Lambda memory in MB (CPU grows with it)."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_size == floor(var.memory_size) && var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "The memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Lambda timeout in seconds. GREEN-API waits a limited time for the webhook answer, so keep it short."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.timeout == floor(var.timeout) && var.timeout >= 1 && var.timeout <= 900
    error_message = "The timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency: at most this many requests run at once, so a flood can neither run up the bill nor starve the account's other functions (GREEN-API resends what is throttled). -1 for none (the account's unreserved pool). Zero, which throttles every request, is refused."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition = (
      var.reserved_concurrent_executions == floor(var.reserved_concurrent_executions)
      && (var.reserved_concurrent_executions == -1 || var.reserved_concurrent_executions >= 1)
    )
    error_message = "The reserved_concurrent_executions must be -1 (unreserved) or a whole number of at least 1."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the function's logs (0 keeps them forever)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition = contains(
      [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653],
      var.log_retention_days,
    )
    error_message = "The log_retention_days must be a CloudWatch Logs retention value: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

# --- DynamoDB -------------------------------------------------------------------------------

variable "record_retention_days" {
  description = "RECORD_RETENTION_DAYS: days personal data is kept before DynamoDB TTL deletes it (attribute expireAt): a record after its call, a chat after its last call, a rejected notification after it arrived. null keeps everything forever and leaves TTL off."
  type        = number
  default     = 365

  validation {
    condition     = var.record_retention_days == null || try(var.record_retention_days == floor(var.record_retention_days) && var.record_retention_days >= 1, false)
    error_message = "The record_retention_days must be null or a whole number of at least 1."
  }
}

variable "table_deletion_protection" {
  description = "Refuse to delete the DynamoDB table and its records (`make destroy-aws` fails until this is set to false and applied)."
  type        = bool
  default     = true
  nullable    = false
}

# --- Function settings ----------------------------------------------------------------------

variable "call_mode" {
  description = "CALL_MODE: which incomingCall statuses become records (all, results, offer or ignore)."
  type        = string
  default     = "all"
  nullable    = false

  validation {
    condition     = contains(["all", "results", "offer", "ignore"], var.call_mode)
    error_message = "The call_mode must be one of all, results, offer, ignore."
  }
}

variable "green_api_id_instance" {
  description = "GREEN_API_ID_INSTANCE: the GREEN-API instance whose notifications are accepted (null accepts any)."
  type        = number
  default     = null

  validation {
    condition     = var.green_api_id_instance == null || try(var.green_api_id_instance == floor(var.green_api_id_instance) && var.green_api_id_instance >= 1, false)
    error_message = "The green_api_id_instance must be null or a whole number of at least 1."
  }
}

variable "green_api_url" {
  description = "GREEN_API_URL: base URL of the GREEN-API host serving the instance."
  type        = string
  default     = "https://api.green-api.com"
  nullable    = false

  validation {
    condition     = can(regex("^https://[^/\\s]+(/[^\\s]*)?$", var.green_api_url))
    error_message = "The green_api_url must be an https:// URL (the API token travels in it), such as https://api.green-api.com."
  }
}

variable "green_api_token" {
  description = "GREEN-API apiTokenInstance of the one instance. Stored in Secrets Manager (and in the Terraform state: keep the state private); the function reads it through GREEN_API_TOKEN_SECRET_ARN. null when green_api_instances names the instances."
  type        = string
  sensitive   = true
  default     = null

  validation {
    condition     = var.green_api_token == null || try(length(trimspace(var.green_api_token)) > 0, false)
    error_message = "The green_api_token must not be empty."
  }
}

variable "green_api_instances" {
  description = "GREEN_API_INSTANCES: several GREEN-API instances in one deployment, keyed by idInstance, each with its apiUrl and apiTokenInstance and optionally a label and its own operatorChatId, missedCallReply, missedCallReplyAfterHours, businessHours and timezone (checked by the function at start, as the deployment-wide settings are). Stored as one Secrets Manager secret that the function reads at each cold start (GREEN_API_INSTANCES_SECRET_ARN). Empty: the one instance of green_api_token."
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
    condition     = alltrue([for id, instance in var.green_api_instances : can(regex("^[1-9][0-9]{0,18}$", id)) && can(regex("^https://[^\\s/]+", instance.apiUrl)) && length(trimspace(instance.apiTokenInstance)) >= 8 && !can(regex("[\\s/?#]", instance.apiTokenInstance))])
    error_message = "The green_api_instances must be keyed by idInstance (digits), each with an https:// apiUrl and an apiTokenInstance of at least 8 characters without spaces."
  }

  validation {
    condition     = length(var.green_api_instances) > 0 ? (var.green_api_id_instance == null && var.green_api_token == null) : var.green_api_token != null
    error_message = "Name the instances either in green_api_instances or with green_api_token (and green_api_id_instance), not both (and not neither)."
  }
}

variable "webhook_token" {
  description = "WEBHOOK_TOKEN that GREEN-API must send with each notification. null generates a 64-hex-digit token, kept across applies."
  type        = string
  sensitive   = true
  default     = null

  validation {
    condition     = var.webhook_token == null || try(length(var.webhook_token) >= 16, false)
    error_message = "The webhook_token must be null (generated) or at least 16 characters long."
  }
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once, otherwise 7 to 30)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "The secret_recovery_window_days must be 0 or from 7 to 30."
  }
}

variable "call_labels" {
  description = "CALL_LABELS overrides: texts keyed by incoming, answered, dropped, missed or unknown. Empty keeps the defaults."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key, text in var.call_labels : contains(["incoming", "answered", "dropped", "missed", "unknown"], key) && length(trimspace(text)) > 0])
    error_message = "The call_labels keys must be among incoming, answered, dropped, missed, unknown, and each text non-empty."
  }
}

variable "contact_cache_ttl" {
  description = "CONTACT_CACHE_TTL: how long a looked-up contact name is reused, such as 90s, 15m, 24h or 7d."
  type        = string
  default     = "24h"
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?[smhd]?$", var.contact_cache_ttl))
    error_message = "The contact_cache_ttl must be a duration such as 90s, 15m, 24h or 7d."
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

variable "environment_variables" {
  description = "Further function settings (for example STORE_TIMEOUT, CONTACT_LOOKUP_BUDGET, OPERATOR_MESSAGE_TEMPLATE). The variables this stack sets itself cannot be overridden here."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = length(setintersection(keys(var.environment_variables), [
      "STORE", "DYNAMODB_TABLE", "CALL_MODE", "GREEN_API_ID_INSTANCE", "GREEN_API_URL", "CALL_LABELS",
      "RECORD_RETENTION_DAYS", "CONTACT_CACHE_TTL", "OPERATOR_CHAT_ID", "WEBHOOK_TOKEN", "GREEN_API_TOKEN",
      "LOG_LEVEL", "LOG_CHAT_IDS",
      "WEBHOOK_TOKEN_SECRET_ARN", "GREEN_API_TOKEN_SECRET_ARN", "GREEN_API_INSTANCES",
      "GREEN_API_INSTANCES_SECRET_ARN",
    ])) == 0
    error_message = "The environment_variables must not set a variable this stack manages (STORE, DYNAMODB_TABLE, CALL_MODE, the tokens, ...): use the dedicated variable."
  }
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
  description = "Run reconcile on a schedule: a second Lambda function, invoked only by EventBridge Scheduler, adds the calls GREEN-API's call journal knows and the log lacks."
  type        = bool
  default     = true
  nullable    = false
}

variable "reconcile_schedule" {
  description = "When reconcile runs: an EventBridge Scheduler expression in UTC, rate(...) or cron(...). Default: hourly."
  type        = string
  default     = "rate(1 hour)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.reconcile_schedule))
    error_message = "reconcile_schedule must be an EventBridge Scheduler expression such as rate(1 hour) or cron(0 * * * ? *)."
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

# --- Logs and alerts ------------------------------------------------------------------------

variable "log_level" {
  description = "LOG_LEVEL: the least severe log lines written: DEBUG, INFO, WARNING, ERROR or CRITICAL."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "The log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  }
}

variable "log_chat_ids" {
  description = "LOG_CHAT_IDS: masked writes callers' chat ids in logs as 7900***4567@c.us; full writes them whole."
  type        = string
  default     = "masked"
  nullable    = false

  validation {
    condition     = contains(["masked", "full"], var.log_chat_ids)
    error_message = "The log_chat_ids must be masked or full."
  }
}

variable "alert_email" {
  description = "Email address subscribed to the alarms' SNS topic (AWS asks it to confirm once). null: no alarms (and no alerting resources)."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "The alert_email must be null or an email address."
  }
}
