import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../common/error-code.js';
import { ChatMetrics, MAX_EVENT_LABELS, OVERFLOW_EVENT_LABEL } from './chat-metrics.js';

describe('ChatMetrics', () => {
  it('keeps at most MAX_EVENT_LABELS event labels, folding the rest into one', async () => {
    const metrics = new ChatMetrics();
    for (let i = 0; i < MAX_EVENT_LABELS + 500; i++) {
      metrics.recordEvent(`event-${i}`, 'ok', performance.now());
      metrics.recordEvent(`event-${i}`, ErrorCode.RATE_LIMITED, performance.now());
    }
    const inbound = await metrics.registry.getSingleMetric('chat_inbound_events_total')!.get();
    const labels = new Set(inbound.values.map((value) => value.labels.event));
    expect(labels.size).toBe(MAX_EVENT_LABELS + 1);
    expect(labels.has(OVERFLOW_EVENT_LABEL)).toBe(true);
    const overflow = inbound.values.filter((value) => value.labels.event === OVERFLOW_EVENT_LABEL);
    expect(overflow.map((value) => value.value).sort()).toEqual([500, 500]);
    const limited = await metrics.registry.getSingleMetric('chat_rate_limited_total')!.get();
    expect(limited.values).toHaveLength(MAX_EVENT_LABELS + 1);
  });
});
