/**
 * The settings module (functions/settings/) for the package-time resolvers: settings.cjs, vpcs.cjs and
 * variables.cjs read the deployer's environment with the very code the functions check it with at cold start.
 * The module imports nothing outside its folder; esbuild bundles it in memory once per `serverless` run.
 */
'use strict';

const { join } = require('node:path');

let settings;

/** @returns {typeof import('../functions/settings/index.ts')} */
function settingsModule() {
  if (!settings) {
    const { outputFiles } = require('esbuild').buildSync({
      entryPoints: [join(__dirname, '..', 'functions', 'settings', 'index.ts')],
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      write: false,
    });
    const compiled = { exports: {} };
    new Function('module', 'exports', outputFiles[0].text)(compiled, compiled.exports);
    settings = compiled.exports;
  }
  return settings;
}

module.exports = { settingsModule };
