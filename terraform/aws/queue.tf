# The scheduled work on SQS: the scheduler's run (reconcile.tf) only dispatches, one message per
# instance, onto this queue; the reconcile function consumes it through an event source mapping,
# at most reconcile_concurrency invocations at once, and reports the tasks that failed
# (batchItemFailures) so that SQS makes only those visible again. A message that keeps failing
# moves to the dead-letter queue after a few receives. A deployment of one instance runs its one
# task in the scheduler's run (the function runs tasks itself without RECONCILE_SQS_QUEUE_URL; it
# is set whenever reconcile is on).

locals {
  # reconcile_concurrency (settings.tf) is the event source mapping's maximum concurrency, which
  # SQS allows from 2 to 1000.
  reconcile_concurrency_range = { min = 2, max = 1000 }
  # AWS's advice for a Lambda consumer: a visibility timeout of six times the function's timeout.
  reconcile_visibility_timeout_seconds = 6 * local.reconcile_timeout_seconds
  reconcile_queue_environment = var.reconcile_enabled ? {
    RECONCILE_SQS_QUEUE_URL = aws_sqs_queue.reconcile[0].url
  } : {}
}

resource "aws_sqs_queue" "reconcile_failed" {
  count = local.reconcile_count

  name                      = "${local.reconcile_name}-failed"
  message_retention_seconds = 1209600 # 14 days, to look at what kept failing
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "reconcile" {
  count = local.reconcile_count

  name                       = "${local.reconcile_name}-tasks"
  visibility_timeout_seconds = local.reconcile_visibility_timeout_seconds
  # A task older than a day is outdated: the next scheduled runs have dispatched it anew.
  message_retention_seconds = 86400
  sqs_managed_sse_enabled   = true

  # Owned by aws_sqs_queue_redrive_policy.reconcile below.
  lifecycle {
    ignore_changes = [redrive_policy]
  }
}

# A task received five times without success (each a failed run of its instance) is set aside.
resource "aws_sqs_queue_redrive_policy" "reconcile" {
  count = local.reconcile_count

  queue_url = aws_sqs_queue.reconcile[0].id
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.reconcile_failed[0].arn
    maxReceiveCount     = 5
  })
}

resource "aws_lambda_event_source_mapping" "reconcile" {
  count = local.reconcile_count

  event_source_arn        = aws_sqs_queue.reconcile[0].arn
  function_name           = aws_lambda_function.background["reconcile"].arn
  batch_size              = 1 # one instance per invocation: the concurrency is the instances'
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.reconcile_concurrency
  }

  depends_on = [aws_iam_role_policy.this]
}
