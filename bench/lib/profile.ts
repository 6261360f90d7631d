import { readFileSync, writeFileSync } from 'node:fs';
import { REPO_ROOT } from './servers.js';

/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` and the inspector write), attributes self time
 * to functions and to the library they live in, and draws a flame graph, so the report says
 * where the gateway's time goes compared with plain socket.io.
 */

/** The benchmark's own probe (starting and stopping the profiler) is left out of every figure. */
const PROBE = 'benchmark probe';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  name: string;
  location: string;
  category: string;
  selfMs: number;
  selfPercent: number;
}

export interface CategoryCost {
  category: string;
  selfMs: number;
  selfPercent: number;
  /** Time with at least one frame of this category on the stack. */
  inclusivePercent: number;
}

export interface ProfileSummary {
  server: string;
  scenario: string;
  path: string;
  flameGraph: string;
  /** Sampled time excluding idle. */
  busyMs: number;
  deliveries: number;
  /** Deliveries/s offered during the window (older results lack it: the fixed load). */
  offeredPerSec?: number;
  categories: CategoryCost[];
  top: FunctionCost[];
}

const LIBRARY_RULES: Array<[RegExp, string]> = [
  [/node_modules\/@nestjs\//, 'NestJS'],
  [/node_modules\/rxjs\//, 'RxJS'],
  [/node_modules\/(class-validator|class-transformer|validator|libphonenumber-js)\//, 'class-validator/transformer'],
  [
    /node_modules\/(pino|pino-std-serializers|nestjs-pino|pino-http|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|on-exit-leak-free|atomic-sleep)\//,
    'logging (pino)',
  ],
  // `debug` is on the list because socket.io and engine.io call it on every packet.
  [
    /node_modules\/(socket\.io|socket\.io-parser|socket\.io-adapter|engine\.io|engine\.io-parser|ws|@socket\.io\/[^/]+|bufferutil|utf-8-validate|base64id|debug|ms)\//,
    'socket.io/engine.io/ws',
  ],
  [/node_modules\/(better-sqlite3|pg|pg-[^/]+|ioredis|@ioredis\/[^/]+|redis-parser|cluster-key-slot|denque)\//, 'store drivers'],
  [/node_modules\/(express|router|body-parser|finalhandler|send|serve-static|on-finished|raw-body)\//, 'express'],
  [/node_modules\/prom-client\//, 'metrics (prom-client)'],
  [/node_modules\//, 'other libraries'],
];

/** Rules on paths relative to this checkout (the harness) and to the measured gateway's checkout. */
const HARNESS_RULES: Array<[RegExp, string]> = [
  [/^bench\/dist\/bench\/lib\/probe\.js$/, PROBE],
  [/^bench\/dist\/bench\/reference-server\.js$/, 'reference server code'],
];
const GATEWAY_RULES: Array<[RegExp, string]> = [
  [/^dist\/(database|.*(store|repository|sqlite|postgres|redis)[^/]*\.js$)/, 'gateway stores'],
  [/^dist\//, 'gateway app code'],
];

function relativeTo(root: string, url: string): string | undefined {
  const path = url.replace(/^file:\/\//, '');
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : undefined;
}

function categorizeFrame(frame: CallFrame, gatewayRoot: string): string {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(idle)') return 'idle';
  if (frame.functionName === '(program)') return 'V8/native (program)';
  if (frame.functionName === '(root)') return 'root';
  if (frame.url === '') return 'native (C++ builtins)';
  for (const [pattern, category] of LIBRARY_RULES) if (pattern.test(frame.url)) return category;
  const harness = relativeTo(REPO_ROOT, frame.url);
  if (harness !== undefined) for (const [pattern, category] of HARNESS_RULES) if (pattern.test(harness)) return category;
  const gateway = relativeTo(gatewayRoot, frame.url);
  if (gateway !== undefined) for (const [pattern, category] of GATEWAY_RULES) if (pattern.test(gateway)) return category;
  // Promise hooks run on every promise once anything uses AsyncLocalStorage (Node 20).
  if (/^node:(internal\/)?async_hooks$|^node:internal\/async_local_storage/.test(frame.url)) return 'async_hooks (AsyncLocalStorage)';
  if (/^node:|^internal\//.test(frame.url)) return 'Node.js core (JS)';
  return 'other';
}

function shortLocation(frame: CallFrame): string {
  if (!frame.url) return '(native)';
  const url = frame.url.replace(/^file:\/\//, '');
  const modules = url.lastIndexOf('node_modules/');
  const short =
    modules >= 0 ? url.slice(modules + 'node_modules/'.length) : (relativeTo(REPO_ROOT, frame.url) ?? url.replace(/^.*\/(dist\/)/, '$1'));
  return `${short}:${frame.lineNumber + 1}`;
}

/** Self time per node: each sample owns the time until the next one. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + delta);
  }
  return self;
}

export function summarizeProfile(
  path: string,
  meta: { server: string; scenario: string; deliveries: number; offeredPerSec?: number },
  gatewayRoot = REPO_ROOT,
  topN = 30,
): ProfileSummary {
  const categorize = (frame: CallFrame): string => categorizeFrame(frame, gatewayRoot);
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = selfTimes(profile);
  let busy = 0;
  const functions = new Map<string, FunctionCost>();
  const categorySelf = new Map<string, number>();
  const categoryInclusive = new Map<string, number>();
  for (const [id, micros] of self) {
    const node = byId.get(id)!;
    const category = categorize(node.callFrame);
    if (category === 'idle') continue;
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) onStack.add(categorize(byId.get(at)!.callFrame));
    if (onStack.has(PROBE)) continue;
    busy += micros;
    categorySelf.set(category, (categorySelf.get(category) ?? 0) + micros);
    const key = `${node.callFrame.functionName}|${node.callFrame.url}|${node.callFrame.lineNumber}`;
    const entry = functions.get(key) ?? {
      name: node.callFrame.functionName || '(anonymous)',
      location: shortLocation(node.callFrame),
      category,
      selfMs: 0,
      selfPercent: 0,
    };
    entry.selfMs += micros / 1000;
    functions.set(key, entry);
    for (const c of onStack) categoryInclusive.set(c, (categoryInclusive.get(c) ?? 0) + micros);
  }
  const percent = (micros: number): number => Math.round((micros / busy) * 1000) / 10;
  const top = [...functions.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, topN)
    .map((f) => ({ ...f, selfMs: Math.round(f.selfMs * 10) / 10, selfPercent: percent(f.selfMs * 1000) }));
  const categories = [...categorySelf.entries()]
    .filter(([c]) => c !== 'root')
    .sort((a, b) => b[1] - a[1])
    .map(([category, micros]) => ({
      category,
      selfMs: Math.round(micros / 100) / 10,
      selfPercent: percent(micros),
      inclusivePercent: percent(categoryInclusive.get(category) ?? 0),
    }));
  const flameGraph = path.replace(/\.cpuprofile$/, '.flame.svg');
  writeFileSync(flameGraph, flameSvg(profile, self, `${meta.server} - ${meta.scenario}`, categorize));
  return { ...meta, path, flameGraph, busyMs: Math.round(busy / 1000), categories, top };
}

const CATEGORY_COLORS: Record<string, string> = {
  NestJS: '#e0234e',
  RxJS: '#b7178c',
  'class-validator/transformer': '#f28e2b',
  'logging (pino)': '#9c755f',
  'socket.io/engine.io/ws': '#4e79a7',
  'store drivers': '#59a14f',
  'gateway stores': '#8cd17d',
  'gateway app code': '#edc948',
  'reference server code': '#edc948',
  'Node.js core (JS)': '#76b7b2',
  'native (C++ builtins)': '#bab0ac',
  GC: '#ff9da7',
};

/** An icicle-style flame graph: root at the top, width = inclusive time, colour = category. */
function flameSvg(profile: CpuProfile, self: Map<number, number>, title: string, categorize: (frame: CallFrame) => string): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = new Map<number, number>();
  const inclusive = (id: number): number => {
    const known = total.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const idle = node.callFrame.functionName === '(idle)';
    let sum = idle ? 0 : (self.get(id) ?? 0);
    for (const child of node.children ?? []) sum += inclusive(child);
    total.set(id, sum);
    return sum;
  };
  const root = profile.nodes[0]!;
  const rootTotal = inclusive(root.id) || 1;
  const width = 1600;
  const row = 16;
  const rects: string[] = [];
  let maxDepth = 0;
  const draw = (id: number, x: number, depth: number): void => {
    const node = byId.get(id)!;
    const w = (inclusive(id) / rootTotal) * width;
    if (w < 0.5) return;
    maxDepth = Math.max(maxDepth, depth);
    const frame = node.callFrame;
    const label = `${frame.functionName || '(anonymous)'} ${shortLocation(frame)}`;
    const share = ((inclusive(id) / rootTotal) * 100).toFixed(1);
    const color = CATEGORY_COLORS[categorize(frame)] ?? '#cccccc';
    const y = 24 + depth * row;
    rects.push(
      `<g><title>${escapeXml(`${label} (${share}%)`)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${row - 1}" fill="${color}"/>` +
        (w > 60 ? `<text x="${(x + 3).toFixed(1)}" y="${y + 11}" font-size="10">${escapeXml(clip(label, w / 6))}</text>` : '') +
        '</g>',
    );
    let offset = x;
    for (const child of node.children ?? []) {
      draw(child, offset, depth + 1);
      offset += (inclusive(child) / rootTotal) * width;
    }
  };
  draw(root.id, 0, 0);
  const height = 24 + (maxDepth + 1) * row + 8;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace">` +
    `<text x="4" y="16" font-size="13">${escapeXml(`CPU flame graph: ${title} (width = share of busy time; hover for names)`)}</text>` +
    rects.join('') +
    '</svg>\n'
  );
}

function clip(text: string, chars: number): string {
  const max = Math.floor(chars);
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}~`;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
