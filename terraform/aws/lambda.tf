# The webhook: a Lambda function behind a public Function URL. GREEN-API cannot sign requests,
# so the URL takes unauthenticated calls and the function itself checks WEBHOOK_TOKEN.

locals {
  # The settings (settings.tf), where the records are, and where the function reads its secrets
  # at cold start: only their ARNs are in the configuration, never the values.
  environment = merge(local.settings_environment, {
    STORE                                      = "dynamodb"
    DYNAMODB_TABLE                             = aws_dynamodb_table.calls.name
    WEBHOOK_TOKEN_SECRET_ARN                   = aws_secretsmanager_secret.webhook_token.arn
    "${local.green_api_secret.key}_SECRET_ARN" = aws_secretsmanager_secret.green_api_token.arn
  })
  # The functions GREEN-API never calls (reconcile, the events' delivery) need the store and the
  # GREEN-API settings, never the webhook token.
  background_environment = { for key, value in local.environment : key => value if key != "WEBHOOK_TOKEN_SECRET_ARN" }
}

# What `make deploy CLOUD=aws` reads before the apply with `terraform console`
# (`python -m call_logger preflight-aws`): where it goes, the reservation asked for, and every IAM
# role name. The preflight writes the reservation the account can afford to
# build/preflight.tfvars.json, which the apply reads after terraform.tfvars.
locals {
  deploy_facts = {
    name                           = var.name
    region                         = var.region
    function_name                  = var.name
    reserved_concurrent_executions = var.reserved_concurrent_executions
    iam_role_names                 = values(local.iam_role_names)
  }
}

# Lambda writes to /aws/lambda/<function name>; creating the group here sets its retention.
resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "webhook" {
  function_name                  = var.name
  description                    = "GREEN-API incoming-call logger webhook."
  role                           = aws_iam_role.this["function"].arn
  filename                       = var.package_zip
  source_code_hash               = filebase64sha256(var.package_zip)
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = ["x86_64"]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = local.environment
  }

  # The function writes one JSON object per line itself (call_logger/settings/logs.py); with the JSON log
  # format Lambda's own START/END/REPORT lines are JSON too, so metric filters read every line.
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  # The role must be able to write logs and read the secrets before the first invocation.
  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.this,
  ]
}

resource "aws_lambda_function_url" "webhook" {
  function_name      = aws_lambda_function.webhook.function_name
  authorization_type = "NONE"
  invoke_mode        = "BUFFERED"
}

# The functions GREEN-API never calls, from the same zip as the webhook, each with its own log
# group and its execution role (iam.tf: the role's name and its function's own policy come with
# the function): reconcile (reconcile.tf) and the events' delivery (events.tf).
locals {
  background_functions = merge(local.reconcile_function, local.events_function)
}

resource "aws_cloudwatch_log_group" "background" {
  for_each = local.background_functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "background" {
  for_each = local.background_functions

  function_name    = each.value.name
  description      = each.value.description
  role             = aws_iam_role.this[each.key].arn
  filename         = var.package_zip
  source_code_hash = filebase64sha256(var.package_zip)
  handler          = each.value.handler
  runtime          = var.runtime
  architectures    = ["x86_64"]
  memory_size      = var.memory_size
  timeout          = each.value.timeout

  environment {
    variables = each.value.environment
  }

  depends_on = [
    aws_cloudwatch_log_group.background,
    aws_iam_role_policy.this,
  ]
}

# A Function URL with authorization NONE still needs the function's resource policy to let
# everyone call it. The provider's aws_lambda_function_url already adds such a statement
# (Sid FunctionURLAllowPublicAccess) but does not track it; this one is tracked, and uses its own
# Sid so the two never collide. Policy changes are made one after another (depends_on): Lambda
# rejects concurrent updates of one function's policy.
resource "aws_lambda_permission" "function_url" {
  statement_id           = "AllowPublicFunctionUrl"
  function_name          = aws_lambda_function.webhook.function_name
  action                 = "lambda:InvokeFunctionUrl"
  principal              = "*"
  function_url_auth_type = "NONE"

  depends_on = [aws_lambda_function_url.webhook]
}

# Since October 2025 new Function URLs also need lambda:InvokeFunction. AWS scopes that grant with
# the condition lambda:InvokedViaFunctionUrl, which the aws provider exposes only from 6.29
# (invoked_via_function_url = true); with ~> 5.100 it is unconditioned, so any AWS principal may
# also invoke the function directly. The function answers only events carrying the webhook
# token, exactly as for calls through the public URL. Add the condition once on provider 6.29+.
resource "aws_lambda_permission" "function_invoke" {
  statement_id  = "AllowInvokeForFunctionUrl"
  function_name = aws_lambda_function.webhook.function_name
  action        = "lambda:InvokeFunction"
  principal     = "*"

  depends_on = [aws_lambda_permission.function_url]
}
