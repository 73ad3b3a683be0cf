output "webhook_url" {
  description = "Function URL to give GREEN-API as its webhook URL (`make deploy-aws` does it)."
  value       = aws_lambda_function_url.webhook.function_url
}

output "function_name" {
  description = "Lambda function name."
  value       = aws_lambda_function.webhook.function_name
}

output "function_arn" {
  description = "Lambda function ARN."
  value       = aws_lambda_function.webhook.arn
}

output "table_name" {
  description = "DynamoDB table holding the call records."
  value       = aws_dynamodb_table.calls.name
}

output "table_arn" {
  description = "DynamoDB table ARN."
  value       = aws_dynamodb_table.calls.arn
}

output "role_arn" {
  description = "Execution role of the function."
  value       = aws_iam_role.this["function"].arn
}

output "log_group_name" {
  description = "CloudWatch Logs group of the function."
  value       = aws_cloudwatch_log_group.function.name
}

output "webhook_token_secret_arn" {
  description = "Secrets Manager secret holding WEBHOOK_TOKEN."
  value       = aws_secretsmanager_secret.webhook_token.arn
}

output "webhook_token_secret_name" {
  description = "Name of the secret holding WEBHOOK_TOKEN."
  value       = aws_secretsmanager_secret.webhook_token.name
}

output "green_api_token_secret_arn" {
  description = "Secrets Manager secret holding the GREEN-API token, or GREEN_API_INSTANCES with green_api_instances (put a new version to add an instance)."
  value       = aws_secretsmanager_secret.green_api_token.arn
}

output "green_api_token_secret_name" {
  description = "Name of the secret holding the GREEN-API token or GREEN_API_INSTANCES."
  value       = aws_secretsmanager_secret.green_api_token.name
}

output "reconcile_function_name" {
  description = "Lambda function EventBridge Scheduler invokes for reconcile (null when reconcile_enabled is false)."
  value       = try(aws_lambda_function.background["reconcile"].function_name, null)
}

output "reconcile_schedule_name" {
  description = "EventBridge Scheduler schedule of the reconcile runs (null when reconcile_enabled is false)."
  value       = one(aws_scheduler_schedule.reconcile[*].name)
}

output "region" {
  description = "AWS region of the stack (for the backfill in `make deploy-aws`)."
  value       = var.region
}

output "alerts_topic_arn" {
  description = "SNS topic the alarms publish to (empty without alert_email); subscribe more endpoints to it."
  value       = local.alerts ? aws_sns_topic.alerts[0].arn : ""
}
