# The provider reads credentials the usual way (environment, shared config, SSO). The offline
# test in tests/integration/test_terraform_aws.py points it at a local moto server by adding an override
# file to a temporary copy of this folder, so nothing test-only lives here.

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ application = "green-call-logger" }, var.tags)
  }
}
