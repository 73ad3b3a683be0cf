# The regions where everything the stack creates in var.region is offered: Cloud Functions
# (2nd gen, so Cloud Run), a regional Firestore database (firestore_location defaults to the
# region) and Cloud Scheduler (the reconcile job). Kept here alone; var.region is checked against
# it at plan time, so a region missing one of them stops the plan before anything is created.
# From Google's location lists of the three products; add a region once all three list it.
locals {
  supported_regions = [
    "africa-south1",
    "asia-east1",
    "asia-east2",
    "asia-northeast1",
    "asia-northeast2",
    "asia-northeast3",
    "asia-south1",
    "asia-south2",
    "asia-southeast1",
    "asia-southeast2",
    "australia-southeast1",
    "australia-southeast2",
    "europe-central2",
    "europe-north1",
    "europe-southwest1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west6",
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
    "me-central1",
    "me-central2",
    "me-west1",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "southamerica-east1",
    "southamerica-west1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west2",
    "us-west3",
    "us-west4",
  ]
}
