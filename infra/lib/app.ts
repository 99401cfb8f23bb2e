import { App, Validations } from 'aws-cdk-lib';
import type { AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EcomSyncStack } from './ecom-sync-stack';
import { contextKeys, parseInfraContext } from './infra-context';

/**
 * The app: the context, the one stack (environment-agnostic: `cdk synth` works offline) and
 * cdk-nag's AWS Solutions pack as a validation plugin (an unacknowledged finding fails synth).
 */
export function buildApp(props: AppProps & { nag?: boolean } = {}) {
  const { nag = true, ...appProps } = props;
  const app = new App(appProps);
  // An unset key reads as undefined, which the schema's defaults and optionals take as absent.
  const raw = Object.fromEntries(contextKeys.map((key) => [key, app.node.tryGetContext(key)]));
  const context = parseInfraContext(raw);
  const stack = new EcomSyncStack(app, context.stackName, {
    context,
    description: `ecom-sync pipeline (target ${context.target})`,
  });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
