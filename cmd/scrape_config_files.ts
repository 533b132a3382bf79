/**
 * `scrape_config_files`: extra files holding `scrape_configs`, read when the
 * configuration is loaded from disk (Prometheus's `Config.GetScrapeConfigs`).
 *
 * Each glob is expanded; every matching file may contain only `scrape_configs`, whose
 * entries are validated against the main file's `global` section, get relative paths
 * resolved against their own file's directory, and must not reuse a job name.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseScrapeConfigs, type ScrapeConfig } from '../scrape/config.js';
import { ConfigDoc, ConfigError, type ConfigWarning } from '../tsdb/config_reader.js';
import { MAX_CONFIG_FILE_BYTES, type VigilConfig } from './config.js';
import { expandGlob } from './file_glob.js';

/**
 * Reads the files named by `config.scrapeConfigFiles` and returns the configuration with
 * their scrape configs appended (the input is not modified), plus their warnings.
 * Throws `ConfigError` naming the file for unreadable, invalid or duplicate entries.
 */
export async function withScrapeConfigFiles(config: VigilConfig): Promise<{ config: VigilConfig; warnings: ConfigWarning[] }> {
  if (config.scrapeConfigFiles.length === 0) return { config, warnings: [] };
  const firstSeen = new Map<string, string>();
  for (const [i, s] of config.scrapeConfigs.entries()) firstSeen.set(s.jobName, `scrape_configs[${i}] of ${config.file}`);
  const extra: ScrapeConfig[] = [];
  const warnings: ConfigWarning[] = [];
  for (const pattern of config.scrapeConfigFiles) {
    for (const file of await expandGlob(pattern)) {
      const where = { file, line: 0, column: 0, fieldPath: '' };
      let text: string;
      try {
        const st = await stat(file);
        if (st.size > MAX_CONFIG_FILE_BYTES) throw new ConfigError('too_large', where, `scrape config file is larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
        text = await readFile(file, 'utf8');
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        throw new ConfigError('read_failed', where, `cannot read scrape config file: ${e instanceof Error ? e.message : String(e)}`);
      }
      const doc = ConfigDoc.parse(text, file);
      const root = doc.root();
      root.fields(['scrape_configs']);
      const list = root.mapList('scrape_configs', 'scrape config');
      const parsed = parseScrapeConfigs(root, config.global, dirname(file));
      parsed.forEach((s, i) => {
        const first = firstSeen.get(s.jobName);
        if (first !== undefined) {
          throw list[i]!.valueError('job_name', 'duplicate', `job name ${JSON.stringify(s.jobName)} is already used by ${first}`);
        }
        firstSeen.set(s.jobName, `scrape_configs[${i}] of ${file}`);
      });
      extra.push(...parsed);
      warnings.push(...doc.warnings);
    }
  }
  return { config: { ...config, scrapeConfigs: [...config.scrapeConfigs, ...extra] }, warnings };
}
