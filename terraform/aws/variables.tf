# Inputs of the AWS stack: where and how the function runs. The function's settings (the GREEN-API
# instance, the tokens, what is recorded and sent) are the same for both stacks and declared once,
# in settings.tf (a link to terraform/shared/settings.tf), as are the events' (events_settings.tf)
# and alert_email (alert_settings.tf).

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
    # IAM role and Lambda function names hold at most 64 characters, and the longest name made
    # from this one is the scheduler's role, "<name>-reconcile-scheduler" (iam.tf, local.iam_role_names):
    # 44 + 20 = 64. The preflight checks every derived role name against the same limit.
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,43}$", var.name))
    error_message = "The name must start with a letter and hold at most 44 letters, digits, hyphens or underscores (IAM role names such as <name>-reconcile-scheduler must fit 64 characters)."
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
  description = "Reserved concurrency: at most this many requests run at once, so a flood can neither run up the bill nor starve the account's other functions (GREEN-API resends what is throttled). -1 for none (the account's unreserved pool). Zero, which throttles every request, is refused. AWS refuses a reservation that leaves the account fewer than 100 unreserved (new accounts often have 10 in all): `make deploy CLOUD=aws` checks the account first and deploys unreserved when it cannot spare this."
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

variable "table_deletion_protection" {
  description = "Refuse to delete the DynamoDB table and its records (`make destroy-aws` fails until this is set to false and applied)."
  type        = bool
  default     = true
  nullable    = false
}

# --- Secrets --------------------------------------------------------------------------------

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

# --- Reconcile (see reconcile.tf; reconcile_enabled and reconcile_window are in settings.tf) ---

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
