# One environment account: `admin` and `readonly`, which people of the Ops account may assume with MFA (Ops's own
# policies, its groups, decide who), and the account's alias.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "name" {
  description = "dev, stage or prod"
  type        = string
}

variable "ops_account_id" {
  description = "The jump account people come from"
  type        = string
}

locals {
  roles = {
    admin    = { policy = "arn:aws:iam::aws:policy/AdministratorAccess", description = "Administrators, entering from Ops with MFA" }
    readonly = { policy = "arn:aws:iam::aws:policy/ReadOnlyAccess", description = "Read-only access, entering from Ops with MFA" }
  }
}

resource "aws_iam_role" "this" {
  for_each             = local.roles
  name                 = each.key
  description          = each.value.description
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "FromOpsWithMFA"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.ops_account_id}:root" }
      Action    = "sts:AssumeRole"
      Condition = {
        Bool            = { "aws:MultiFactorAuthPresent" = "true" }
        NumericLessThan = { "aws:MultiFactorAuthAge" = "3600" }
      }
    }]
  })
  tags = { environment = var.name }
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each   = local.roles
  role       = aws_iam_role.this[each.key].name
  policy_arn = each.value.policy
}

resource "aws_iam_account_alias" "this" {
  account_alias = "rolegate-seed-${var.name}"
}

output "role_arns" {
  value = { for k, r in aws_iam_role.this : k => r.arn }
}
