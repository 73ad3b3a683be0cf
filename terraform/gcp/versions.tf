terraform {
  # Cross-variable validation blocks (max >= min instances, concurrency needs a whole CPU) need 1.9;
  # an import block with for_each (firestore.tf) needs 1.7.
  required_version = ">= 1.9, < 2.0"

  # Exact versions, the ones .terraform.lock.hcl holds with hashes for every platform (copied from
  # public lock files: `terraform providers lock` needs the registry). A new version: change it
  # here and run `terraform providers lock -platform=linux_amd64 -platform=darwin_arm64
  # -platform=darwin_amd64 -platform=windows_amd64 -platform=linux_arm64`.
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "7.10.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.6.3"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.7.1"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.12.1"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
