import { createPollerLambda } from '../poller/poller-lambda';

/** Polls the CRM (customers) into `customer_data`; all logic lives in the shared poller. */
export const { handler } = await createPollerLambda('crm');
