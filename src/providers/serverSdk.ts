import { RealtimeError } from '../core/errors.js';

/**
 * Awaits a provider's server SDK import and turns "not installed" into an `invalid_config`
 * error that says what to install. The `import()` itself stays in the provider's own file, with
 * its bundler comments, so that the bundler sees exactly that line.
 */
export async function loadServerSdk<T>(packageName: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new RealtimeError('invalid_config', `the package \`${packageName}\` is not installed: run \`npm install ${packageName}\``, { cause: error });
    }
    throw error;
  }
}
