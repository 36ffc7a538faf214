# The seed article's access model on top of ../organization:
#
#   each environment (Dev, Stage, Prod)  roles `admin` and `readonly`, trusting Ops, only with MFA
#   Ops (where people live)             a group per environment that may assume its roles (with MFA), a group
#                                        `people` (self-service on one's own user), the users anay (all three
#                                        environments) and abhi (Dev only), and a virtual MFA device each
#
# Terraform itself runs with the credentials of an Ops administrator and reaches every environment through
# sts:AssumeRole into OrganizationAccountAccessRole (the provider's assume_role block), as on AWS.
#
# Against rolegate:  terraform apply -var endpoint=http://127.0.0.1:8600 -var 'accounts={dev="…",stage="…",prod="…"}'
# Against real AWS:  terraform apply -var 'accounts={…}'

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

variable "accounts" {
  description = "Account ids of the environments (../organization's `accounts` output)"
  type        = object({ dev = string, stage = string, prod = string })
}

variable "people" {
  description = "Who lives in Ops, and which environments each may enter"
  type        = map(list(string))
  default = {
    anay = ["dev", "stage", "prod"]
    abhi = ["dev"]
  }
}

variable "access_role" {
  description = "The role Terraform assumes in each environment (CreateAccount's RoleName)"
  type        = string
  default     = "OrganizationAccountAccessRole"
}

# ---- providers: Ops with its own credentials, each environment through assume_role ------------------------------

provider "aws" {
  region                  = var.region
  skip_metadata_api_check = var.endpoint != null
  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      iam = endpoints.value
      sts = endpoints.value
    }
  }
}

provider "aws" {
  alias                   = "dev"
  region                  = var.region
  skip_metadata_api_check = var.endpoint != null
  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.dev}:role/${var.access_role}"
    session_name = "terraform"
  }
  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      iam = endpoints.value
      sts = endpoints.value
    }
  }
}

provider "aws" {
  alias                   = "stage"
  region                  = var.region
  skip_metadata_api_check = var.endpoint != null
  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.stage}:role/${var.access_role}"
    session_name = "terraform"
  }
  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      iam = endpoints.value
      sts = endpoints.value
    }
  }
}

provider "aws" {
  alias                   = "prod"
  region                  = var.region
  skip_metadata_api_check = var.endpoint != null
  assume_role {
    role_arn     = "arn:aws:iam::${var.accounts.prod}:role/${var.access_role}"
    session_name = "terraform"
  }
  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      iam = endpoints.value
      sts = endpoints.value
    }
  }
}

data "aws_caller_identity" "ops" {}

# ---- the environments ----------------------------------------------------------------------------------------

module "dev" {
  source         = "./modules/environment"
  providers      = { aws = aws.dev }
  name           = "dev"
  ops_account_id = data.aws_caller_identity.ops.account_id
}

module "stage" {
  source         = "./modules/environment"
  providers      = { aws = aws.stage }
  name           = "stage"
  ops_account_id = data.aws_caller_identity.ops.account_id
}

module "prod" {
  source         = "./modules/environment"
  providers      = { aws = aws.prod }
  name           = "prod"
  ops_account_id = data.aws_caller_identity.ops.account_id
}

locals {
  role_arns = {
    dev   = module.dev.role_arns
    stage = module.stage.role_arns
    prod  = module.prod.role_arns
  }
  memberships = flatten([for person, envs in var.people : [for env in envs : { person = person, env = env }]])
}

# ---- Ops: groups, people, MFA devices ------------------------------------------------------------------------

resource "aws_iam_group" "env" {
  for_each = local.role_arns
  name     = each.key
  path     = "/environments/"
}

# A member of group `dev` may assume Dev's roles, and only with MFA.
resource "aws_iam_group_policy" "enter" {
  for_each = local.role_arns
  name     = "enter-${each.key}"
  group    = aws_iam_group.env[each.key].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Enter${title(each.key)}"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Resource  = values(each.value)
      Condition = { Bool = { "aws:MultiFactorAuthPresent" = "true" } }
    }]
  })
}

resource "aws_iam_group" "people" {
  name = "people"
}

resource "aws_iam_policy" "self_service" {
  name        = "self-service"
  description = "What everyone may do to their own user: keys and MFA"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "OwnUser"
      Effect = "Allow"
      Action = ["iam:GetUser", "iam:ListGroupsForUser", "iam:ListAccessKeys", "iam:CreateAccessKey",
      "iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:ListMFADevices", "iam:ResyncMFADevice"]
      Resource = "arn:aws:iam::${data.aws_caller_identity.ops.account_id}:user/$${aws:username}"
    }]
  })
  tags = { managed-by = "terraform" }
}

resource "aws_iam_group_policy_attachment" "people" {
  group      = aws_iam_group.people.name
  policy_arn = aws_iam_policy.self_service.arn
}

resource "aws_iam_user" "person" {
  for_each = var.people
  name     = each.key
  tags     = { team = "platform" }
}

resource "aws_iam_user_group_membership" "person" {
  for_each = var.people
  user     = aws_iam_user.person[each.key].name
  groups   = concat([aws_iam_group.people.name], [for env in each.value : aws_iam_group.env[env].name])
}

# Each person enables their device with two codes from their authenticator (iam enable-mfa-device).
resource "aws_iam_virtual_mfa_device" "person" {
  for_each                = var.people
  virtual_mfa_device_name = each.key
}

resource "aws_iam_account_password_policy" "ops" {
  minimum_password_length        = 14
  require_symbols                = true
  require_numbers                = true
  allow_users_to_change_password = true
}

output "ops_account_id" {
  value = data.aws_caller_identity.ops.account_id
}

output "role_arns" {
  value = local.role_arns
}

output "mfa_serials" {
  value = { for p, d in aws_iam_virtual_mfa_device.person : p => d.arn }
}
