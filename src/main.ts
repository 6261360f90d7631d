import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/app-config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, { stdoutIsTerminal: process.stdout.isTTY });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The logger is configured from this very config, so this one message goes straight out.
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  new Logger('Main').log({ url: await app.getUrl(), node: config.nodeId, authMode: config.authMode }, 'chat gateway listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`chat gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
