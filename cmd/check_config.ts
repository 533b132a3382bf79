/**
 * `vigil check config FILE...`: validates configuration files the way
 * `promtool check config` does, with its output shape and exit codes.
 *
 * For each file: `Checking FILE`, the configuration is loaded and validated; then,
 * like promtool, the files it refers to are checked: rule file globs (an explicit,
 * glob-free path must exist), `file_sd_configs` files (must parse as target groups; a
 * missing one is only a warning), authorization credentials files and TLS client
 * certificate/key files (must exist). Then ` SUCCESS: FILE is valid prometheus config
 * file syntax` or `  FAILED: <error>`, and each rule file is read (validating rule
 * content is the rule checker's job; see `CheckConfigOptions.checkRuleFile`).
 *
 * Exit code 0 when everything is valid, 1 otherwise.
 */
import { readFile, stat } from 'node:fs/promises';
import type { AlertmanagerConfig } from '../alert/config.js';
import type { FileSdConfig } from '../scrape/discovery_config.js';
import type { HttpClientConfig } from '../scrape/http_client_config.js';
import { ConfigDoc, ConfigError } from '../tsdb/config_reader.js';
import { loadConfigFile, type VigilConfig } from './config.js';
import { expandGlob, hasGlobMeta } from './file_glob.js';

/** Where `runCheckConfig` prints: `log` is stdout, `err` stderr (as promtool splits them). */
export interface CheckConfigOutput {
  log(s: string): void;
  err(s: string): void;
}

/** Result of checking one rule file's content. */
export type RuleFileCheck = { ok: true; rules: number } | { ok: false; errors: string[] };

/** Options of `runCheckConfig`. */
export interface CheckConfigOptions {
  /**
   * Validates the content of one rule file (the alert part provides it). Without it,
   * rule files are only read, and reported as not validated.
   */
  checkRuleFile?: (path: string, text: string) => RuleFileCheck;
}

/** Target group files larger than this are refused. */
const MAX_SD_FILE_BYTES = 64 * 1024 * 1024;

/** Parses a file SD file as target groups; throws an Error saying what is wrong. */
async function checkSdFile(path: string): Promise<void> {
  const st = await stat(path);
  if (st.size > MAX_SD_FILE_BYTES) throw new Error(`file is larger than ${MAX_SD_FILE_BYTES} bytes`);
  const text = await readFile(path, 'utf8');
  const lower = path.toLowerCase();
  if (lower.endsWith('.json')) {
    const v: unknown = JSON.parse(text);
    if (v === null) return;
    if (!Array.isArray(v)) throw new Error('expected a JSON array of target groups');
    v.forEach((g: unknown, i) => {
      if (g === null || typeof g !== 'object' || Array.isArray(g)) throw new Error(`target group ${i}: expected an object`);
      const { targets, labels } = g as { targets?: unknown; labels?: unknown };
      if (targets !== undefined && targets !== null && (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string'))) {
        throw new Error(`target group ${i}: "targets" must be a list of strings`);
      }
      if (labels !== undefined && labels !== null) {
        if (typeof labels !== 'object' || Array.isArray(labels)) throw new Error(`target group ${i}: "labels" must be an object`);
        for (const [k, lv] of Object.entries(labels)) {
          if (k === '') throw new Error(`target group ${i}: "" is not a valid label name`);
          if (typeof lv !== 'string') throw new Error(`target group ${i}: label ${JSON.stringify(k)} must have a string value`);
        }
      }
    });
    return;
  }
  if (lower.endsWith('.yml') || lower.endsWith('.yaml')) {
    for (const g of ConfigDoc.parse(text, path).rootMapList('target group')) {
      g.fields(['targets', 'labels']);
      g.strList('targets');
      g.labelMap('labels', 'utf8');
    }
    return;
  }
  throw new Error(`invalid file extension of ${JSON.stringify(path)}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function checkFileSd(configs: FileSdConfig[], missing: (file: string) => string, out: CheckConfigOutput): Promise<void> {
  for (const c of configs) {
    for (const pattern of c.files) {
      const files = await expandGlob(pattern);
      if (files.length === 0) {
        out.log(`  WARNING: ${missing(pattern)}`);
        continue;
      }
      for (const f of files) {
        try {
          await checkSdFile(f);
        } catch (e) {
          throw new Error(`checking SD file ${JSON.stringify(pattern)}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }
}

async function checkClientFiles(h: HttpClientConfig): Promise<void> {
  const creds = h.authorization?.credentialsFile ?? '';
  if (creds !== '' && !(await exists(creds))) {
    throw new Error(`error checking authorization credentials or bearer token file ${JSON.stringify(creds)}: no such file`);
  }
  for (const [what, f] of [
    ['client cert file', h.tlsConfig.certFile],
    ['client key file', h.tlsConfig.keyFile],
  ] as const) {
    if (f !== '' && !(await exists(f))) throw new Error(`error checking ${what} ${JSON.stringify(f)}: no such file`);
  }
}

/** Checks the files `cfg` refers to; returns the rule files the globs match. Throws on failure. */
async function checkReferencedFiles(cfg: VigilConfig, out: CheckConfigOutput): Promise<string[]> {
  const ruleFiles: string[] = [];
  for (const rf of cfg.ruleFiles) {
    const matches = await expandGlob(rf);
    // An explicit path (no glob) must exist.
    if (!hasGlobMeta(rf) && matches.length === 0) throw new Error(`${JSON.stringify(rf)} does not point to an existing file`);
    ruleFiles.push(...matches);
  }
  for (const sc of cfg.scrapeConfigs) {
    await checkClientFiles(sc.httpClientConfig);
    await checkFileSd(sc.fileSdConfigs, (f) => `file ${JSON.stringify(f)} for file_sd in scrape job ${JSON.stringify(sc.jobName)} does not exist`, out);
  }
  const ams: AlertmanagerConfig[] = cfg.alerting.alertmanagers;
  for (const am of ams) {
    await checkFileSd(am.fileSdConfigs, (f) => `file ${JSON.stringify(f)} for file_sd in alertmanager config does not exist`, out);
  }
  return ruleFiles;
}

/**
 * Checks each configuration file, printing promtool-like output, and returns the exit
 * code: 0 if all are valid, 1 otherwise (also when a matched rule file cannot be read).
 */
export async function runCheckConfig(files: string[], out: CheckConfigOutput, options: CheckConfigOptions = {}): Promise<number> {
  let failed = false;
  for (const file of files) {
    out.log(`Checking ${file}`);
    let ruleFiles: string[] = [];
    try {
      const { config, warnings } = await loadConfigFile(file);
      for (const w of warnings) out.log(`  WARNING: ${w.message}`);
      ruleFiles = await checkReferencedFiles(config, out);
      if (ruleFiles.length > 0) out.log(`  SUCCESS: ${ruleFiles.length} rule files found`);
      out.log(` SUCCESS: ${file} is valid prometheus config file syntax`);
    } catch (e) {
      if (!(e instanceof ConfigError) && !(e instanceof Error)) throw e;
      out.err(`  FAILED: ${e.message}`);
      failed = true;
    }
    out.log('');
    for (const rf of ruleFiles) {
      out.log(`Checking ${rf}`);
      let text: string;
      try {
        text = await readFile(rf, 'utf8');
      } catch (e) {
        const reason = (e as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory' : e instanceof Error ? e.message : String(e);
        out.err(`  FAILED:\n     ${rf}: cannot read rule file: ${reason}`);
        failed = true;
        out.log('');
        continue;
      }
      if (options.checkRuleFile === undefined) {
        out.log('  SUCCESS: rule file read (rule content is not validated yet)');
      } else {
        const res = options.checkRuleFile(rf, text);
        if (res.ok) out.log(`  SUCCESS: ${res.rules} rules found`);
        else {
          out.err(`  FAILED:\n${res.errors.map((m) => `${rf}: ${m}`).join('\n')}`);
          failed = true;
        }
      }
      out.log('');
    }
  }
  return failed ? 1 : 0;
}
