// assumemfa: the engineer's side of the seed through aws-sdk-go-v2 (the SDK Terraform's AWS provider is built on).
//
// With a person's long-term key it assumes a role through stscreds.AssumeRoleProvider, answering the MFA prompt
// through a TokenProvider that reads one code per line from stdin, then works inside the target account with IAM.
// It prints one JSON object per step on stdout; an API error is printed as {"step":..., "error":"Code: message"}
// and ends the program with status 1.
//
// Environment: RG_ENDPOINT, RG_ACCESS_KEY_ID, RG_SECRET_ACCESS_KEY, RG_ROLE_ARN, RG_MFA_SERIAL, RG_NEW_USER.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func emit(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func fail(step string, err error) {
	var ae smithy.APIError
	msg := err.Error()
	if errors.As(err, &ae) {
		msg = ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	emit(map[string]interface{}{"step": step, "error": msg})
	os.Exit(1)
}

func main() {
	ctx := context.Background()
	endpoint := os.Getenv("RG_ENDPOINT")
	resolver := aws.EndpointResolverWithOptionsFunc(
		func(service, region string, options ...interface{}) (aws.Endpoint, error) {
			return aws.Endpoint{URL: endpoint, SigningRegion: region, HostnameImmutable: true}, nil
		})
	base := aws.Config{
		Region:                      "us-east-1",
		Credentials:                 credentials.NewStaticCredentialsProvider(os.Getenv("RG_ACCESS_KEY_ID"), os.Getenv("RG_SECRET_ACCESS_KEY"), ""),
		EndpointResolverWithOptions: resolver,
		RetryMaxAttempts:            1,
	}
	codes := bufio.NewScanner(os.Stdin)
	prompts := 0
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), os.Getenv("RG_ROLE_ARN"),
		func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "go-sdk"
			o.SerialNumber = aws.String(os.Getenv("RG_MFA_SERIAL"))
			o.TokenProvider = func() (string, error) {
				prompts++
				if !codes.Scan() {
					return "", errors.New("no MFA code on stdin")
				}
				return strings.TrimSpace(codes.Text()), nil
			}
		})
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(provider)

	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fail("GetCallerIdentity", err)
	}
	emit(map[string]interface{}{"step": "GetCallerIdentity", "arn": aws.ToString(id.Arn),
		"account": aws.ToString(id.Account), "userId": aws.ToString(id.UserId), "prompts": prompts})

	client := iam.NewFromConfig(cfg)
	user, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(os.Getenv("RG_NEW_USER"))})
	if err != nil {
		fail("CreateUser", err)
	}
	emit(map[string]interface{}{"step": "CreateUser", "arn": aws.ToString(user.User.Arn)})

	var roles []string
	pages := iam.NewListRolesPaginator(client, &iam.ListRolesInput{MaxItems: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			fail("ListRoles", err)
		}
		for _, r := range page.Roles {
			roles = append(roles, aws.ToString(r.RoleName))
		}
	}
	emit(map[string]interface{}{"step": "ListRoles", "roles": roles, "prompts": prompts})
}
