import { loadGatewayConfig } from './src/config.js';
console.log(loadGatewayConfig({ JWT_SECRET: 'a-secret-of-at-least-16-chars', PORT: '80.5' }).PORT);
console.log(loadGatewayConfig({ JWT_SECRET: 'a-secret-of-at-least-16-chars', PORT: '80abc' }).PORT);
