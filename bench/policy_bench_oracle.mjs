#!/usr/bin/env node
// policy_bench_oracle.mjs - the cases of bench/policy_bench.c through @cloud-copilot/iam-simulate, for the ratio
// `make bench` prints. The package is installed at test time by tests/difftest/install-oracle.sh (it is AGPL and
// never part of this repository).
//
//   node bench/policy_bench_oracle.mjs [SECONDS]     prints "case decisions/s result" lines
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const oracleDir = process.env.ROLEGATE_ORACLE_DIR || join(repo, 'build', 'difftest', 'oracle');
const { runSimulation } = createRequire(join(oracleDir, 'package.json'))('@cloud-copilot/iam-simulate');
const seconds = Number(process.argv[2] || 2);

const trust = {
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sts:AssumeRole',
    Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' }, NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } }
  }]
};
const assume = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/*' }] };
const identity = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::logs-*/*' },
    { Effect: 'Allow', Action: ['s3:List*', 's3:Describe*'], Resource: 'arn:aws:s3:::logs-*' },
    { Effect: 'Deny', Action: 's3:Delete*', Resource: '*' },
    { Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' },
    { Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:*:222222222222:table/app-*',
      Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } } },
    { Effect: 'Allow', Action: 'sqs:*', Resource: 'arn:aws:sqs:*:222222222222:jobs-?' },
    { Effect: 'Deny', NotAction: ['iam:Get*', 'iam:List*'], Resource: 'arn:aws:iam::*:role/admin*' },
    { Effect: 'Allow', Action: 'kms:Decrypt', Resource: 'arn:aws:kms:*:222222222222:key/*',
      Condition: { StringLike: { 'aws:PrincipalTag/team': 'data-*' } } },
    { Effect: 'Allow', Action: 'lambda:Invoke*', Resource: 'arn:aws:lambda:*:222222222222:function:*' },
    { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::uploads/${aws:username}/*',
      Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } } }
  ]
};

const cases = {
  'trust-mfa': {
    request: {
      action: 'sts:AssumeRole', principal: 'arn:aws:iam::111111111111:user/anay',
      resource: { resource: 'arn:aws:iam::222222222222:role/admin', accountId: '222222222222' },
      contextVariables: { 'aws:MultiFactorAuthPresent': 'true', 'aws:MultiFactorAuthAge': '300' }
    },
    identityPolicies: [{ name: 'assume', policy: assume }], serviceControlPolicies: [], resourceControlPolicies: [],
    resourcePolicy: trust
  },
  'identity-10': {
    request: {
      action: 's3:PutObject', principal: 'arn:aws:iam::222222222222:user/abhi',
      resource: { resource: 'arn:aws:s3:::uploads/abhi/report.csv', accountId: '222222222222' },
      contextVariables: { 'aws:username': 'abhi', 'aws:SourceIp': '10.1.2.3', 'aws:RequestedRegion': 'eu-west-1',
        'aws:PrincipalTag/team': 'data-eng' }
    },
    identityPolicies: [{ name: 'identity', policy: identity }], serviceControlPolicies: [], resourceControlPolicies: []
  }
};

for (const [name, sim] of Object.entries(cases)) {
  let n = 0, last;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (let i = 0; i < 100; i++) {
      const r = await runSimulation(sim, {});
      last = r.overallResult || r.resultType;
    }
    n += 100;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  console.log(`${name} ${Math.round(n / elapsed)} ${last}`);
}
