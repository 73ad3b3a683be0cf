# Addresses renamed since a release: each `moved` block carries a deployed resource's state to
# its new address, so that applying the new version keeps the resource instead of destroying it
# and creating it again. reconcile's metric filters became a map (reconcile.tf); the roles and
# the execution roles' policies became keyed maps (iam.tf); reconcile's function and log group are
# among those of the functions GREEN-API never calls (lambda.tf).

moved {
  from = aws_cloudwatch_log_metric_filter.reconcile_missing_calls[0]
  to   = aws_cloudwatch_log_metric_filter.reconcile["missing-calls"]
}

moved {
  from = aws_iam_role.function
  to   = aws_iam_role.this["function"]
}

moved {
  from = aws_iam_role.reconcile[0]
  to   = aws_iam_role.this["reconcile"]
}

moved {
  from = aws_iam_role.scheduler[0]
  to   = aws_iam_role.this["scheduler"]
}

moved {
  from = aws_iam_role_policy.function
  to   = aws_iam_role_policy.this["function"]
}

moved {
  from = aws_iam_role_policy.reconcile[0]
  to   = aws_iam_role_policy.this["reconcile"]
}

moved {
  from = aws_lambda_function.reconcile[0]
  to   = aws_lambda_function.background["reconcile"]
}

moved {
  from = aws_cloudwatch_log_group.reconcile[0]
  to   = aws_cloudwatch_log_group.background["reconcile"]
}
