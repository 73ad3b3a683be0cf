# Addresses of the last release renamed since: each `moved` block carries a deployed resource's
# state to its new address, so that applying the new version keeps the resource instead of
# destroying it and creating it again. The service accounts, their grants, the secrets, the
# functions and who may invoke the reconcile function became keyed maps (iam.tf, secrets.tf,
# function.tf, reconcile.tf). An address that never reached a release needs no block (tests/iac
# lists the release's addresses).

moved {
  from = google_service_account.runtime
  to   = google_service_account.this["runtime"]
}

moved {
  from = google_service_account.build
  to   = google_service_account.this["build"]
}

moved {
  from = google_service_account.scheduler[0]
  to   = google_service_account.this["scheduler"]
}

moved {
  from = google_project_iam_member.runtime_datastore_user
  to   = google_project_iam_member.this["runtime_datastore_user"]
}

moved {
  from = google_project_iam_member.build_run_builder
  to   = google_project_iam_member.this["build_run_builder"]
}

moved {
  from = google_secret_manager_secret_iam_member.runtime_webhook_token
  to   = google_secret_manager_secret_iam_member.this["runtime_webhook_token"]
}

moved {
  from = google_secret_manager_secret_iam_member.runtime_green_api_token
  to   = google_secret_manager_secret_iam_member.this["runtime_green_api_token"]
}

moved {
  from = google_secret_manager_secret.webhook_token
  to   = google_secret_manager_secret.this["webhook_token"]
}

moved {
  from = google_secret_manager_secret_version.webhook_token
  to   = google_secret_manager_secret_version.this["webhook_token"]
}

moved {
  from = google_secret_manager_secret.green_api_token
  to   = google_secret_manager_secret.this["green_api_token"]
}

moved {
  from = google_secret_manager_secret_version.green_api_token
  to   = google_secret_manager_secret_version.this["green_api_token"]
}

moved {
  from = google_cloud_run_service_iam_member.scheduler_invoker[0]
  to   = google_cloud_run_service_iam_member.reconcile_invoker["scheduler"]
}

moved {
  from = google_cloudfunctions2_function.webhook
  to   = google_cloudfunctions2_function.this["webhook"]
}

moved {
  from = google_cloudfunctions2_function.reconcile[0]
  to   = google_cloudfunctions2_function.this["reconcile"]
}
