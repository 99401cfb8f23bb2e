import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { staging, tables } from '../../lambdas/shared/pipeline';
import { acknowledgeNag } from './nag';

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

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    type TableSpec = { name: string; partitionKey: string; ttlAttribute?: string };
    const table = (tableId: string, { name, partitionKey, ttlAttribute }: TableSpec) =>
      new Table(this, tableId, {
        tableName: name,
        partitionKey: { name: partitionKey, type: AttributeType.STRING },
        ...(ttlAttribute && { timeToLiveAttribute: ttlAttribute }),
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy,
      });
    this.idempotencyTable = table('IdempotencyTable', tables.idempotency);
    this.syncStateTable = table('SyncStateTable', tables.syncState);

    const bucketSecurity = {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy,
    };
    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      ...bucketSecurity,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.dlqExpiryDays) }],
    });
    const reason = `The staging bucket's access log bucket: logging it into itself would loop.`;
    acknowledgeNag(accessLogs, [{ id: 'AwsSolutions-S1', reason }]);
    // Bucket names are global: the pipeline's name plus account and region keeps it unique.
    this.stagingBucket = new Bucket(this, 'StagingBucket', {
      ...bucketSecurity,
      bucketName: `${staging.bucket}-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
      versioned: false,
      serverAccessLogsBucket: accessLogs,
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
    });
  }
}
