import { ApiClient } from './client.ts';
import { createEndpoints } from './endpoints.ts';

export { ApiError, fieldErrors, messageOf } from './errors.ts';
export type { Page, ProjectPage, UserPage, ItemPage } from './endpoints.ts';

/** The app's single API client; the session wires `onUnauthenticated` at start-up. */
export const client = new ApiClient();
export const api = createEndpoints(client);
