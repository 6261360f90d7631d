import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Server } from 'socket.io';
import { ErrorCode } from '../common/error-code.js';
import type { SocketData } from '../contract.js';
import { CHAT_ROOM_PREFIX } from '../rooms/room-names.js';

export type EventOutcome = 'ok' | ErrorCode;
export type DeliveryKind = 'room' | 'direct' | 'announcement';

const MS_PER_SECOND = 1000;
/**
 * Distinct event labels kept; the gateway has about ten events. Callers pass handler names only,
 * and this cap makes sure a caller that slips can never grow the registry per client-chosen name.
 */
export const MAX_EVENT_LABELS = 64;
export const OVERFLOW_EVENT_LABEL = '(other)';

/** The label children of one event name, made once so the hot path does no label hashing. */
interface EventChildren {
  label: string;
  outcomes: Map<EventOutcome, Counter.Internal>;
  latency: Histogram.Internal<'event'>;
}

/**
 * Prometheus metrics of one node, in a registry of its own (several apps can live in one
 * process in tests). Label children are cached so the hot path does no label hashing.
 */
@Injectable()
export class ChatMetrics {
  readonly registry = new Registry();
  private server?: Server;

  private readonly inboundEvents = new Counter({
    name: 'chat_inbound_events_total',
    help: 'Inbound socket events by event name and outcome (ok or error code)',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'chat_errors_total',
    help: 'Inbound events answered with an error, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'chat_rate_limited_total',
    help: 'Inbound events refused or dropped by the rate limiter',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  private readonly ackLatency = new Histogram({
    name: 'chat_ack_latency_seconds',
    help: 'Time from receiving an event to answering it',
    labelNames: ['event'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly delivered = new Counter({
    name: 'chat_messages_delivered_total',
    help: 'Messages accepted and broadcast, by kind (duplicates of a retried send are not counted)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly eventChildren = new Map<string, EventChildren>();
  private readonly deliveryChildren = new Map<DeliveryKind, Counter.Internal>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    const server = (): Server | undefined => this.server;
    new Gauge({
      name: 'chat_connected_sockets',
      help: 'Sockets connected to this node',
      registers: [this.registry],
      collect() {
        this.set(server()?.of('/').sockets.size ?? 0);
      },
    });
    new Gauge({
      name: 'chat_connected_users',
      help: 'Distinct users with at least one socket on this node',
      registers: [this.registry],
      collect() {
        const users = new Set<string>();
        for (const socket of server()?.of('/').sockets.values() ?? []) users.add((socket.data as SocketData).user.id);
        this.set(users.size);
      },
    });
    new Gauge({
      name: 'chat_rooms',
      help: 'Chat rooms with at least one socket on this node (user and socket rooms excluded)',
      registers: [this.registry],
      collect() {
        const adapter = server()?.of('/').adapter;
        let rooms = 0;
        for (const room of adapter?.rooms.keys() ?? []) {
          if (room.startsWith(CHAT_ROOM_PREFIX)) rooms += 1;
        }
        this.set(rooms);
      },
    });
  }

  /** Gauges read the live socket.io server at scrape time. */
  attach(server: Server): void {
    this.server = server;
  }

  /**
   * event: a handler name of the gateway or the adapter's label for unknown ones; startedAt:
   * performance.now() when the event arrived.
   */
  recordEvent(event: string, outcome: EventOutcome, startedAt: number): void {
    const children = this.eventChildren.get(event) ?? this.addEvent(event);
    const counter = children.outcomes.get(outcome) ?? this.addOutcome(children, outcome);
    counter.inc();
    children.latency.observe((performance.now() - startedAt) / MS_PER_SECOND);
    if (outcome === 'ok') return;
    this.errors.labels(outcome).inc();
    if (outcome === ErrorCode.RATE_LIMITED) this.rateLimited.labels(children.label).inc();
  }

  recordDroppedTyping(): void {
    this.rateLimited.labels('typing').inc();
  }

  recordDelivery(kind: DeliveryKind): void {
    let counter = this.deliveryChildren.get(kind);
    if (!counter) {
      counter = this.delivered.labels(kind);
      this.deliveryChildren.set(kind, counter);
    }
    counter.inc();
  }

  /** Past MAX_EVENT_LABELS names, every new one shares the overflow label's children. */
  private addEvent(event: string): EventChildren {
    const label = this.eventChildren.size < MAX_EVENT_LABELS ? event : OVERFLOW_EVENT_LABEL;
    let children = this.eventChildren.get(label);
    if (!children) {
      children = { label, outcomes: new Map(), latency: this.ackLatency.labels(label) };
      this.eventChildren.set(label, children);
    }
    return children;
  }

  private addOutcome(children: EventChildren, outcome: EventOutcome): Counter.Internal {
    const counter = this.inboundEvents.labels(children.label, outcome);
    children.outcomes.set(outcome, counter);
    return counter;
  }
}
