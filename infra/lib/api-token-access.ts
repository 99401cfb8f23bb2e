import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';

const SECRETS_MANAGER_ARN = /^arn:aws[\w-]*:secretsmanager:/;
/** Secrets Manager appends `-` and six characters to a secret's name in its complete ARN. */
const COMPLETE_SECRET_ARN = /-[A-Za-z0-9]{6}$/;

/**
 * Lets the grantees read exactly the API token named by `API_TOKEN_PARAMETER`: a Secrets
 * Manager secret when it is a secret ARN (as `lambdas/shared/api-token.ts` decides), an SSM
 * SecureString otherwise. Secrets under a customer-managed KMS key also need kms:Decrypt on it.
 */
export function grantApiTokenRead(
  scope: Construct,
  parameter: string,
  grantees: readonly IGrantable[],
): void {
  if (SECRETS_MANAGER_ARN.test(parameter)) {
    const secret = COMPLETE_SECRET_ARN.test(parameter)
      ? Secret.fromSecretCompleteArn(scope, 'ApiTokenSecret', parameter)
      : Secret.fromSecretPartialArn(scope, 'ApiTokenSecret', parameter);
    for (const grantee of grantees) secret.grantRead(grantee);
    return;
  }
  const secureString = StringParameter.fromSecureStringParameterAttributes(
    scope,
    'ApiTokenParameter',
    { parameterName: parameter },
  );
  for (const grantee of grantees) secureString.grantRead(grantee);
}
