/** Requests the runner sends to the probe inside a server process. */
export type ProbeRequest =
  | { kind: 'memory'; collect: boolean }
  | { kind: 'profile-start'; intervalMicros: number }
  | { kind: 'profile-stop'; path: string }
  | { kind: 'heap-snapshot'; path: string };

export type ProbeReply =
  | { kind: 'memory'; rss: number; heapUsed: number; heapTotal: number; external: number }
  | { kind: 'done' };

export type ProbeMessage = { seq: number; ok: true; reply: ProbeReply } | { seq: number; ok: false; error: string };
