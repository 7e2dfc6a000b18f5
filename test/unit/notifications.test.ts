import { describe, expect, it } from 'vitest';
import { leadTime } from '../../activities/notifications.js';
import { ConfigError, loadConfig, serviceDatabaseUrl } from '../../lib/config.js';
import { isNotifiedStatus, noticeKey, reservationNoticeKey } from '../../lib/notifications.js';

describe('reminder configuration', () => {
  it('reminds 24 h and 1 h before by default, and reads any list of seconds largest first', () => {
    expect(loadConfig({}).REMINDER_OFFSETS_SECONDS).toEqual([86_400, 3_600]);
    expect(loadConfig({ REMINDER_OFFSETS_SECONDS: '3, 10,5' }).REMINDER_OFFSETS_SECONDS).toEqual([10, 5, 3]);
  });

  it('refuses offsets that are not distinct positive whole seconds, naming the variable', () => {
    for (const bad of ['', '0', '-5', '1.5', '10,x', '5,5']) {
      expect(() => loadConfig({ REMINDER_OFFSETS_SECONDS: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ REMINDER_OFFSETS_SECONDS: bad }), bad).toThrow(/REMINDER_OFFSETS_SECONDS/);
    }
  });

  it('connects the reminder activities as their own role', () => {
    expect(serviceDatabaseUrl('notify', loadConfig({ DATABASE_URL: 'postgres://owner@db:5432/shop' }))).toBe('postgres://boxoffice_notify@db:5432/shop');
  });
});

describe('notification keys', () => {
  const eventId = 'e';
  const userId = 'u';
  it('name a reminder by subscriber, offset and start time, so a moved event reminds again but a retry does not', () => {
    const at = (startsAt: string, offsetSeconds = 3600) => noticeKey(eventId, userId, { kind: 'reminder', offsetSeconds, startsAt });
    expect(at('2026-12-24T19:00:00Z')).toBe(at('2026-12-24T19:00:00.000Z'));
    expect(at('2026-12-24T19:00:00Z')).not.toBe(at('2026-12-24T20:00:00Z'));
    expect(at('2026-12-24T19:00:00Z')).not.toBe(at('2026-12-24T19:00:00Z', 86_400));
    expect(noticeKey(eventId, 'other', { kind: 'event_cancelled' })).not.toBe(noticeKey(eventId, userId, { kind: 'event_cancelled' }));
  });

  it('name a change by the catalogue update, and a reservation notice by its status', () => {
    const change = (changedAt: string) => noticeKey(eventId, userId, { kind: 'event_changed', startsAt: 'x', previousStartsAt: 'y', changedAt });
    expect(change('2026-12-01T10:00:00Z')).not.toBe(change('2026-12-01T10:00:01Z'));
    expect(reservationNoticeKey('r', 'confirmed')).not.toBe(reservationNoticeKey('r', 'cancelled'));
    expect(['confirmed', 'failed', 'cancelled', 'expired'].every(isNotifiedStatus)).toBe(true);
    expect(['pending', 'held'].some(isNotifiedStatus)).toBe(false);
  });

  it('say how long before in words', () => {
    expect([86_400, 3_600, 1_800, 60, 5, 1].map(leadTime)).toEqual(['24 hours', '1 hour', '30 minutes', '1 minute', '5 seconds', '1 second']);
  });
});
