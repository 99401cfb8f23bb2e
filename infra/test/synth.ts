import { Template } from 'aws-cdk-lib/assertions';
import type { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import type { EcomSyncStack } from '../lib/ecom-sync-stack';

export interface Synthesized {
  app: App;
  stack: EcomSyncStack;
  template: Template;
}

/**
 * One synth per target and context: esbuild bundling is skipped (the `aws:cdk:bundling-stacks`
 * context names the stacks to bundle; none here), so the templates are complete but the assets
 * are placeholders. `npm run bundle-size` and `cdk synth` exercise the real bundling.
 */
export function synthesize(context: Record<string, unknown>, nag = false): Synthesized {
  const { app, stack } = buildApp({
    nag,
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });
  return { app, stack, template: Template.fromStack(stack) };
}

export type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

/** Every statement of every AWS::IAM::Policy, with the logical id of the policy. */
export function policyStatements(template: Template): { policy: string; statement: Statement }[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies).flatMap(([policy, resource]) =>
    (resource.Properties.PolicyDocument.Statement as Statement[]).map((statement) => ({
      policy,
      statement,
    })),
  );
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The policy statements attached to the role of one function (by its logical id prefix). */
export function statementsOfRole(template: Template, roleLogicalIdPrefix: string): Statement[] {
  const roles = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
    id.startsWith(roleLogicalIdPrefix),
  );
  if (roles.length !== 1)
    throw new Error(`expected one role ${roleLogicalIdPrefix}*, got ${roles.join(', ')}`);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roles[0]),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}
