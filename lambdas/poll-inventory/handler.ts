import { createPollerLambda } from '../poller/poller-lambda';

/** Polls Inventory (products) into `inventory_data`; all logic lives in the shared poller. */
export const { handler } = await createPollerLambda('inventory');
