// Every setting `serverless package` / `deploy` reads from the deployer's environment, checked all at once
// by the settings module (functions/settings/, the code the functions check their environment with at cold
// start) and returned with its defaults applied. Bad or missing settings fail the package with one message
// naming every problem (instead of one "Cannot resolve variable" per property). Referenced once, as
// `custom.settings: ${file(./settings.cjs)}`; serverless.yml reads `${self:custom.settings.NAME}`.
// CommonJS: osls loads variable files with require().
const ServerlessError = require('osls/lib/serverless-error');
const { settingsModule } = require('./resources/settings-module.cjs');

/**
 * The settings for the template, or one error listing every problem (its `problems` keep each one's
 * variables, for tests).
 * @param {Record<string, string | undefined>} env
 * @returns {Record<string, string>}
 */
function resolveSettings(env) {
  const { problems, values } = settingsModule().deploySettings(env);
  if (problems.length === 0) return values;
  // osls passes an error that starts this way through unchanged (any other gets a stack trace attached).
  const error = new ServerlessError(
    `Cannot resolve variable at "custom.settings": deploy settings: ${problems.map((item) => item.message).join('; ')}. Export them (docs/configuration.md) and run again.`,
    'PRIVATELINK_SETTINGS',
  );
  error.problems = problems;
  throw error;
}

module.exports = () => resolveSettings(process.env);
module.exports.resolveSettings = resolveSettings;
