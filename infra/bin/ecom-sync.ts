#!/usr/bin/env node
import { buildApp } from '../lib/app';

// `npx cdk synth -c target=aws|localstack`; see docs/deploy.md for every context key.
buildApp();
