# Firestore layout (written by the function, read by the CLI):
#   chats/{idInstance}_{chatId}                 instanceId, chatId, phone, callerName, lastCallAt, lastLabel,
#                                               lastMissedAt, lastAnsweredAt, lastOutgoingCallAt,
#                                               lastOutgoingMessageAt, awaitingCallback,
#                                               expireAt (only with retention: lastCallAt + retention)
#   chats/{...}/records/{idMessage}_{status}    instanceId, chatId, callId, status, label, callerName,
#                                               eventAt, direction, recordedAt, expireAt (only with retention)
#   rejected/{...}                              notifications that were refused (expireAt with retention)
#   instances/{idInstance}                      instanceId, state, stateChangedAt, wid
#   digests/{YYYY-MM-DD}                        the days whose digest was sent
#   outbox/{webhook-id}                         events not delivered yet (events.tf; expireAt with
#                                               retention)
#
# `calls report` and the digest read the records by `eventAt >= since` (the index below) and chats
# by key. An outgoing API message is checked against one chat's records by `replyId ==` (the
# automatic single-field index at collection scope).
#
# The CLI queries the `records` collection group, so every index here has collection-group scope:
# single-field indexes are automatic only at collection scope.

locals {
  firestore_location = coalesce(var.firestore_location, var.region)
}

resource "google_firestore_database" "this" {
  project     = var.project_id
  name        = var.firestore_database
  location_id = local.firestore_location
  # Native mode; the choice of mode is permanent for a database.
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "OPTIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = var.firestore_point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = var.firestore_delete_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  # With protection on, `terraform destroy` only forgets the database; with it off, destroy deletes
  # it (turn protection off and apply once before destroying).
  deletion_policy = var.firestore_delete_protection ? "ABANDON" : "DELETE"

  depends_on = [time_sleep.apis_enabled]
}

# With delete protection on, `terraform destroy` only forgets the database, so the next apply
# would fail with "already exists". When the database is there already (make deploy's preflight
# finds it and sets firestore_database_exists), Terraform adopts it, records and all. Once it is in
# the state this import is a no-op.
import {
  for_each = var.firestore_database_exists ? toset([var.firestore_database]) : toset([])

  to = google_firestore_database.this
  id = "projects/${var.project_id}/databases/${each.value}"
}

# Query 1: records where eventAt >= since order by eventAt desc, across all chats.
# A field override replaces the inherited settings, so it restates the automatic collection-scope
# indexes next to the collection-group one.
resource "google_firestore_field" "records_event_at" {
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "records"
  field      = "eventAt"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "DESCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "DESCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

# TTL policies, one per collection group holding personal data: Firestore deletes a document some
# time (typically within a day) after its expireAt. The function sets expireAt only when
# RECORD_RETENTION_DAYS is set: a record at its call + retention, a chat (the caller's number and
# name) at its last call + retention, a rejected notification at its arrival + retention.
# expireAt is never queried, so its single-field indexes are switched off (an empty index_config),
# as Google advises for TTL fields written with ever-increasing timestamps.
resource "google_firestore_field" "records_expire_at" {
  count = var.record_retention_days == null ? 0 : 1

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "records"
  field      = "expireAt"

  ttl_config {}
  index_config {}

  # Field overrides on one collection group are applied one at a time to avoid 409 contention.
  depends_on = [google_firestore_field.records_event_at]
}

# One resource per collection group rather than for_each: depends_on chains them, so the TTL
# operations run one after another.
resource "google_firestore_field" "chats_expire_at" {
  count = var.record_retention_days == null ? 0 : 1

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "chats"
  field      = "expireAt"

  ttl_config {}
  index_config {}

  depends_on = [google_firestore_field.records_expire_at]
}

resource "google_firestore_field" "rejected_expire_at" {
  count = var.record_retention_days == null ? 0 : 1

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "rejected"
  field      = "expireAt"

  ttl_config {}
  index_config {}

  depends_on = [google_firestore_field.chats_expire_at]
}

# Outbox documents (events not delivered yet, events.tf) hold chat ids and names: they expire
# with the records.
resource "google_firestore_field" "outbox_expire_at" {
  count = var.record_retention_days != null && local.events_on ? 1 : 0

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = "outbox"
  field      = "expireAt"

  ttl_config {}
  index_config {}

  depends_on = [google_firestore_field.rejected_expire_at]
}

# Query 2 (`calls --chat X`): records where chatId == X and eventAt >= since order by eventAt
# desc, across all chats: an equality and a range on another field need a composite index. Every
# other query is served by the single-field indexes (the one above, and the automatic ones at
# collection scope); `calls --unanswered` filters the statuses itself.
resource "google_firestore_index" "records_by_chat" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = "records"
  query_scope = "COLLECTION_GROUP"

  fields {
    field_path = "chatId"
    order      = "ASCENDING"
  }

  fields {
    field_path = "eventAt"
    order      = "DESCENDING"
  }
}

# Query 3 (a scheduled task's digest): records where instanceId == X and eventAt >= since order by
# eventAt desc: one instance's day, whatever the other instances hold.
resource "google_firestore_index" "records_by_instance" {
  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = "records"
  query_scope = "COLLECTION_GROUP"

  fields {
    field_path = "instanceId"
    order      = "ASCENDING"
  }

  fields {
    field_path = "eventAt"
    order      = "DESCENDING"
  }
}

# Stacks applied when the index was declared in a map keep it as it is (an index takes minutes
# to build, during which `calls --chat` fails).
moved {
  from = google_firestore_index.records["chat_id"]
  to   = google_firestore_index.records_by_chat
}
