import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Typed search attributes of every reservation workflow (registered by scripts/temporal-cli.ts). */
export const EventIdKey = defineSearchAttributeKey('EventId', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const ReservationStatusKey = defineSearchAttributeKey('ReservationStatus', SearchAttributeType.KEYWORD);
export const SeatIdsKey = defineSearchAttributeKey('SeatIds', SearchAttributeType.KEYWORD_LIST);
