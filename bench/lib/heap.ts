import { readFileSync } from 'node:fs';

/**
 * Compares two V8 heap snapshots of the same server taken a known number of idle connections
 * apart: what grew, per added connection, by constructor. That is what an idle connection costs
 * and who allocates it.
 */

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGrowth {
  name: string;
  countPerConnection: number;
  bytesPerConnection: number;
}

export interface HeapDiff {
  server: string;
  addedConnections: number;
  bytesPerConnection: number;
  top: HeapGrowth[];
}

function group(type: string, name: string): string {
  if (type === 'object') return name;
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return '(string)';
  if (type === 'closure') return `(closure) ${name}`;
  return `(${type})`;
}

function tally(path: string): Map<string, { count: number; bytes: number }> {
  const file = JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotFile;
  const fields = file.snapshot.meta.node_fields;
  const types = file.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < file.nodes.length; i += width) {
    const key = group(types[file.nodes[i + typeAt]!] ?? 'unknown', file.strings[file.nodes[i + nameAt]!] ?? '');
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += file.nodes[i + sizeAt]!;
    totals.set(key, entry);
  }
  return totals;
}

export function diffHeapSnapshots(server: string, before: string, after: string, addedConnections: number, topN = 40): HeapDiff {
  const a = tally(before);
  const b = tally(after);
  const growth: HeapGrowth[] = [];
  let bytes = 0;
  for (const [name, end] of b) {
    const start = a.get(name) ?? { count: 0, bytes: 0 };
    const delta = end.bytes - start.bytes;
    bytes += delta;
    growth.push({
      name,
      countPerConnection: Math.round(((end.count - start.count) / addedConnections) * 100) / 100,
      bytesPerConnection: Math.round((delta / addedConnections) * 10) / 10,
    });
  }
  growth.sort((x, y) => y.bytesPerConnection - x.bytesPerConnection);
  return { server, addedConnections, bytesPerConnection: Math.round(bytes / addedConnections), top: growth.slice(0, topN) };
}
