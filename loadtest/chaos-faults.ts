import { rmSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { ChaosStack } from './chaos-stack.js';

/** The faults `npm run experiment:chaos` injects, one at a time, each under load. */
export const faultNames = ['postgres-restart', 'temporal-kill', 'worker-kills', 'projection-kill', 'api-kill', 'gateway-down'] as const;
export type FaultName = (typeof faultNames)[number];

export interface FaultSettings {
  /** How long Postgres stays down between its crash and its start. */
  postgresDownMs: number;
  /** How long the Temporal dev server stays dead before it is started again on its database file. */
  temporalDownMs: number;
  workerKills: number;
  workerKillIntervalMs: number;
  gatewayDownMs: number;
  /** The file whose existence takes the simulated payment gateway down (PAYMENT_GATEWAY_DOWN_FILE). */
  gatewayDownFile: string;
}

export const faultSummaries: Record<FaultName, string> = {
  'postgres-restart': 'Postgres crashed (immediate stop) and started again',
  'temporal-kill': 'Temporal dev server kill -9, started again on its database file',
  'worker-kills': 'the Temporal worker kill -9, again and again',
  'projection-kill': 'the projection kill -9',
  'api-kill': 'one of the two API processes kill -9',
  'gateway-down': 'the payment gateway down',
};

/** How long the fault itself lasts: the load runs this long plus a lead and a tail. */
export function faultLengthMs(fault: FaultName, settings: FaultSettings): number {
  switch (fault) {
    case 'postgres-restart':
      return settings.postgresDownMs;
    case 'temporal-kill':
      return settings.temporalDownMs;
    case 'worker-kills':
      return settings.workerKills * settings.workerKillIntervalMs;
    case 'gateway-down':
      return settings.gatewayDownMs;
    default:
      return 0;
  }
}

/**
 * Injects the fault and returns when whatever was broken has been put back (or, for a process the
 * supervisor restarts, when it was killed): the moment "ready again" is measured from.
 */
export async function injectFault(stack: ChaosStack, fault: FaultName, settings: FaultSettings, log: (line: string) => void): Promise<void> {
  switch (fault) {
    case 'postgres-restart':
      stack.postgres.kill();
      log(`postgres down for ${settings.postgresDownMs} ms`);
      await delay(settings.postgresDownMs);
      stack.postgres.start();
      return;
    case 'temporal-kill':
      stack.killTemporal();
      log(`temporal killed; down for ${settings.temporalDownMs} ms`);
      await delay(settings.temporalDownMs);
      await stack.startTemporal();
      return;
    case 'worker-kills':
      for (let i = 0; i < settings.workerKills; i++) {
        stack.kill('worker');
        await delay(settings.workerKillIntervalMs);
      }
      log(`worker killed ${settings.workerKills} times`);
      return;
    case 'projection-kill':
      stack.kill('projection');
      return;
    case 'api-kill':
      stack.kill('api-1');
      return;
    case 'gateway-down':
      writeFileSync(settings.gatewayDownFile, 'down\n');
      log(`gateway down for ${settings.gatewayDownMs} ms`);
      try {
        await delay(settings.gatewayDownMs);
      } finally {
        rmSync(settings.gatewayDownFile, { force: true });
      }
      return;
  }
}
