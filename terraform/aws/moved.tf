# Addresses renamed since a release: each `moved` block carries a deployed resource's state to
# its new address, so that applying the new version keeps the resource instead of destroying it
# and creating it again. reconcile's metric filters became a map (reconcile.tf); the roles and
# the execution roles' policies became keyed maps (iam.tf).

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
