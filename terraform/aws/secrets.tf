# The two tokens live in Secrets Manager; the function gets only the secret ARNs and reads the
# values with GetSecretValue at cold start, so neither appears in the Lambda configuration.
# Secret names use a prefix: a destroyed secret keeps its name during its recovery window, and a
# fixed name would block the next deployment.

resource "aws_secretsmanager_secret" "webhook_token" {
  name_prefix             = "${var.name}/webhook-token-"
  description             = "WEBHOOK_TOKEN that GREEN-API sends with each notification to ${var.name}."
  recovery_window_in_days = var.secret_recovery_window_days
}

# The GREEN-API credentials: the one instance's token, or the whole instance map (every
# instance's apiTokenInstance in it). The function reads it at cold start without naming a
# version, so a new version (an instance added) is served from the next cold start.
locals {
  many_instances = length(var.green_api_instances) > 0
}

resource "aws_secretsmanager_secret" "green_api_token" {
  name_prefix             = local.many_instances ? "${var.name}/green-api-instances-" : "${var.name}/green-api-token-"
  description             = local.many_instances ? "GREEN_API_INSTANCES (each instance's apiUrl and apiTokenInstance) used by ${var.name}." : "GREEN-API apiTokenInstance used by ${var.name}."
  recovery_window_in_days = var.secret_recovery_window_days
}

# When var.webhook_token is null the token is generated here: 64 hex digits from two random
# (version 4) UUIDs, 244 random bits drawn by Terraform from the operating system's secure
# generator. uuid() gives a new value at every plan, so the version ignores later changes: the
# token is made once and then kept. A token given in var.webhook_token goes through the other
# version and follows the variable; switching between the two replaces the token (run
# configure-instance again).
#
# Not data "aws_secretsmanager_random_password": it works (also against moto), but the provider
# uses the password as the data source's id, which Terraform prints in every plan and apply log
# ("Read complete after 0s [id=...]"), so the token would end up in CI logs.
resource "aws_secretsmanager_secret_version" "webhook_token_generated" {
  count = var.webhook_token == null ? 1 : 0

  secret_id     = aws_secretsmanager_secret.webhook_token.id
  secret_string = replace("${uuid()}${uuid()}", "-", "")

  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret_version" "webhook_token_given" {
  count = var.webhook_token == null ? 0 : 1

  secret_id     = aws_secretsmanager_secret.webhook_token.id
  secret_string = var.webhook_token
}

resource "aws_secretsmanager_secret_version" "green_api_token" {
  secret_id     = aws_secretsmanager_secret.green_api_token.id
  secret_string = local.many_instances ? jsonencode(var.green_api_instances) : var.green_api_token
}

locals {
  webhook_token = (
    var.webhook_token != null
    ? aws_secretsmanager_secret_version.webhook_token_given[0].secret_string
    : aws_secretsmanager_secret_version.webhook_token_generated[0].secret_string
  )
}
