# The function's execution role: assumable by Lambda only, allowed exactly what the webhook
# does (read and write this table, read its two secrets, write its own logs). No GetItem or
# ConditionCheckItem: reads are BatchGetItem, conditions ride on the writes. No index: only the
# reconcile function and the CLI read byTime (reconcile.tf).

locals {
  # The IAM roles the stack creates, by name: each must fit IAM's 64 characters (var.name's
  # validation, and the preflight through local.deploy_facts). The events' delivery role,
  # "<name>-events-function" (events.tf), is left out: its suffix is shorter than the
  # scheduler's, so var.name's validation alone keeps it within the limit.
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

locals {
  # What the webhook does to the table; the reconcile function does the same (reconcile.tf).
  call_table_actions = [
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
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "CallTable"
    effect    = "Allow"
    actions   = local.call_table_actions
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
}

# The execution roles of the Lambda functions: the webhook's (above) and those of the functions
# GREEN-API never calls (lambda.tf), by function, each with its one policy named as the role.
locals {
  function_roles = merge(
    {
      function = {
        role      = local.iam_role_names.function
        function  = var.name
        policy    = data.aws_iam_policy_document.function.json
        log_group = aws_cloudwatch_log_group.function.arn
      }
    },
    {
      for key, background in local.background_functions : key => {
        role      = background.role
        function  = background.name
        policy    = background.policy
        log_group = aws_cloudwatch_log_group.background[key].arn
      }
    },
  )
}

# Every role of the stack: the execution roles, and EventBridge Scheduler's role for invoking the
# reconcile function (its policy names that function, which waits for the execution roles'
# policies, so it is in reconcile.tf).
resource "aws_iam_role" "this" {
  for_each = merge(
    {
      for key, role in local.function_roles : key => {
        name        = role.role
        description = "Execution role of the ${role.function} Lambda function."
        trust       = data.aws_iam_policy_document.assume_role.json
      }
    },
    var.reconcile_enabled ? {
      scheduler = {
        name        = local.iam_role_names.scheduler
        description = "EventBridge Scheduler's role for invoking ${local.reconcile_name}."
        trust       = data.aws_iam_policy_document.scheduler_assume_role.json
      }
    } : {},
  )

  name               = each.value.name
  description        = each.value.description
  assume_role_policy = each.value.trust
}

# Each execution role's policy: its function's own statements, and the writing of its own logs.
# The log groups are created by Terraform (with their retention), so logs:CreateLogGroup is not
# granted and Lambda cannot recreate one with unlimited retention.
data "aws_iam_policy_document" "execution" {
  for_each = local.function_roles

  source_policy_documents = [each.value.policy]

  statement {
    sid       = "OwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${each.value.log_group}:*"]
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = local.function_roles

  name   = each.value.role
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.execution[each.key].json
}
