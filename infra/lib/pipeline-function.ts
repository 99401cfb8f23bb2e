import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IGrantable, IRole } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { runtimeEnvironment } from '../../lambdas/shared/functions';
import { acknowledgeNag } from './nag';
import { esmRequireBanner, handlerBundling } from './bundling';

export interface PipelineFunctionNetwork {
  vpc: IVpc;
  subnets: SubnetSelection;
  securityGroups: ISecurityGroup[];
}

export interface PipelineFunctionProps {
  /** Its name: the Powertools service name and the role description (e.g. `poll-crm`). */
  name: string;
  entry: string;
  description: string;
  tunables: { memoryMb: number; timeoutSeconds: number; reservedConcurrency?: number };
  environment: Record<string, string>;
  logLevel: string;
  logRetention: RetentionDays;
  network?: PipelineFunctionNetwork | undefined;
  /** Invoked by an EventBridge rate rule every this many minutes. */
  rateMinutes?: number | undefined;
}

/**
 * One pipeline Lambda: bundled ESM on arm64, its own log group and a role that may only write to
 * it; the stack grants everything else, resource by resource.
 */
export class PipelineFunction extends Construct {
  readonly name: string;
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly schedule?: Rule;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.name = props.name;
    const logGroup = stackLogGroup(this, 'Logs', props.logRetention);
    // Our own role instead of the default one, which carries AWSLambdaBasicExecutionRole
    // (logs:* on every log group in the account).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.name}`,
    });
    logGroup.grantWrite(this.role);
    if (props.network) grantNetworkInterfaces(this.role, props.network);
    // No async retries (2, for up to 6 h) of a scheduled tick, which would re-run crashed polls and
    // pile up throttled flush ticks: the next tick catches up, and one older than a period is moot.
    const tickAge =
      props.rateMinutes === undefined ? undefined : Duration.minutes(props.rateMinutes);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.tunables.memoryMb,
      timeout: Duration.seconds(props.tunables.timeoutSeconds),
      role: this.role,
      logGroup,
      reservedConcurrentExecutions: props.tunables.reservedConcurrency,
      ...(tickAge && { retryAttempts: 0, maxEventAge: tickAge }),
      ...(props.network && {
        vpc: props.network.vpc,
        vpcSubnets: props.network.subnets,
        securityGroups: props.network.securityGroups,
      }),
      environment: { ...props.environment, ...runtimeEnvironment(props.name, props.logLevel) },
      bundling: {
        ...handlerBundling,
        format: OutputFormat.ESM,
        banner: esmRequireBanner,
        sourceMap: true,
        // Bundle the AWS SDK too instead of using the runtime's copy: the handlers rely on recent
        // features (S3 conditional writes) and get exactly the versions the tests ran against.
        externalModules: [],
      },
    });
    if (tickAge) {
      this.schedule = new Rule(this, 'Schedule', {
        description: `Invokes ${props.name} every ${props.rateMinutes} minute(s)`,
        schedule: Schedule.rate(tickAge),
        targets: [new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: tickAge })],
      });
    }
  }
}

/** A log group deleted with the stack, its events kept for `retention`. */
export const stackLogGroup = (scope: Construct, id: string, retention: RetentionDays) =>
  new LogGroup(scope, id, { retention, removalPolicy: RemovalPolicy.DESTROY });

/** One inline statement on the grantee's policy. */
export function allow(
  grantee: IGrantable,
  actions: string[],
  resources: string[],
  conditions?: Record<string, unknown>,
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions, resources, ...(conditions && { conditions }) }),
  );
}

/**
 * What Lambda does as a VPC function's role: manage its network interfaces in the function's
 * subnets and security groups. Inline instead of AWSLambdaVPCAccessExecutionRole (logs:* on `*`;
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).
 */
function grantNetworkInterfaces(role: Role, network: PipelineFunctionNetwork): void {
  const arn = (resource: string) => Stack.of(role).formatArn({ service: 'ec2', resource });
  const interfaces = arn('network-interface/*');
  allow(
    role,
    ['ec2:CreateNetworkInterface'],
    [
      interfaces,
      ...network.vpc.selectSubnets(network.subnets).subnetIds.map((id) => arn(`subnet/${id}`)),
      ...network.securityGroups.map((group) => arn(`security-group/${group.securityGroupId}`)),
    ],
  );
  const addresses = ['ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'];
  allow(role, ['ec2:DeleteNetworkInterface', ...addresses], [interfaces]);
  grantDescribe(role, ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets']);
  const reason =
    'Lambda creates and names the network interfaces of a VPC function itself; they are scoped to this account and Region (the subnets and security groups are exact).';
  const eni =
    'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*';
  acknowledgeNag(role, [{ id: 'AwsSolutions-IAM5', reason, appliesTo: [eni] }]);
}

/**
 * EC2 Describe actions have no resource-level permissions: `*` is the only resource IAM takes
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
 */
export function grantDescribe(role: IRole, actions: string[]): void {
  allow(role, actions, ['*']);
  const reason = `${actions.join(', ')} take no resource-level permissions: IAM only accepts "*" for them.`;
  acknowledgeNag(role, [{ id: 'AwsSolutions-IAM5', reason, appliesTo: ['Resource::*'] }]);
}
