# Reconcile: every `reconcile_schedule`, EventBridge Scheduler invokes a second Lambda function, from
# the same zip (handler lambda_function.reconcile_handler), to add the calls GREEN-API's call
# journal knows and the log lacks (lost webhooks): its run dispatches one task per instance onto
# SQS (queue.tf), which the same function consumes. It has no Function URL and no public permission:
# only the scheduler's role may invoke it. `reconcile_enabled = false` removes all of it.

locals {
  reconcile_count = var.reconcile_enabled ? 1 : 0
  reconcile_name  = "${var.name}-reconcile"
  # A run reads the journal, checks up to 10,000 calls and spends at most 60 s on caller names.
  reconcile_timeout_seconds = 300
}

# The reconcile function's own role: what a run does to the table (batched existence checks, the
# records near a missing call by Query, then the webhook's conditional writes), the GREEN-API
# token, its queue (and its logs, iam.tf).
data "aws_iam_policy_document" "reconcile" {
  count = local.reconcile_count

  statement {
    sid     = "CallTable"
    effect  = "Allow"
    actions = local.call_table_actions
    # The index: with many calls missing, their time span is read from byTime in one query.
    resources = [aws_dynamodb_table.calls.arn, "${aws_dynamodb_table.calls.arn}/index/*"]
  }

  statement {
    sid       = "GreenApiToken"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.green_api_token.arn]
  }

  # Its run puts one task per instance on its queue (queue.tf) ...
  statement {
    sid       = "DispatchTasks"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.reconcile[0].arn]
  }

  # ... and the event source mapping consumes that queue with this role.
  statement {
    sid       = "ConsumeTasks"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.reconcile[0].arn]
  }
}

# The function itself, its log group and role: background["reconcile"] (lambda.tf, iam.tf).
locals {
  reconcile_function = var.reconcile_enabled ? {
    reconcile = {
      name        = local.reconcile_name
      role        = local.iam_role_names.reconcile
      policy      = data.aws_iam_policy_document.reconcile[0].json
      description = "GREEN-API call logger: adds the calls the call journal knows and the log lacks."
      handler     = "lambda_function.reconcile_handler"
      timeout     = local.reconcile_timeout_seconds
      # Where its run puts one task per instance (queue.tf).
      environment = merge(local.background_environment, local.reconcile_queue_environment)
    }
  } : {}
}

# EventBridge Scheduler's role: it may invoke the reconcile function and nothing else.
data "aws_iam_policy_document" "scheduler_assume_role" {
  statement {
    sid     = "SchedulerAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count = local.reconcile_count

  name = "${local.reconcile_name}-invoke"
  role = aws_iam_role.this["scheduler"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokeReconcile"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = aws_lambda_function.background["reconcile"].arn
    }]
  })
}

resource "aws_scheduler_schedule" "reconcile" {
  count = local.reconcile_count

  name                         = local.reconcile_name
  description                  = "Runs the call logger's reconcile over the last ${var.reconcile_window}."
  schedule_expression          = var.reconcile_schedule
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.background["reconcile"].arn
    role_arn = aws_iam_role.this["scheduler"].arn
    input    = jsonencode(local.reconcile_event)

    # A failed run is retried by Lambda's own asynchronous retries; the next run overlaps it.
    retry_policy {
      maximum_retry_attempts = 0
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}

# Lines of three alarms (alerts.tf) come from this function too: reconcile's missing calls, and
# its health check's instance state (a change GREEN-API never notified) and webhook backlog. It
# writes to its own log group, so that group feeds the same metrics.
resource "aws_cloudwatch_log_metric_filter" "reconcile" {
  for_each = local.alerts && var.reconcile_enabled ? toset(["missing-calls", "instance-state", "webhook-backlog"]) : toset([])

  name           = "${local.reconcile_name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.background["reconcile"].name
  pattern        = local.log_alarms[each.key].pattern

  metric_transformation {
    name      = each.key
    namespace = local.metric_namespace
    value     = "1"
  }
}
