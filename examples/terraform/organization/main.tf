# The organization of the seed article: Ops (the management account these credentials belong to) and the
# Dev, Stage and Prod member accounts. Apply this first; its `accounts` output feeds ../environments.
#
# Against rolegate:  terraform apply -var endpoint=http://127.0.0.1:8600
# Against real AWS:  terraform apply            (no endpoint: the provider talks to AWS itself)

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

variable "endpoint" {
  description = "rolegate's URL (http://127.0.0.1:8600); null for real AWS"
  type        = string
  default     = null
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "email_domain" {
  description = "Domain of the accounts' e-mail addresses (an address names one account for ever, as on AWS)"
  type        = string
  default     = "example.com"
}

provider "aws" {
  region                  = var.region
  skip_metadata_api_check = var.endpoint != null
  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      iam           = endpoints.value
      organizations = endpoints.value
      sts           = endpoints.value
    }
  }
}

locals {
  environments = ["dev", "stage", "prod"]
}

resource "aws_organizations_organization" "this" {
  feature_set          = "ALL"
  enabled_policy_types = ["SERVICE_CONTROL_POLICY"]
}

resource "aws_organizations_organizational_unit" "environments" {
  name      = "Environments"
  parent_id = aws_organizations_organization.this.roots[0].id
}

# Nobody in an environment account may take it out of the organization.
resource "aws_organizations_policy" "stay" {
  name        = "StayInTheOrganization"
  description = "Environment accounts cannot leave the organization"
  content = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Deny", Action = "organizations:LeaveOrganization", Resource = "*" }]
  })
  depends_on = [aws_organizations_organization.this]
}

resource "aws_organizations_policy_attachment" "environments" {
  policy_id = aws_organizations_policy.stay.id
  target_id = aws_organizations_organizational_unit.environments.id
}

# Each account gets OrganizationAccountAccessRole, trusting this (the management) account, with
# AdministratorAccess: the door ../environments enters through.
resource "aws_organizations_account" "env" {
  for_each  = toset(local.environments)
  name      = title(each.key)
  email     = "${each.key}@${var.email_domain}"
  parent_id = aws_organizations_organizational_unit.environments.id
  tags      = { environment = each.key }
}

output "accounts" {
  description = "Account ids of the environments"
  value       = { for k, a in aws_organizations_account.env : k => a.id }
}
