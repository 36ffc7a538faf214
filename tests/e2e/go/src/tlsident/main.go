// tlsident: aws-sdk-go-v2 against rolegate over HTTPS, configured as for real AWS: config.LoadDefaultConfig reads
// the key from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the CA from AWS_CA_BUNDLE. It prints
// {"arn":...,"account":...} from sts:GetCallerIdentity, or {"error":...} and exits 1.
//
// Environment: RG_ENDPOINT (https://...), and the SDK's own AWS_* variables.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func emit(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func main() {
	ctx := context.Background()
	endpoint := os.Getenv("RG_ENDPOINT")
	resolver := aws.EndpointResolverWithOptionsFunc(
		func(service, region string, options ...interface{}) (aws.Endpoint, error) {
			return aws.Endpoint{URL: endpoint, SigningRegion: region, HostnameImmutable: true}, nil
		})
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithEndpointResolverWithOptions(resolver), config.WithRetryMaxAttempts(1))
	if err != nil {
		emit(map[string]interface{}{"error": err.Error()})
		os.Exit(1)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		emit(map[string]interface{}{"error": err.Error()})
		os.Exit(1)
	}
	emit(map[string]interface{}{"arn": aws.ToString(id.Arn), "account": aws.ToString(id.Account)})
}
