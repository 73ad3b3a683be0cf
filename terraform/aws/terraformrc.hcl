# Terraform CLI configuration for offline runs (`make test`): hashicorp/aws comes only from the
# filesystem mirror at /opt/tf-plugins. Selected with TF_CLI_CONFIG_FILE by the Makefile and the
# test, never globally; `make deploy-aws` uses the normal registry instead.
provider_installation {
  filesystem_mirror {
    path    = "/opt/tf-plugins"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
