// Bundles the service in the current directory into dist/main.js for its container image.
import { resolve } from 'node:path';
import process from 'node:process';
import { bundleService } from './bundle-service.mjs';

const serviceDir = process.cwd();
await bundleService(serviceDir, resolve(serviceDir, 'dist/main.js'));
