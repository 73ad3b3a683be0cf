# The function's execution role: assumable by Lambda only, allowed exactly what the webhook
# does (read and write this table, read its two secrets, write its own logs). No GetItem or
# ConditionCheckItem: reads are BatchGetItem, conditions ride on the writes. No index: only the
# reconcile function and the CLI read byTime (reconcile.tf).

locals {
  # Every IAM role the stack creates, by name: each must fit IAM's 64 characters (var.name's
  # validation, and the preflight through local.deploy_facts).
  iam_role_names = {
    function  = "${var.name}-function"
    reconcile = "${local.reconcile_name}-function"
    scheduler = "${local.reconcile_name}-scheduler"
  }
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = local.iam_role_names.function
  description        = "Execution role of the ${var.name} Lambda function."
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "function" {
  statement {
    sid    = "CallTable"
    effect = "Allow"
    actions = [
      # The chat and the record (load), the chat and instance state (load_chat, load_instance).
      "dynamodb:BatchGetItem",
      # A record alone, a rejected notification, an instance state.
      "dynamodb:PutItem",
      # An outgoing message against one chat's records (is_reply): a key query on the table.
      "dynamodb:Query",
      # A record with its chat, atomically (save).
      "dynamodb:TransactWriteItems",
      # The chat probe and summary, a reply noted on its record; also a transaction's Update.
      "dynamodb:UpdateItem",
    ]
    resources = [aws_dynamodb_table.calls.arn]
  }

  statement {
    sid     = "OwnSecrets"
    effect  = "Allow"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.webhook_token.arn,
      aws_secretsmanager_secret.green_api_token.arn,
    ]
  }

  # The log group is created by Terraform (with its retention), so logs:CreateLogGroup is not
  # granted and Lambda cannot recreate it with unlimited retention.
  statement {
    sid     = "OwnLogs"
    effect  = "Allow"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${aws_cloudwatch_log_group.function.arn}:*",
    ]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "${var.name}-function"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}
