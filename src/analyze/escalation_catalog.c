/*
 * escalation_catalog.c - the privilege-escalation methods `rolegate analyze escalation` looks for: BishopFox
 * iam-vulnerable's 31 paths (modules/free-resources/privesc-paths/), as Rhino Security Labs listed them. Each names
 * the actions its policy grants there; services rolegate does not serve still escalate on AWS.
 */
#include "analyze/escalation.h"

#define A(...) {__VA_ARGS__, NULL}

const struct esc_method esc_catalog[] = {
	{"privesc1-CreateNewPolicyVersion", "CreateNewPolicyVersion", ESC_OWN_POLICY_VERSION, A("iam:CreatePolicyVersion"), NULL, 0, false, true},
	{"privesc2-SetExistingDefaultPolicyVersion", "SetExistingDefaultPolicyVersion", ESC_SET_DEFAULT, A("iam:SetDefaultPolicyVersion"), NULL, 0, false, true},
	{"privesc3-CreateEC2WithExistingIP", "CreateEC2WithExistingInstanceProfile", ESC_PASS_ROLE, A("iam:PassRole", "ec2:RunInstances"), "ec2.amazonaws.com", 0, true, false},
	{"privesc4-CreateAccessKey", "CreateAccessKey", ESC_OTHER_USER, A("iam:CreateAccessKey"), NULL, 0, false, true},
	{"privesc5-CreateLoginProfile", "CreateLoginProfile", ESC_OTHER_USER, A("iam:CreateLoginProfile"), NULL, 1, false, true},
	{"privesc6-UpdateLoginProfile", "UpdateLoginProfile", ESC_OTHER_USER, A("iam:UpdateLoginProfile"), NULL, 2, false, true},
	{"privesc7-AttachUserPolicy", "AttachUserPolicy", ESC_OWN_USER, A("iam:AttachUserPolicy"), NULL, 0, false, true},
	{"privesc8-AttachGroupPolicy", "AttachGroupPolicy", ESC_OWN_GROUP, A("iam:AttachGroupPolicy"), NULL, 0, false, true},
	{"privesc9-AttachRolePolicy", "AttachRolePolicy", ESC_ROLE, A("iam:AttachRolePolicy"), NULL, 0, false, true},
	{"privesc10-PutUserPolicy", "PutUserPolicy", ESC_OWN_USER, A("iam:PutUserPolicy"), NULL, 0, false, true},
	{"privesc11-PutGroupPolicy", "PutGroupPolicy", ESC_OWN_GROUP, A("iam:PutGroupPolicy"), NULL, 0, false, true},
	{"privesc12-PutRolePolicy", "PutRolePolicy", ESC_ROLE, A("iam:PutRolePolicy"), NULL, 0, false, true},
	{"privesc13-AddUserToGroup", "AddUserToGroup", ESC_ADD_TO_GROUP, A("iam:AddUserToGroup"), NULL, 0, false, true},
	{"privesc14-UpdatingAssumeRolePolicy", "UpdateAssumeRolePolicy", ESC_UPDATE_TRUST, A("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"), NULL, 0, false, true},
	{"privesc15-PassExistingRoleToNewLambdaThenInvoke", "PassRoleToNewLambdaThenInvoke", ESC_PASS_ROLE, A("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"), "lambda.amazonaws.com", 0, false, false},
	{"privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo", "PassRoleToNewLambdaThenTriggerWithDynamo", ESC_PASS_ROLE, A("iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"), "lambda.amazonaws.com", 0, false, false},
	{"privesc17-EditExistingLambdaFunctionWithRole", "EditExistingLambdaFunctionWithRole", ESC_SERVICE_EXISTING, A("lambda:UpdateFunctionCode"), "lambda.amazonaws.com", 0, false, false},
	{"privesc18-PassExistingRoleToNewGlueDevEndpoint", "PassRoleToNewGlueDevEndpoint", ESC_PASS_ROLE, A("iam:PassRole", "glue:CreateDevEndpoint"), "glue.amazonaws.com", 0, false, false},
	{"privesc19-UpdateExistingGlueDevEndpoint", "UpdateExistingGlueDevEndpoint", ESC_SERVICE_EXISTING, A("glue:UpdateDevEndpoint"), "glue.amazonaws.com", 0, false, false},
	{"privesc20-PassExistingRoleToCloudFormation", "PassRoleToCloudFormation", ESC_PASS_ROLE, A("iam:PassRole", "cloudformation:CreateStack"), "cloudformation.amazonaws.com", 0, false, false},
	{"privesc21-PassExistingRoleToNewDataPipeline", "PassRoleToNewDataPipeline", ESC_PASS_ROLE, A("iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"), "datapipeline.amazonaws.com", 0, false, false},
	{"privesc-AssumeRole", "AssumeRole", ESC_ASSUME, A("sts:AssumeRole"), NULL, 0, false, true},
	{"privesc-cloudFormationUpdateStack", "CloudFormationUpdateStack", ESC_SERVICE_EXISTING, A("cloudformation:UpdateStack"), "cloudformation.amazonaws.com", 0, false, false},
	{"privesc-codeBuildCreateProjectPassRole", "PassRoleToNewCodeBuildProject", ESC_PASS_ROLE, A("iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"), "codebuild.amazonaws.com", 0, false, false},
	{"privesc-ec2InstanceConnect", "EC2InstanceConnect", ESC_SERVICE_EXISTING, A("ec2-instance-connect:SendSSHPublicKey"), "ec2.amazonaws.com", 0, true, false},
	{"privesc-sageMakerCreateNotebookPassRole", "PassRoleToNewSageMakerNotebook", ESC_PASS_ROLE, A("iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"), "sagemaker.amazonaws.com", 0, false, false},
	{"privesc-sageMakerCreatePresignedNotebookURL", "SageMakerPresignedNotebookURL", ESC_SERVICE_EXISTING, A("sagemaker:CreatePresignedNotebookInstanceUrl"), "sagemaker.amazonaws.com", 0, false, false},
	{"privesc-sageMakerCreateProcessingJob", "PassRoleToNewSageMakerProcessingJob", ESC_PASS_ROLE, A("iam:PassRole", "sagemaker:CreateProcessingJob"), "sagemaker.amazonaws.com", 0, false, false},
	{"privesc-sageMakerCreateTrainingJob", "PassRoleToNewSageMakerTrainingJob", ESC_PASS_ROLE, A("iam:PassRole", "sagemaker:CreateTrainingJob"), "sagemaker.amazonaws.com", 0, false, false},
	{"privesc-ssmSendCommand", "SSMSendCommand", ESC_SERVICE_EXISTING, A("ssm:SendCommand"), "ec2.amazonaws.com", 0, true, false},
	{"privesc-ssmStartSession", "SSMStartSession", ESC_SERVICE_EXISTING, A("ssm:StartSession"), "ec2.amazonaws.com", 0, true, false},
};

const size_t esc_catalog_len = sizeof(esc_catalog) / sizeof(esc_catalog[0]);
