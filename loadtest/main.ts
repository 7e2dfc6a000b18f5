import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { connectStoresAsOwner, storeSqls } from '../db/client.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { ApiClient } from './http-client.js';
import { OptionsError, parseCommandLine, usage } from './options.js';
import { outputFile, prepareOutput, type OutputTarget } from './output-paths.js';
import { reportCharts } from './report-charts.js';
import { renderHtmlReport } from './report-html.js';
import { exitCodeOf } from './result.js';
import { runLoad } from './run.js';
import { SetupError } from './setup.js';
import { formatSummary } from './summary-table.js';

/** `npm run loadtest -- [options]`: see `--help`. Exit 0: all invariants hold; 1: they do not; 2: it could not run. */
async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  let out: OutputTarget | undefined;
  let html: OutputTarget | undefined;
  try {
    parsed = parseCommandLine(argv);
    if (parsed.help) {
      console.log(usage());
      return 0;
    }
    // Before the load: a run of minutes must not be lost to a path it cannot write.
    if (parsed.options.out) out = await prepareOutput(parsed.options.out, '--out');
    if (parsed.options.html) html = await prepareOutput(parsed.options.html, '--html');
  } catch (error) {
    if (!(error instanceof OptionsError) && !(error instanceof ConfigError)) throw error;
    console.error(`${error.message}\n\nRun with --help for the options.`);
    return 2;
  }
  const { options } = parsed;

  const probe = new ApiClient(options.baseUrl, { maxSockets: 1, timeoutMs: 5000 });
  try {
    const health = await probe.get<unknown>('/healthz');
    if (health.status !== 200) throw new SetupError(`GET ${options.baseUrl}/healthz answered ${health.status}`);
  } catch (error) {
    console.error(`The API at ${options.baseUrl} does not answer (${error instanceof Error ? error.message : String(error)}). Start the stack (npm start) or pass --base-url.`);
    return 2;
  } finally {
    probe.close();
  }

  // Booking, payments and ticketing may each live in their own database (BOOKING_DATABASE_URL, ...).
  const cfg = loadConfig({ ...process.env, DATABASE_URL: options.databaseUrl });
  const stores = connectStoresAsOwner({ cfg, max: 2 });
  const connection = await Connection.connect({ address: options.temporalAddress });
  const temporal = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  try {
    const result = await runLoad(options, { stores: storeSqls(stores), temporal, progress: process.stderr, log: (line) => console.error(`[loadtest] ${line}`) });
    console.log(formatSummary(result));
    const runName = `${result.scenario ?? 'custom'}-${result.runId}`;
    if (out) {
      const file = outputFile(out, runName, '.json');
      await writeFile(file, JSON.stringify(result, null, 1));
      console.log(`Results: ${file}`);
    }
    if (html) {
      const file = outputFile(html, runName, '.html');
      await writeFile(file, renderHtmlReport(result));
      console.log(`Report: ${file}`);
    }
    if (options.chartsDir) {
      await mkdir(options.chartsDir, { recursive: true });
      const prefix = result.scenario ?? 'custom';
      for (const chart of reportCharts(result)) await writeFile(path.join(options.chartsDir, `${prefix}-${chart.name}.svg`), chart.svg);
      console.log(`Charts: ${options.chartsDir}/${prefix}-*.svg`);
    }
    return exitCodeOf(result);
  } catch (error) {
    if (error instanceof SetupError) {
      console.error(`Could not set the run up: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    await connection.close();
    await stores.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
