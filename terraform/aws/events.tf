# Events (docs/events.md): each event is an outbox item (pk OUTBOX#{eventId}) written in the same
# transaction as the record it tells of. The table's stream (NEW_IMAGE, dynamodb.tf) brings each
# new outbox item to a third Lambda function from the same zip (handler
# lambda_function.events_handler), which POSTs it, signed, to the instance's EVENTS_URL and
# removes it once taken. A batch it cannot deliver is retried by the event source mapping from
# the first event not taken (ReportBatchItemFailures, bisection) until the stream record is a day
# old; then the mapping sends the batch's description to the dead-letter queue, where a person
# sees it (and the alarm below, with alert_email). The outbox item itself stays, marked failed,
# for `python -m call_logger events list --failed`. All of it exists only with events on
# (events_url, or an eventsUrl in green_api_instances).

locals {
  events_name = "${var.name}-events"
  # Stream records live a day: so long are events retried, as docs/events.md says.
  events_retry_seconds = 86400
}

resource "aws_secretsmanager_secret" "events_secret" {
  count = local.events_count

  name_prefix             = "${var.name}/events-secret-"
  description             = "EVENTS_SECRET: the key ${var.name} signs its events with (Standard Webhooks)."
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "events_secret" {
  count = local.events_count

  secret_id     = aws_secretsmanager_secret.events_secret[0].id
  secret_string = local.events_secret
}

# The dead-letter place: what the mapping gave up on (shard, sequence numbers, the reason), kept
# 14 days, encrypted.
resource "aws_sqs_queue" "events_dead_letter" {
  count = local.events_count

  name                      = "${local.events_name}-dead-letter"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "events" {
  count = local.events_count

  statement {
    sid    = "Outbox"
    effect = "Allow"
    actions = [
      "dynamodb:BatchGetItem", # the outbox item and whether its receiver is gone
      "dynamodb:UpdateItem",   # an attempt noted, or the event marked failed
      "dynamodb:DeleteItem",   # a delivered event removed
      "dynamodb:PutItem",      # a receiver that answered 410 Gone
    ]
    resources = [aws_dynamodb_table.calls.arn]
  }

  statement {
    sid    = "Stream"
    effect = "Allow"
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
    ]
    resources = [aws_dynamodb_table.calls.stream_arn]
  }

  statement {
    sid       = "DeadLetter"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events_dead_letter[0].arn]
  }

  statement {
    sid     = "Secrets"
    effect  = "Allow"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.events_secret[0].arn,
      aws_secretsmanager_secret.green_api_token.arn, # the instance map: each one's own eventsUrl
    ]
  }
}

# The delivery function itself, its log group and role: background["events"] (lambda.tf, iam.tf).
locals {
  events_function = local.events_on ? {
    events = {
      name        = local.events_name
      role        = "${local.events_name}-function"
      policy      = data.aws_iam_policy_document.events[0].json
      description = "GREEN-API call logger: delivers the outbox's events, signed, to EVENTS_URL."
      handler     = "lambda_function.events_handler"
      # A batch of up to 10 attempts of at most 10 s each (event_delivery.ATTEMPT_TIMEOUT).
      timeout = 120
      # The store and instance settings, as reconcile has them, and the signing key's ARN: this
      # function alone reads EVENTS_SECRET.
      environment = merge(
        local.background_environment,
        { EVENTS_SECRET_SECRET_ARN = aws_secretsmanager_secret.events_secret[0].arn },
      )
    }
  } : {}
}

resource "aws_lambda_event_source_mapping" "events" {
  count = local.events_count

  function_name     = aws_lambda_function.background["events"].arn
  event_source_arn  = aws_dynamodb_table.calls.stream_arn
  starting_position = "LATEST"
  batch_size        = 10
  # Ten batches of a shard at once (order is kept per item key, and each event has its own):
  # a receiver that keeps failing holds back fewer of the events behind it.
  parallelization_factor = 10

  # Only new outbox items start the function: records, chats and deletions never do.
  filter_criteria {
    filter {
      pattern = jsonencode({
        eventName = ["INSERT"]
        dynamodb  = { Keys = { sk = { S = ["OUTBOX"] } } }
      })
    }
  }

  # The handler reports the first event not taken; the batch is retried from it, split in two
  # on a failing function, until the record is a day old.
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = -1
  maximum_record_age_in_seconds  = local.events_retry_seconds

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.events_dead_letter[0].arn
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "events_dead_letter" {
  count = local.alerts ? local.events_count : 0

  alarm_name          = "${local.events_name}-dead-letter"
  alarm_description   = "Events were given up after a day of retries (or the delivery function kept failing). `python -m call_logger events list --failed` lists them; the receiver's log lines (event event.delivery) say why. Fix the receiver, or its EVENTS_URL."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.events_dead_letter[0].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts[0].arn]
  ok_actions          = [aws_sns_topic.alerts[0].arn]
}

output "events_function_name" {
  description = "The Lambda function that delivers events (empty without events)."
  value       = local.events_on ? aws_lambda_function.background["events"].function_name : ""
}

output "events_dead_letter_queue_url" {
  description = "The SQS queue of what the stream mapping gave up on (empty without events)."
  value       = local.events_on ? aws_sqs_queue.events_dead_letter[0].url : ""
}
