# The deployed source: exactly the function/ folder, zipped. The object is named by the zip's hash,
# so any code change uploads a new object and redeploys the function; an unchanged tree does not.
# The same tree must hash the same on every machine, as build/lambda.zip does on AWS: the archive
# provider writes entries in path order with a zero timestamp, output_file_mode drops each file's
# own mode (umask, checkout), and the excludes drop what tools leave behind (byte code, caches,
# the egg-info of an editable install). An exclude is the provider's pattern: `*` is any text,
# matched from the start of the path relative to function/ but not anchored at its end (so no
# "*.pyc": it would also drop a name merely containing "pyc"; byte code lives in __pycache__).
data "archive_file" "function" {
  type             = "zip"
  source_dir       = "${path.module}/../../function"
  output_path      = "${path.module}/build/function.zip"
  output_file_mode = "0644"
  excludes = [
    "*__pycache__*",
    "*.egg-info*",
    "*.mypy_cache*",
    "*.pytest_cache*",
    "*.ruff_cache*",
  ]
}

resource "random_id" "bucket_suffix" {
  byte_length = 4
}

resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Holds only the function's source zip, written by Terraform itself; access logs add nothing.
  #checkov:skip=CKV_GCP_78:Objects are named by content hash and replaced by Terraform; versions would only pile up.
  project  = var.project_id
  name     = "${var.function_name}-src-${random_id.bucket_suffix.hex}"
  location = var.region
  labels   = var.labels

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # Only build inputs live here; destroy removes them with the bucket.
  force_destroy = true

  depends_on = [time_sleep.apis_enabled]
}

resource "google_storage_bucket_object" "source" {
  bucket = google_storage_bucket.source.name
  name   = "function-${data.archive_file.function.output_sha256}.zip"
  source = data.archive_file.function.output_path
}
