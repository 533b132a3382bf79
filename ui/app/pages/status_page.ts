/** Runtime and build information (`/status`): `api/v1/status/runtimeinfo` and `api/v1/status/buildinfo`. */
import { obj, str } from '../decode.js';
import { h } from '../dom.js';
import type { PageContext } from '../routes.js';
import { kvTable, loadInto } from './page_loader.js';

const RUNTIME_NAMES: Readonly<Record<string, string>> = {
  startTime: 'Start time',
  CWD: 'Working directory',
  hostname: 'Hostname',
  serverTime: 'Server time',
  reloadConfigSuccess: 'Configuration reload',
  lastConfigTime: 'Last successful configuration reload',
  corruptionCount: 'WAL corruptions',
  goroutineCount: 'Goroutines',
  GOMAXPROCS: 'GOMAXPROCS',
  GOMEMLIMIT: 'GOMEMLIMIT',
  GOGC: 'GOGC',
  GODEBUG: 'GODEBUG',
  storageRetention: 'Storage retention',
};

const BUILD_NAMES: Readonly<Record<string, string>> = {
  version: 'Prometheus API version',
  vigilVersion: 'Vigil version',
  revision: 'Revision',
  branch: 'Branch',
  buildUser: 'Build user',
  buildDate: 'Build date',
  goVersion: 'Runtime',
};

function section(root: HTMLElement, title: string, path: string, names: Readonly<Record<string, string>>): () => void {
  root.appendChild(h('h2', null, title));
  return loadInto(root, path, undefined, (r, box) => {
    const rows = Object.entries(obj(r.data)).map(([k, v]) => {
      const text = k === 'reloadConfigSuccess' ? (v === true ? 'Successful' : 'Unsuccessful') : str(v);
      return [names[k] ?? k, text] as const;
    });
    box.appendChild(kvTable(rows));
  });
}

export function statusPage(root: HTMLElement, _ctx: PageContext): () => void {
  const a = section(root, 'Runtime information', 'api/v1/status/runtimeinfo', RUNTIME_NAMES);
  const b = section(root, 'Build information', 'api/v1/status/buildinfo', BUILD_NAMES);
  return () => {
    a();
    b();
  };
}
