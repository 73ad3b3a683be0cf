# The webhook: a Lambda function behind a public Function URL. GREEN-API cannot sign requests,
# so the URL takes unauthenticated calls and the function itself checks WEBHOOK_TOKEN.

locals {
  environment = merge(
    var.environment_variables,
    {
      STORE                    = "dynamodb"
      DYNAMODB_TABLE           = aws_dynamodb_table.calls.name
      CALL_MODE                = var.call_mode
      CONTACT_CACHE_TTL        = var.contact_cache_ttl
      LOG_LEVEL                = var.log_level
      LOG_CHAT_IDS             = var.log_chat_ids
      WEBHOOK_TOKEN_SECRET_ARN = aws_secretsmanager_secret.webhook_token.arn
    },
    # Several instances: each entry of the map has its own id and URL (the function refuses
    # GREEN_API_INSTANCES next to the single-instance settings).
    local.many_instances ? {
      GREEN_API_INSTANCES_SECRET_ARN = aws_secretsmanager_secret.green_api_token.arn
      } : {
      GREEN_API_TOKEN_SECRET_ARN = aws_secretsmanager_secret.green_api_token.arn
      GREEN_API_URL              = var.green_api_url
    },
    var.green_api_id_instance == null ? {} : { GREEN_API_ID_INSTANCE = tostring(var.green_api_id_instance) },
    var.record_retention_days == null ? {} : { RECORD_RETENTION_DAYS = tostring(var.record_retention_days) },
    length(var.call_labels) == 0 ? {} : { CALL_LABELS = jsonencode(var.call_labels) },
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
    # TIMEZONE also sets the days of the report and the digest.
    { TIMEZONE = var.timezone },
    var.business_hours == "" ? {} : { BUSINESS_HOURS = var.business_hours },
    # The digest rides on the scheduled reconcile runs (reconcile.tf).
    var.digest_time == "" ? {} : { DIGEST_TIME = var.digest_time },
  )
}

# Lambda writes to /aws/lambda/<function name>; creating the group here sets its retention.
resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "webhook" {
  function_name                  = var.name
  description                    = "GREEN-API incoming-call logger webhook."
  role                           = aws_iam_role.function.arn
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

  # The function writes one JSON object per line itself (call_logger/logs.py); with the JSON log
  # format Lambda's own START/END/REPORT lines are JSON too, so metric filters read every line.
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  # The role must be able to write logs and read the secrets before the first invocation.
  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function,
  ]
}

resource "aws_lambda_function_url" "webhook" {
  function_name      = aws_lambda_function.webhook.function_name
  authorization_type = "NONE"
  invoke_mode        = "BUFFERED"
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
