import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag';
import { staging, tables } from '../../lambdas/shared/pipeline';

export interface StorageProps {
  deliveredExpiryDays: number;
  dlqExpiryDays: number;
  retainData: boolean;
}

/**
 * The pipeline's state: the idempotency table (merge-consumer), the sync-state table (poller
 * watermarks, flush lease) and the staging bucket (staged, delivered and parked batches).
 */
export class Storage extends Construct {
  readonly idempotencyTable: Table;
  readonly syncStateTable: Table;
  readonly stagingBucket: Bucket;
  readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.idempotencyTable = new Table(this, 'IdempotencyTable', {
      tableName: tables.idempotency.name,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      timeToLiveAttribute: tables.idempotency.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });

    this.syncStateTable = new Table(this, 'SyncStateTable', {
      tableName: tables.syncState.name,
      partitionKey: { name: tables.syncState.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });

    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.dlqExpiryDays) }],
      removalPolicy,
    });
    acknowledgeNag(this.accessLogsBucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'This is the server access log bucket of the staging bucket; logging it into itself would loop.',
      },
    ]);

    // Bucket names are global: the pipeline's name plus account and region keeps it unique.
    this.stagingBucket = new Bucket(this, 'StagingBucket', {
      bucketName: `${staging.bucket}-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'staging-bucket/',
      lifecycleRules: [
        {
          id: 'expire-delivered',
          prefix: staging.prefixes.delivered,
          expiration: Duration.days(props.deliveredExpiryDays),
        },
        {
          id: 'expire-parked',
          prefix: staging.prefixes.dlq,
          expiration: Duration.days(props.dlqExpiryDays),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
    });
  }
}
