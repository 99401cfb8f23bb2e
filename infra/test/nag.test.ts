import { Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';

/** Rule ids and offending construct paths, so a failure says what to fix. */
function findings(scope: Parameters<AwsSolutionsChecks['validateScope']>[0]): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`,
    ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['aws', {}],
    [
      'aws (provisioned MSK, real APIs, token secret)',
      {
        mskMode: 'provisioned',
        sourceApiUrl: 'https://crm.example.com',
        analyticsApiUrl: 'https://analytics.example.com',
        apiTokenParameter: '/ecom-sync/token',
      },
    ],
    ['localstack', { target: 'localstack' }],
  ])(
    'reports no unacknowledged error or warning for target %s',
    (_name, context) => {
      const { app } = buildApp({
        nag: false,
        context: { 'aws:cdk:bundling-stacks': [], ...context },
      });
      app.synth();
      expect(findings(app)).toEqual([]);
    },
    180_000,
  );

  it('does report findings (the check is live)', () => {
    const { app } = buildApp({ nag: false, context: { 'aws:cdk:bundling-stacks': [] } });
    new Bucket(new Stack(app, 'Careless'), 'Unprotected');
    expect(findings(app).join('\n')).toMatch(/AwsSolutions-S10 at Careless\/Unprotected/);
  }, 180_000);
});
