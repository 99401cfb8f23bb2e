import { beforeAll, describe, expect, it } from 'vitest';
import { functionNames, pipeline, staging, topics } from '../../lambdas/shared/pipeline';
import { mergeConsumerGroupId } from '../lib/ecom-sync-stack';
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

/** Actions that have no resource-level permissions in IAM, so `*` is the narrowest resource. */
const NO_RESOURCE_LEVEL = new Set<string>([]);

const text = (value: unknown): string => JSON.stringify(value);

function actionsOn(statements: Statement[], action: string): Statement[] {
  return statements.filter((statement) => asArray(statement.Action).includes(action));
}

/** Statements that grant `*` resources (or service-wide actions) where a narrower grant exists. */
function overBroad(entries: { policy: string; statement: Statement }[]): string[] {
  return entries
    .filter(({ statement }) => {
      const actions = asArray(statement.Action);
      const wildcardAction = actions.some((action) => action === '*' || action.endsWith(':*'));
      const wildcardResource =
        asArray(statement.Resource).includes('*') &&
        !actions.every((action) => NO_RESOURCE_LEVEL.has(action));
      return statement.Effect !== 'Allow' || wildcardAction || wildcardResource;
    })
    .map(({ policy, statement }) => `${policy}: ${text(statement)}`);
}

describe('every IAM policy statement, both targets', () => {
  it('names resources: no "*" (and no service-wide wildcard) where a narrower one exists', () => {
    for (const synthesized of [aws, local]) {
      const all = policyStatements(synthesized.template);
      expect(all.length).toBeGreaterThan(10);
      expect(overBroad(all)).toEqual([]);
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
    expect(overBroad(careless).map((finding) => finding.split(':')[0])).toEqual(['P1', 'P2']);
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
    const pollerS3 = statementsOfRole(aws.template, 'PollCrmRole').filter((statement) =>
      asArray(statement.Action).some((action) => action.startsWith('s3:')),
    );
    expect(pollerS3).toEqual([]);
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
    expect(writes('FlushRole').join()).not.toContain(topics.customers);
    expect(writes('FlushRole').join()).toContain(`/${topics.dlq}"`);

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

  it('attaches no managed policy beyond the documented VPC / MSK execution policies', () => {
    const allowed = [
      'AWSLambdaVPCAccessExecutionRole',
      'AWSLambdaMSKExecutionRole',
      'AWSLambdaBasicExecutionRole',
    ];
    for (const synthesized of [aws, local]) {
      for (const role of Object.values(synthesized.template.findResources('AWS::IAM::Role'))) {
        for (const arn of role.Properties.ManagedPolicyArns ?? []) {
          expect(
            allowed.some((name) => text(arn).includes(`service-role/${name}`)),
            text(arn),
          ).toBe(true);
        }
      }
    }
    // Our functions log to their own log group only; AWSLambdaBasicExecutionRole is the CDK
    // provider framework's.
    const basic = Object.entries(aws.template.findResources('AWS::IAM::Role')).filter(([, role]) =>
      text(role.Properties.ManagedPolicyArns ?? []).includes('AWSLambdaBasicExecutionRole'),
    );
    expect(basic.map(([id]) => id)).toEqual([expect.stringContaining('framework')]);
  });
});
