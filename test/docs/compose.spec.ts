import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/app-config.js';
import {
  configVariables,
  find,
  interpolate,
  type NginxDirective,
  nginxTimeMs,
  parseEnvFile,
  parseNginx,
  referencedVariables,
} from './compose-files.js';

/**
 * docker-compose.yml, .env.example and deploy/nginx.conf against the code and the README: the
 * gateway environment is configuration the app reads and accepts, the topology is the one the
 * README describes, and the load balancer proxies WebSockets with long enough timeouts.
 */
const file = (path: string): string => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
const CONFIG_DIR = fileURLToPath(new URL('../../src/config', import.meta.url));

interface Service {
  build?: string | { context: string };
  image?: string;
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  stop_grace_period?: string;
}

function durationMs(value: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(value);
  if (!match) throw new Error(`not a compose duration: ${value}`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

/** Backticked names in the first column of the tables in the README section about compose. */
function readmeServices(readme: string): string[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => /^#{1,6} .*compose/i.test(line));
  if (start < 0) return [];
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((line, index) => index > start && new RegExp(`^#{1,${level}} `).test(line));
  const section = lines.slice(start + 1, end < 0 ? undefined : end);
  return section
    .filter((line) => line.startsWith('|'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([a-z0-9-]+)`/g)].map((match) => match[1]!));
}

describe('docker compose topology', () => {
  let services: Record<string, Service>;
  let composeText: string;
  let gateways: string[];
  let example: Record<string, string>;

  beforeAll(() => {
    composeText = file('docker-compose.yml');
    const compose = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
    services = compose.services;
    gateways = Object.keys(services).filter((name) => services[name]!.build !== undefined);
    example = parseEnvFile(file('.env.example'));
  });

  function gatewayEnv(name: string, env: Record<string, string>): Record<string, string> {
    return Object.fromEntries(
      Object.entries(services[name]!.environment ?? {}).map(([key, value]) => [key, interpolate(String(value ?? ''), env)]),
    );
  }

  it('has every service the README names, and two gateway replicas built from this repository', () => {
    const named = readmeServices(file('README.md'));
    expect(named.length).toBeGreaterThan(0);
    for (const service of named) expect(Object.keys(services)).toContain(service);
    expect(gateways).toHaveLength(2);
    const images = Object.values(services).map((service) => service.image?.split(':')[0]);
    expect(images).toEqual(expect.arrayContaining(['nginx', 'postgres', 'redis']));
  });

  it('sets only environment variables the configuration reads', () => {
    const known = configVariables(CONFIG_DIR);
    expect(known.size).toBeGreaterThan(20);
    for (const gateway of gateways) {
      const unknown = Object.keys(services[gateway]!.environment ?? {}).filter((name) => !known.has(name));
      expect({ gateway, unknown }).toEqual({ gateway, unknown: [] });
    }
  });

  it('gives the gateways a configuration that loads: PostgreSQL, Redis, behind a proxy', () => {
    for (const env of [{}, example]) {
      for (const gateway of gateways) {
        const config = loadConfig(gatewayEnv(gateway, env));
        expect(config.database.kind).toBe('postgres');
        expect(config.redisUrl).toMatch(/^redis:\/\/redis:/);
        expect(config.trustProxy).toBe(true);
        expect(config.nodeId).toBe(gateway);
      }
    }
  });

  it('documents every variable it uses in .env.example, with the same defaults', () => {
    expect([...referencedVariables(composeText)].sort()).toEqual(Object.keys(example).sort());
    for (const [name, value] of Object.entries(example)) {
      const defaulted = new RegExp(`\\$\\{${name}:-([^}]*)\\}`, 'g');
      for (const match of composeText.matchAll(defaulted)) expect({ name, default: match[1] }).toEqual({ name, default: value });
    }
  });

  it('starts services in order through health checks', () => {
    for (const [name, service] of Object.entries(services))
      expect({ name, healthcheck: Boolean(service.healthcheck?.test) }).toEqual({ name, healthcheck: true });
    for (const gateway of gateways) {
      expect(services[gateway]!.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
      const grace = Number(gatewayEnv(gateway, {}).SHUTDOWN_GRACE_MS);
      expect(durationMs(services[gateway]!.stop_grace_period ?? '10s')).toBeGreaterThan(grace);
    }
    expect(services.lb!.depends_on).toEqual(Object.fromEntries(gateways.map((g) => [g, { condition: 'service_healthy' }])));
  });

  it('keeps PostgreSQL data in a named volume', () => {
    const compose = parse(composeText) as { volumes?: Record<string, unknown> };
    const mount = services.postgres!.volumes?.find((volume) => volume.endsWith(':/var/lib/postgresql/data'));
    expect(mount).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(mount!.split(':')[0]);
  });

  describe('load balancer (deploy/nginx.conf)', () => {
    let http: NginxDirective[];
    let root: NginxDirective;

    beforeAll(() => {
      expect(services.lb!.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
      http = find(parseNginx(file('deploy/nginx.conf')), 'http')[0]!.block!;
      const server = find(http, 'server')[0]!.block!;
      root = find(server, 'location', '/')[0]!;
    });

    it('is published on port 8080 and routes to exactly the gateway replicas, sticky per client', () => {
      expect(services.lb!.ports).toContain('${HTTP_PORT:-8080}:8080');
      const proxied = /^http:\/\/([\w-]+)$/.exec(find(root.block, 'proxy_pass')[0]!.args[0]!)![1];
      const upstream = find(http, 'upstream', proxied)[0]!.block!;
      const targets = find(upstream, 'server').map((server) => server.args[0]);
      expect(targets.sort()).toEqual(gateways.map((g) => `${g}:${gatewayEnv(g, {}).PORT}`).sort());
      const sticky = find(upstream, 'ip_hash').length + find(upstream, 'hash', '$remote_addr').length;
      expect(sticky).toBe(1);
    });

    it('passes WebSocket upgrades through', () => {
      const headers = Object.fromEntries(find(root.block, 'proxy_set_header').map((d) => [d.args[0]!.toLowerCase(), d.args[1]]));
      expect(find(root.block, 'proxy_http_version')[0]!.args).toEqual(['1.1']);
      expect(headers.upgrade).toBe('$http_upgrade');
      const connection = headers.connection!;
      const map = find(http, 'map', '$http_upgrade').find((d) => d.args[1] === connection);
      expect(map).toBeDefined();
      expect(find(map!.block, 'default')[0]!.args).toEqual(['upgrade']);
    });

    it('waits longer than socket.io ping interval plus ping timeout', () => {
      for (const gateway of gateways) {
        const env = gatewayEnv(gateway, {});
        const heartbeatMs = Number(env.PING_INTERVAL_MS) + Number(env.PING_TIMEOUT_MS);
        expect(heartbeatMs).toBeGreaterThan(0);
        for (const timeout of ['proxy_read_timeout', 'proxy_send_timeout']) {
          const value = find(root.block, timeout)[0]?.args[0];
          expect({ timeout, ms: nginxTimeMs(value ?? '60s') > heartbeatMs }).toEqual({ timeout, ms: true });
        }
      }
    });
  });
});
