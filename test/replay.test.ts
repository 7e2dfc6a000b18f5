import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';

/**
 * Histories of real runs of every saga path (recorded by `npm run replay:record`) must replay
 * against the current workflow code: a change that would break running workflows fails here.
 */
const historiesDir = fileURLToPath(new URL('./histories', import.meta.url));
const histories = readdirSync(historiesDir)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ name: path.basename(file, '.json'), history: historyFromJSON(JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8'))) }));

const silent = { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('workflow replay', () => {
  it('has a recorded history for every path of the saga (best available and waiting-list offers included), of two-phase commit, of the reminders, of the waiting list and of the waiting room', () => {
    expect(histories.map((entry) => entry.name).sort()).toEqual(
      [
        'best-available-confirmed',
        'best-available-sold-out',
        'check-in',
        'confirmed',
        'confirmed-then-cancelled',
        'event-cancelled',
        'event-reminders',
        'event-reminders-cancelled',
        'event-reminders-moved',
        'general-admission',
        'general-admission-hold-then-pay',
        'general-admission-one-upsert',
        'hold-cancelled',
        'hold-expired',
        'hold-then-pay',
        'payment-declined',
        'payment-flaky',
        'seats-unavailable',
        'ticketing-down',
        'two-phase-confirmed',
        'two-phase-declined',
        'two-phase-seats-unavailable',
        'waitlist-event-cancelled',
        'waitlist-left',
        'waitlist-offer',
        'waitlist-offer-expired',
        'waiting-room-closed',
        'waiting-room-idle',
        'waiting-room-sold-out',
      ].sort(),
    );
  });

  it.each(histories)('replays the $name history without non-determinism', async ({ name, history }) => {
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, `replay-${name}`)).resolves.toBeUndefined();
  });

  it('catches a workflow change that reorders the steps', async () => {
    const altered = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./fixtures/altered-workflows/index.ts', import.meta.url)), logger: silent });
    const confirmed = histories.find((entry) => entry.name === 'confirmed');
    expect(confirmed).toBeDefined();
    await expect(Worker.runReplayHistory({ workflowBundle: altered }, confirmed?.history, 'replay-altered')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
