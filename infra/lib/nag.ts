import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface NagAcknowledgment {
  /** cdk-nag rule id, e.g. `AwsSolutions-IAM5`. */
  id: string;
  /** Why the finding is acceptable here: specific, never "not needed". */
  reason: string;
  /** The exact findings of per-value rules (IAM4, IAM5), e.g. `Resource::<Table.Arn>/index/*`. */
  appliesTo?: readonly string[];
}

/**
 * cdk-nag 3 reads acknowledgments from CDK's `Validations` metadata (on the construct or any
 * ancestor), and matches finding ids exactly: `<rule>[<finding>]`.
 */
export function acknowledgeNag(scope: IConstruct, rules: readonly NagAcknowledgment[]): void {
  for (const { id, reason, appliesTo } of rules)
    for (const finding of appliesTo ?? [undefined])
      Validations.of(scope).acknowledge({ id: finding ? `${id}[${finding}]` : id, reason });
}

/** The logical id cdk-nag prints in findings (`<LogicalId.Arn>`), for exact acknowledgments. */
export function logicalIdOf(scope: IConstruct): string {
  const element = scope instanceof CfnElement ? scope : scope.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${scope.node.path} has no CFN resource`);
  return Stack.of(element).resolve(element.logicalId) as string;
}
