import 'reflect-metadata';
import { type INestApplication, Logger } from '@nestjs/common';
import { createApp } from './bootstrap.js';
import { DrainService } from './chat/drain.service.js';
import { type AppConfig, ConfigError, loadConfig } from './config/app-config.js';
import { keepServingOnUnhandledRejections } from './logging/unhandled-rejections.js';

/** Beyond the grace period, closing connections and stores gets this long before a hard exit. */
const CLOSE_MARGIN_MS = 5000;

function readConfig(): AppConfig {
  try {
    return loadConfig(process.env, { stdoutIsTerminal: process.stdout.isTTY });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The logger is configured from this very config, so this one message goes straight out.
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** SIGTERM/SIGINT: drain (readiness 503, clients told to move), close, exit 0. */
function handleSignals(app: INestApplication, config: AppConfig): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.log({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + CLOSE_MARGIN_MS).unref();
    app
      .get(DrainService)
      .drain()
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function main(): Promise<void> {
  const config = readConfig();
  keepServingOnUnhandledRejections();
  const app = await createApp(config);
  handleSignals(app, config);
  await app.listen(config.port, config.host);
  new Logger('Main').log({ url: await app.getUrl(), authMode: config.authMode }, 'chat gateway listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`chat gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
