import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ScheduledFunction {
  /** Used in the rule's id and description. */
  name: string;
  function: IFunction;
  rateMinutes: number;
}

/** EventBridge rate rules that invoke the pollers and flush. */
export class Schedules extends Construct {
  readonly rules: Rule[];

  constructor(scope: Construct, id: string, props: { targets: readonly ScheduledFunction[] }) {
    super(scope, id);
    this.rules = props.targets.map(
      (target) =>
        new Rule(this, `Every-${target.name}`, {
          description: `Invokes ${target.name} every ${target.rateMinutes} minute(s)`,
          schedule: Schedule.rate(Duration.minutes(target.rateMinutes)),
          // A missed tick is harmless (the next one catches up from the watermark), and a
          // retried one would overlap the next tick.
          targets: [
            new LambdaFunction(target.function, {
              retryAttempts: 0,
              maxEventAge: Duration.minutes(target.rateMinutes),
            }),
          ],
        }),
    );
    // The rule invokes asynchronously, so Lambda's own async retries (2, for up to 6 hours) apply
    // on top of the rule's: a crashed poll would be re-run and throttled flush ticks would pile
    // up. A tick older than one period is superseded by the next one.
    for (const target of props.targets) {
      target.function.configureAsyncInvoke({
        retryAttempts: 0,
        maxEventAge: Duration.minutes(target.rateMinutes),
      });
    }
  }
}
