/**
 * Preloaded into the reference server by `--reference-with-gateway-modules`: it imports the
 * measured gateway's module graph (NestJS, Express, Swagger, class-validator, pino, the drivers
 * and the gateway's own classes) and keeps it reachable without starting anything, so plain
 * socket.io runs with the gateway's heap of code and module state. The diagnostic answers how
 * much of a gap comes from carrying that heap (longer garbage collections) rather than from
 * the work the gateway does per message.
 */
import { pathToFileURL } from 'node:url';
import { GATEWAY_MODULE_ENV } from './gateway-module-env.js';

const appModule = process.env[GATEWAY_MODULE_ENV];
if (!appModule) throw new Error(`${GATEWAY_MODULE_ENV} must name the gateway's dist/app.module.js`);
const loaded: unknown = await import(pathToFileURL(appModule).href);
(globalThis as { benchGatewayModules?: unknown }).benchGatewayModules = loaded;
