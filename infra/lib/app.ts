import { App, Validations } from 'aws-cdk-lib';
import type { AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EcomSyncStack } from './ecom-sync-stack';
import { contextKeys, parseInfraContext } from './infra-context';

/**
 * Builds the app: reads the context, creates the one stack, registers cdk-nag's AWS Solutions
 * pack (cdk-nag 3 runs as a CDK validation plugin: any unacknowledged finding fails synth).
 * The stack is environment-agnostic (no account/region, no lookups), so `cdk synth` works
 * offline and without credentials.
 */
export function buildApp(props: AppProps & { nag?: boolean } = {}): {
  app: App;
  stack: EcomSyncStack;
} {
  const { nag = true, ...appProps } = props;
  const app = new App(appProps);
  const raw = Object.fromEntries(
    contextKeys
      .map((key) => [key, app.node.tryGetContext(key)] as const)
      .filter(([, value]) => value !== undefined),
  );
  const context = parseInfraContext(raw);
  const stack = new EcomSyncStack(app, context.stackName, {
    context,
    description: `ecom-sync pipeline (target ${context.target})`,
  });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
