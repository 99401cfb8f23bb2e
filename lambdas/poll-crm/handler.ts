import { createPollerLambda } from '../poller/poller-lambda';

/** Polls the CRM (customers) into `customer_data`; all logic lives in the shared poller. */
const pollCrm = await createPollerLambda('crm');

export const handler = pollCrm.handler;
