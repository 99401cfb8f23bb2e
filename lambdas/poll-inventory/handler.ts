import { createPollerLambda } from '../poller/poller-lambda';

/** Polls Inventory (products) into `inventory_data`; all logic lives in the shared poller. */
const pollInventory = await createPollerLambda('inventory');

export const handler = pollInventory.handler;
