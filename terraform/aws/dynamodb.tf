# One on-demand table holds everything the function stores (single-table design):
#   chats     pk = CHAT#{idInstance}_{chatId}   sk = CHAT
#   records   pk = CHAT#{idInstance}_{chatId}   sk = RECORD#{idMessage}_{status}
#   rejected  pk = REJECTED#{sha256}            sk = ...
#   digests   pk = DIGEST#{YYYY-MM-DD}          sk = DIGEST  (the days whose digest was sent)
# An outgoing API message is checked against one chat's records (pk, sk begins_with RECORD#) for
# its replyId: a key query, no index.
# Items that should appear in the recent-calls listing also carry gsi1pk and eventAt (epoch
# seconds), so the byTime index returns them newest first (Query with ScanIndexForward=false);
# records also carry gsi2pk = RECORD#{idInstance} for the byInstance index.
# With record_retention_days set, items carry expireAt (epoch seconds) and DynamoDB TTL deletes
# them after it passes.

resource "aws_dynamodb_table" "calls" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.table_deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "gsi1pk"
    type = "S"
  }

  attribute {
    name = "eventAt"
    type = "N"
  }

  attribute {
    name = "gsi2pk"
    type = "S"
  }

  global_secondary_index {
    name            = "byTime"
    hash_key        = "gsi1pk"
    range_key       = "eventAt"
    projection_type = "ALL"
  }

  # One instance's records by time (gsi2pk = RECORD#{idInstance}): a scheduled task's digest
  # reads its own instance's day, whatever the other instances hold.
  global_secondary_index {
    name            = "byInstance"
    hash_key        = "gsi2pk"
    range_key       = "eventAt"
    projection_type = "ALL"
  }

  # With events on, new outbox items reach the delivery function through the stream (events.tf).
  stream_enabled   = local.events_on
  stream_view_type = local.events_on ? "NEW_IMAGE" : null

  point_in_time_recovery {
    enabled = true
  }

  # Encrypted with the AWS managed key (alias/aws/dynamodb) rather than the default AWS owned
  # key, so key use shows in CloudTrail. The function needs no KMS permission for it.
  server_side_encryption {
    enabled = true
  }

  # Always declared, so that setting record_retention_days back to null turns TTL off again.
  ttl {
    enabled        = var.record_retention_days != null
    attribute_name = var.record_retention_days != null ? "expireAt" : ""
  }
}
