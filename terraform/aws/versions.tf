# Terraform and provider versions. Only hashicorp/aws is used: the deployment zip is built by
# the Makefile (no archive provider) and the webhook token is generated with Terraform's own
# uuid() (settings.tf; no random provider).

terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
