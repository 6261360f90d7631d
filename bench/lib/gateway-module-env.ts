/** Names the gateway's dist/app.module.js for the `gateway-modules` preload of the reference. */
export const GATEWAY_MODULE_ENV = 'BENCH_GATEWAY_APP_MODULE';
