# Alarms by email through SNS, on when var.alert_email is set (AWS mails a confirmation link
# first). GREEN-API resends a notification for 24 hours and then drops it, so each alarm fires
# within minutes; its description says what broke and what to do.
#
# The function writes one JSON line per notification (docs/operations.md, "Logs"); metric filters count the
# lines of four conditions, and two alarms watch Lambda's own metrics:
#   (a) webhook-5xx      lines with status >= 500 (storage unavailable, failures), 5 minutes running
#   (b) instance-state   event "instance.state" at severity ERROR (logged out, banned, ...)
#   (c) rejected         outcome "rejected" (kept in `rejected`, never recorded)
#   (d) missing-calls    event "reconcile.missing_calls" (reconcile added calls the webhook missed),
#                        in this log group: where reconcile runs in another function, add a filter
#                        on its log group with the same pattern
#   lambda-errors        the function failed (crash, timeout, bad configuration at cold start)
#   url-5xx              the Function URL answered 5xx, 5 minutes running

locals {
  alerts           = var.alert_email != null
  metric_namespace = "GreenCallLogger/${var.name}"

  log_alarms = {
    webhook-5xx = {
      pattern     = "{ $.status >= 500 }"
      periods     = 5
      description = "The webhook has answered 5xx for 5 minutes. GREEN-API resends every minute and drops a notification after 24 hours; calls behind it wait. storage.unavailable lines: DynamoDB cannot be reached (table, region, role). notification.failed lines: the traceback is in `exception`. Nothing is lost meanwhile: the resends are recorded once the cause is fixed."
    }
    instance-state = {
      pattern     = "{ ($.event = \"instance.state\") && ($.severity = \"ERROR\") }"
      periods     = 1
      description = "The GREEN-API instance needs a person (the log line's state and message say which). notAuthorized: scan the QR code in the GREEN-API console. blocked: the number is banned, contact GREEN-API support. yellowCard: sending is restricted before a ban. sleepMode/starting: check the phone's connection. `python -m call_logger status` shows the current state."
    }
    rejected = {
      pattern     = "{ $.outcome = \"rejected\" }"
      periods     = 1
      description = "A notification could never become a record and was kept in `rejected` (item pk REJECTED#..., with its reason and body). GREEN-API got 200, so nothing is resent: find the line (outcome rejected, field reason) and fix the cause, often a GREEN-API format change."
    }
    missing-calls = {
      pattern     = "{ $.event = \"reconcile.missing_calls\" }"
      periods     = 1
      description = "Reconcile found calls in GREEN-API's journal that the webhook never recorded; they are recorded now. Look for storage.unavailable lines and 5xx around their times, and check the instance's webhookUrl with `python -m call_logger configure-instance --check`."
    }
  }

  platform_alarms = {
    lambda-errors = {
      metric      = "Errors"
      period      = 300
      periods     = 1
      description = "The Lambda function failed (an exception it did not handle, a timeout, or a bad setting at cold start: the first log lines of the failing start say which). GREEN-API resends what failed."
    }
    url-5xx = {
      metric      = "Url5xxCount"
      period      = 60
      periods     = 5
      description = "The Function URL has answered 5xx for 5 minutes (the function's own 503s, throttling beyond reserved_concurrent_executions, crashes). See the webhook-5xx alarm and the function's logs."
    }
  }
}

resource "aws_sns_topic" "alerts" {
  count = local.alerts ? 1 : 0

  name = "${var.name}-alerts"
}

resource "aws_sns_topic_subscription" "email" {
  count = local.alerts ? 1 : 0

  topic_arn = aws_sns_topic.alerts[0].arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_cloudwatch_log_metric_filter" "alarms" {
  for_each = local.alerts ? local.log_alarms : {}

  name           = "${var.name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.function.name
  pattern        = each.value.pattern

  metric_transformation {
    name      = each.key
    namespace = local.metric_namespace
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "logs" {
  for_each = local.alerts ? local.log_alarms : {}

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = local.metric_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.alarms[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching" # no line: nothing happened
  alarm_actions       = [aws_sns_topic.alerts[0].arn]
  ok_actions          = [aws_sns_topic.alerts[0].arn]
}

# Lambda's own metrics: failures the function could not log, and what the Function URL answered.
resource "aws_cloudwatch_metric_alarm" "platform" {
  for_each = local.alerts ? local.platform_alarms : {}

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.webhook.function_name }
  statistic           = "Sum"
  period              = each.value.period
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts[0].arn]
  ok_actions          = [aws_sns_topic.alerts[0].arn]
}
