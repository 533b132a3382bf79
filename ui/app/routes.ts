/**
 * The UI's pages and their paths (relative to the route prefix). The server
 * answers `index.html` for the same paths (ui/http.ts `UI_PAGES`); `/cluster/*`
 * is reserved for the cluster views, which add entries here with `section: 'cluster'`.
 */
import { alertsPage } from './pages/alerts_page.js';
import { clusterDeploymentsPage } from './pages/cluster_deployments_page.js';
import { clusterNodesPage } from './pages/cluster_nodes_page.js';
import { clusterPodsPage } from './pages/cluster_pods_page.js';
import { clusterServicesPage } from './pages/cluster_services_page.js';
import { configPage } from './pages/config_page.js';
import { flagsPage } from './pages/flags_page.js';
import { queryPage } from './pages/query_page.js';
import { rulesPage } from './pages/rules_page.js';
import { serviceDiscoveryPage } from './pages/service_discovery_page.js';
import { statusPage } from './pages/status_page.js';
import { targetsPage } from './pages/targets_page.js';
import { tsdbStatusPage } from './pages/tsdb_status_page.js';

/** What a page gets from the router. */
export interface PageContext {
  /** The page's URL (absolute). */
  readonly url: URL;
  /** Replaces the query string of the current history entry (no navigation). */
  replaceQuery(params: URLSearchParams): void;
  /** Navigates to another page (`path` relative to the route prefix, with an optional query). */
  navigate(path: string): void;
}

/** Renders into `root`; returns a cleanup run when the page is left. */
export type PageMount = (root: HTMLElement, ctx: PageContext) => (() => void) | undefined;

export interface PageDef {
  readonly path: string;
  readonly title: string;
  /** Navigation group; null = not in the navigation bar. */
  readonly section: 'main' | 'status' | 'cluster' | null;
  readonly mount: PageMount;
}

export const PAGES: readonly PageDef[] = [
  { path: '/query', title: 'Query', section: 'main', mount: queryPage },
  { path: '/alerts', title: 'Alerts', section: 'main', mount: alertsPage },
  { path: '/rules', title: 'Rules', section: 'main', mount: rulesPage },
  { path: '/targets', title: 'Targets', section: 'status', mount: targetsPage },
  { path: '/service-discovery', title: 'Service discovery', section: 'status', mount: serviceDiscoveryPage },
  { path: '/tsdb-status', title: 'TSDB status', section: 'status', mount: tsdbStatusPage },
  { path: '/config', title: 'Configuration', section: 'status', mount: configPage },
  { path: '/flags', title: 'Flags', section: 'status', mount: flagsPage },
  { path: '/status', title: 'Runtime & build info', section: 'status', mount: statusPage },
  { path: '/cluster/nodes', title: 'Nodes', section: 'cluster', mount: clusterNodesPage },
  { path: '/cluster/deployments', title: 'Deployments', section: 'cluster', mount: clusterDeploymentsPage },
  { path: '/cluster/pods', title: 'Pods', section: 'cluster', mount: clusterPodsPage },
  { path: '/cluster/services', title: 'Services', section: 'cluster', mount: clusterServicesPage },
];

/** Paths that show another page: `/` and Prometheus 2's `/graph` open the expression browser. */
export const ALIASES: Readonly<Record<string, string>> = { '/': '/query', '/graph': '/query' };

/** The page for `path` (already relative to the prefix), or null. */
export function findPage(path: string): PageDef | null {
  const p = ALIASES[path] ?? path;
  return PAGES.find((d) => d.path === p) ?? null;
}
