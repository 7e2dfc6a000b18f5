import type { AppDeps } from '../deps.js';
import { route } from '../route.js';

/** What the seat-picker page needs to know about this deployment (nothing secret). */
export function clientConfigRoutes({ config }: AppDeps) {
  return [
    route({
      method: 'get',
      path: '/api/config',
      summary: 'Settings for the seat-picker page: where the Temporal Web UI is, and the namespace',
      tag: 'operations',
      access: 'public',
      responses: { 200: '{ temporalUiUrl, namespace }' },
      async handler(ctx) {
        ctx.body = { temporalUiUrl: config.TEMPORAL_UI_URL.replace(/\/+$/, ''), namespace: config.TEMPORAL_NAMESPACE };
      },
    }),
  ];
}
