import { beforeAll, describe, expect, it } from 'vitest';
import { functionNames, pipeline, staging, topics } from '../../lambdas/shared/pipeline';
import { dlqRedriveGroupId, mergeConsumerGroupId } from '../../lambdas/shared/pipeline';
import type { Statement, Synthesized } from './synth';
import { asArray, policyStatements, statementsOfRole, synthesize } from './synth';

let aws: Synthesized;
let local: Synthesized;
beforeAll(() => {
  aws = synthesize({
    target: 'aws',
    // Mixed: a real CRM/Inventory API with a bearer token, the mock Analytics behind IAM.
    sourceApiUrl: 'https://crm.example.com',
    apiTokenParameter: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecom-sync/token',
  });
  local = synthesize({ target: 'localstack' });
}, 300_000);

/**
 * The only actions granted on `*`, each with AWS's reason. EC2 Describe* actions take no
 * resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 */
const NO_RESOURCE_LEVEL = new Map<string, string>([
  [
    'ec2:DescribeNetworkInterfaces',
    'a VPC function: "This action only works if it\'s allowed on all resources" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions)',
  ],
  [
    'ec2:DescribeSubnets',
    'a VPC function (configuration-vpc.html#configuration-vpc-permissions); Describe*: no resource-level permissions',
  ],
  [
    'ec2:DescribeVpcs',
    'the MSK event source mapping in the cluster VPC (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html); Describe*: no resource-level permissions',
  ],
  [
    'ec2:DescribeSecurityGroups',
    'the MSK event source mapping in the cluster VPC (with-msk-permissions.html); Describe*: no resource-level permissions',
  ],
]);

const text = (value: unknown): string => JSON.stringify(value);

function actionsOn(statements: Statement[], action: string): Statement[] {
  return statements.filter((statement) => asArray(statement.Action).includes(action));
}

/**
 * Statements that grant `*` resources (or service-wide actions) where a narrower grant exists,
 * and managed policies attached to roles: their statements are not in the template, so a
 * managed policy would grant behind this walker's back.
 */
function overBroad(
  entries: { policy: string; statement: Statement }[],
  roles: Record<string, { Properties?: { ManagedPolicyArns?: unknown[] } }> = {},
): string[] {
  const managed = Object.entries(roles).flatMap(([role, resource]) =>
    (resource.Properties?.ManagedPolicyArns ?? []).map(
      (arn) => `${role}: managed policy ${text(arn)}`,
    ),
  );
  return entries
    .filter(({ statement }) => {
      const actions = asArray(statement.Action);
      const wildcardAction = actions.some((action) => action === '*' || action.endsWith(':*'));
      const wildcardResource =
        asArray(statement.Resource).includes('*') &&
        !actions.every((action) => NO_RESOURCE_LEVEL.has(action));
      return statement.Effect !== 'Allow' || wildcardAction || wildcardResource;
    })
    .map(({ policy, statement }) => `${policy}: ${text(statement)}`)
    .concat(managed);
}

describe('every IAM policy statement, both targets', () => {
  it('names resources: no "*" (and no service-wide wildcard) where a narrower one exists', () => {
    for (const synthesized of [aws, local]) {
      const all = policyStatements(synthesized.template);
      expect(all.length).toBeGreaterThan(10);
      expect(overBroad(all, synthesized.template.findResources('AWS::IAM::Role'))).toEqual([]);
    }
  });

  it('the walker flags a "*" resource and a service-wide action', () => {
    const careless = [
      { policy: 'P1', statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } },
      { policy: 'P2', statement: { Effect: 'Allow', Action: ['dynamodb:*'], Resource: ['arn:t'] } },
      {
        policy: 'P3',
        statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:b/x/*' },
      },
    ];
    const vpcRole = {
      R1: {
        Properties: {
          ManagedPolicyArns: [
            'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
          ],
        },
      },
    };
    expect(overBroad(careless, vpcRole).map((finding) => finding.split(':')[0])).toEqual([
      'P1',
      'P2',
      'R1',
    ]);
    // A listed Describe action passes on "*" alone; next to an action that has resources, not.
    const describe = (Action: string[]) => [
      { policy: 'P4', statement: { Effect: 'Allow', Action, Resource: '*' } },
    ];
    expect(overBroad(describe(['ec2:DescribeVpcs', 'ec2:DescribeSubnets']))).toEqual([]);
    expect(overBroad(describe(['ec2:DescribeVpcs', 'ec2:CreateNetworkInterface']))).toHaveLength(1);
  });

  it('grants "*" only for the listed actions, each where AWS needs it', () => {
    const onStar = (template: Synthesized['template']) =>
      new Set(
        policyStatements(template)
          .filter(({ statement }) => asArray(statement.Resource).includes('*'))
          .flatMap(({ statement }) => asArray(statement.Action)),
      );
    expect([...onStar(aws.template)].sort()).toEqual([...NO_RESOURCE_LEVEL.keys()].sort());
    // No VPC offline: no network interfaces to describe.
    expect([...onStar(local.template)]).toEqual([]);
    const merge = statementsOfRole(aws.template, 'MergeConsumerRole');
    for (const action of ['ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups']) {
      expect(actionsOn(merge, action)).toHaveLength(1);
      expect(actionsOn(statementsOfRole(aws.template, 'FlushRole'), action)).toEqual([]);
    }
  });

  it("lets Lambda manage network interfaces only in the functions' subnets and security groups", () => {
    for (const role of [
      'PollCrmRole',
      'MergeConsumerRole',
      'FlushRole',
      'KafkaTopicsOnEventRole',
    ]) {
      const statements = statementsOfRole(aws.template, role);
      const [create] = actionsOn(statements, 'ec2:CreateNetworkInterface');
      const resources = asArray(create?.Resource).map(text);
      expect(resources.filter((r) => r.includes(':network-interface/*'))).toHaveLength(1);
      expect(resources.some((r) => r.includes(':subnet/') && r.includes('privateSubnet'))).toBe(
        true,
      );
      expect(resources.some((r) => r.includes(':security-group/') && r.includes('GroupId'))).toBe(
        true,
      );
      for (const action of ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses']) {
        expect(
          actionsOn(statements, action).flatMap((st) => asArray(st.Resource).map(text)),
        ).toEqual([expect.stringContaining(':network-interface/*')]);
      }
    }
    // mock-apis is not in the VPC.
    expect(
      actionsOn(statementsOfRole(aws.template, 'MockApisRole'), 'ec2:CreateNetworkInterface'),
    ).toEqual([]);
  });

  it('limits S3 object access to the prefixes each function owns', () => {
    const objectResources = (prefix: string) =>
      actionsOn(statementsOfRole(aws.template, prefix), 's3:PutObject').flatMap((statement) =>
        asArray(statement.Resource).map(text),
      );
    const merge = objectResources('MergeConsumerRole');
    expect(merge).toHaveLength(1);
    expect(merge[0]).toContain(`/${staging.prefixes.staging}*`);
    // It only reads where flush moves batches, to tell a moved batch from one never staged.
    const mergeReads = actionsOn(
      statementsOfRole(aws.template, 'MergeConsumerRole'),
      's3:GetObject',
    )
      .flatMap((statement) => asArray(statement.Resource).map(text))
      .join();
    for (const prefix of [
      staging.prefixes.staging,
      staging.prefixes.delivered,
      staging.prefixes.dlq,
    ])
      expect(mergeReads).toContain(`/${prefix}*`);
    const mergeS3Actions = statementsOfRole(aws.template, 'MergeConsumerRole')
      .filter((statement) =>
        asArray(statement.Resource).map(text).join().includes(`/${staging.prefixes.dlq}*`),
      )
      .flatMap((statement) => asArray(statement.Action));
    expect(mergeS3Actions).toEqual(['s3:GetObject']);

    const flush = objectResources('FlushRole');
    expect(flush).toHaveLength(Object.keys(staging.prefixes).length);
    for (const prefix of Object.values(staging.prefixes)) {
      expect(flush.some((resource) => resource.includes(`/${prefix}*`))).toBe(true);
    }
    // A poller reads and writes its own source's known ids, nothing else of the bucket.
    for (const [role, source, other] of [
      ['PollCrmRole', 'crm', 'inventory'],
      ['PollInventoryRole', 'inventory', 'crm'],
    ] as const) {
      const s3 = statementsOfRole(aws.template, role).filter((statement) =>
        asArray(statement.Action).some((action) => action.startsWith('s3:')),
      );
      const objects = s3.filter((statement) => asArray(statement.Action).includes('s3:PutObject'));
      expect(objects.flatMap((statement) => asArray(statement.Action)).sort()).toEqual([
        's3:DeleteObject',
        's3:GetObject',
        's3:PutObject',
      ]);
      const resources = s3.flatMap((statement) => asArray(statement.Resource).map(text)).join();
      expect(resources).toContain(`/${staging.knownIds}${source}/*`);
      expect(resources).not.toContain(`/${staging.knownIds}${other}/`);
      for (const prefix of Object.values(staging.prefixes))
        expect(resources).not.toContain(`/${prefix}`);
      expect(JSON.stringify(s3)).toContain(`${staging.knownIds}${source}/*`); // ListBucket's s3:prefix
    }
  });

  it('gives each function exactly its table', () => {
    const tablesOf = (prefix: string) =>
      statementsOfRole(aws.template, prefix)
        .filter((statement) => asArray(statement.Action).some((a) => a.startsWith('dynamodb:')))
        .flatMap((statement) => asArray(statement.Resource).map(text));
    expect(tablesOf('PollCrmRole')).toEqual([expect.stringContaining('StorageSyncStateTable')]);
    expect(tablesOf('MergeConsumerRole')).toEqual([
      expect.stringContaining('StorageIdempotencyTable'),
    ]);
    // Claims are never deleted, only taken over.
    const mergeTableActions = statementsOfRole(aws.template, 'MergeConsumerRole')
      .flatMap((statement) => asArray(statement.Action))
      .filter((action) => action.startsWith('dynamodb:'));
    expect(mergeTableActions.sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(tablesOf('FlushRole')).toEqual([expect.stringContaining('StorageSyncStateTable')]);
  });

  it('scopes Kafka access to topic and group ARNs derived from the cluster ARN', () => {
    const kafkaResources = (prefix: string, action: string) =>
      actionsOn(statementsOfRole(aws.template, prefix), action).flatMap((statement) =>
        asArray(statement.Resource).map(text),
      );
    const writes = (prefix: string) => kafkaResources(prefix, 'kafka-cluster:WriteData');

    expect(writes('PollCrmRole').join()).toContain(`/${topics.customers}"`);
    expect(writes('PollCrmRole').join()).toContain(`/${topics.dlq}"`);
    expect(writes('PollCrmRole').join()).not.toContain(topics.products);
    expect(writes('PollInventoryRole').join()).not.toContain(topics.customers);
    // flush: the DLQ, and the source topics for `dlq redrive` (lambdas/shared/dlq.ts).
    expect(writes('FlushRole').join()).toContain(`/${topics.customers}"`);
    expect(writes('FlushRole').join()).toContain(`/${topics.dlq}"`);
    const flushGroups = kafkaResources('FlushRole', 'kafka-cluster:AlterGroup').join();
    expect(flushGroups).toContain(`/${dlqRedriveGroupId()}"`);
    expect(flushGroups).toContain(`/${mergeConsumerGroupId(topics.customers)}-replay"`);
    expect(flushGroups).not.toContain(`/${mergeConsumerGroupId(topics.customers)}"`);

    const reads = kafkaResources('MergeConsumerRole', 'kafka-cluster:ReadData').join();
    expect(reads).toContain(`/${topics.customers}"`);
    expect(reads).toContain(`/${topics.products}"`);
    expect(reads).not.toContain(topics.dlq);
    for (const read of kafkaResources('MergeConsumerRole', 'kafka-cluster:ReadData')) {
      // arn:<partition>:kafka:<region>:<account>:topic/<clusterName>/<clusterUuid>/<topic>
      expect(read).toContain(':topic/');
      expect(read).toContain('Fn::Select');
      expect(read).toContain('Fn::Split');
    }

    const groups = kafkaResources('MergeConsumerRole', 'kafka-cluster:AlterGroup').join();
    for (const topic of [topics.customers, topics.products]) {
      expect(groups).toContain(`:group/`);
      expect(groups).toContain(`/${mergeConsumerGroupId(topic)}"`);
    }
    expect(groups).toContain(pipeline.mergeConsumer.consumerGroupId);
    expect(groups).toContain(`/${mergeConsumerGroupId(topics.customers)}-replay"`);

    const connect = kafkaResources('PollCrmRole', 'kafka-cluster:Connect');
    expect(connect).toEqual([expect.stringContaining('KafkaServerless')]);
  });

  it('reads exactly the API token secret', () => {
    const reads = actionsOn(
      statementsOfRole(aws.template, 'PollCrmRole'),
      'secretsmanager:GetSecretValue',
    );
    expect(reads).toHaveLength(1);
    expect(asArray(reads[0]?.Resource)).toEqual([
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecom-sync/token-??????',
    ]);
    expect(
      actionsOn(
        statementsOfRole(aws.template, 'MergeConsumerRole'),
        'secretsmanager:GetSecretValue',
      ),
    ).toEqual([]);
  });

  it('lets only the callers of a real API read the token, and only mock-apis callers invoke its URL', () => {
    const token = 'secretsmanager:GetSecretValue';
    const invokeUrl = 'lambda:InvokeFunctionUrl';
    for (const poller of ['PollCrmRole', 'PollInventoryRole']) {
      expect(actionsOn(statementsOfRole(aws.template, poller), token)).toHaveLength(1);
      expect(actionsOn(statementsOfRole(aws.template, poller), invokeUrl)).toEqual([]);
    }
    expect(actionsOn(statementsOfRole(aws.template, 'FlushRole'), token)).toEqual([]);
    expect(actionsOn(statementsOfRole(aws.template, 'FlushRole'), invokeUrl)).toHaveLength(1);
    const envOf = (service: string) =>
      Object.values(aws.template.findResources('AWS::Lambda::Function')).find(
        (fn) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
      )?.Properties.Environment.Variables;
    expect(envOf(functionNames.pollCrm)).toMatchObject({ API_AUTH: 'none' });
    expect(envOf(functionNames.pollCrm).API_TOKEN_PARAMETER).toBeDefined();
    expect(envOf(functionNames.flush)).toMatchObject({ API_AUTH: 'iam' });
    expect(envOf(functionNames.flush).API_TOKEN_PARAMETER).toBeUndefined();
  });

  it('attaches no managed policy: every permission is an inline statement the walker reads', () => {
    // Before: AWSLambdaVPCAccessExecutionRole (5 VPC functions), AWSLambdaMSKExecutionRole
    // (merge-consumer) and AWSLambdaBasicExecutionRole (the topics provider), logs and
    // Describe on "*" each.
    for (const synthesized of [aws, local]) {
      const roles = Object.entries(synthesized.template.findResources('AWS::IAM::Role'));
      expect(roles.length).toBeGreaterThan(4);
      expect(
        roles.filter(([, role]) => (role.Properties.ManagedPolicyArns ?? []).length > 0),
      ).toEqual([]);
    }
    // The MSK mapping still reaches the cluster: brokers and cluster description on its ARN.
    const merge = statementsOfRole(aws.template, 'MergeConsumerRole');
    const [clusterId] = Object.keys(aws.template.findResources('AWS::MSK::ServerlessCluster'));
    for (const action of ['kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers']) {
      const resources = actionsOn(merge, action).flatMap((st) => asArray(st.Resource).map(text));
      expect(new Set(resources)).toEqual(new Set([text({ 'Fn::GetAtt': [clusterId, 'Arn'] })]));
    }
  });
});
